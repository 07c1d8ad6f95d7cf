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


async def claim_abandoned(
    client: aioredis.Redis, stream: str, group: str, consumer: str, idle_ms: int, count: int = 10
) -> list[Entry]:
    """Entries another consumer took and never acknowledged for `idle_ms` (it died): take them over."""
    result: Any = await client.xautoclaim(stream, group, consumer, min_idle_time=idle_ms, count=count)
    return [(str(i), dict(f)) for i, f in result[1] if f]  # a trimmed entry comes back as None
