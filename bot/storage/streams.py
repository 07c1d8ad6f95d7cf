"""Small helpers for Redis streams with consumer groups."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

Entry = tuple[str, dict[str, Any]]


async def ensure_group(client: aioredis.Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) once; a second gateway finds it there."""
    try:
        await client.xgroup_create(stream, group, id="0", mkstream=True)
    except aioredis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def read_new(
    client: aioredis.Redis, stream: str, group: str, consumer: str, count: int, block_ms: int
) -> list[Entry]:
    """Entries never delivered to any consumer of the group, oldest first."""
    found: Any = await client.xreadgroup(group, consumer, {stream: ">"}, count=count, block=block_ms)
    return [(str(i), dict(f)) for _stream, items in found or [] for i, f in items]


START = "0-0"


class AbandonedEntries:
    """Entries another consumer took and never acknowledged for `idle_ms` (it died), taken over a batch at a
    time. XAUTOCLAIM looks at no more than ten times `count` pending entries a call; the cursor carries on
    where the last call stopped, so abandoned entries queued behind many that live consumers still hold are
    reached too (started from the beginning each time, they were not, until those ahead were answered)."""

    def __init__(
        self, client: aioredis.Redis, stream: str, group: str, consumer: str, idle_ms: int, count: int
    ) -> None:
        self._client = client
        self._stream = stream
        self._group = group
        self._consumer = consumer
        self._idle_ms = idle_ms
        self._count = count
        self._cursor = START

    @property
    def scan_unfinished(self) -> bool:
        """The last call stopped part-way through the pending entries."""
        return self._cursor != START

    async def take(self) -> list[Entry]:
        result: Any = await self._client.xautoclaim(
            self._stream, self._group, self._consumer, min_idle_time=self._idle_ms, count=self._count,
            start_id=self._cursor,
        )  # fmt: skip
        self._cursor = str(result[0])
        return [(str(i), dict(f)) for i, f in result[1] if f]  # a trimmed entry comes back as None
