"""The work waiting in Redis at one moment, read when /metrics is scraped: the outbox's backlog, the ticket
queue, and the tickets opened today. Reads only; every key here has its own writer elsewhere."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from bot.storage import keys
from bot.storage.tickets import TicketStore


@dataclass(frozen=True)
class Workload:
    outbox_backlog: int  # sends on the outbox stream plus those waiting for a retry
    queue_length: int  # tickets waiting for an agent
    longest_wait: float  # seconds the longest-waiting queued ticket has waited (0: nobody waits)
    tickets_today: dict[str, int] = field(default_factory=dict)  # reason -> tickets opened today


async def read_workload(client: aioredis.Redis, tickets: TicketStore, day: str, now: float) -> Workload:
    """`day`: today in the centre's time zone (YYYYMMDD), the day ticket numbers carry."""
    pipe = client.pipeline(transaction=False)
    pipe.xlen(keys.outbox())
    pipe.zcard(keys.outbox_delayed())
    pipe.zrange(keys.ticket_queue(), 0, -1)
    on_stream, delayed, queued = await pipe.execute()
    # The queue is ordered by priority first, so its head is not always the longest wait.
    waits = await _fields(client, [str(n) for n in queued], "queued_at")
    queued_at = [float(w) for w in waits if w]
    opened = await tickets.opened_on(day)
    reasons = Counter(str(r) for r in await _fields(client, opened, "reason") if r)
    return Workload(
        outbox_backlog=int(on_stream) + int(delayed),
        queue_length=len(queued),
        longest_wait=max(0.0, now - min(queued_at)) if queued_at else 0.0,
        tickets_today=dict(reasons),
    )


async def _fields(client: aioredis.Redis, numbers: list[str], name: str) -> list[str | None]:
    """One field of each ticket, in one round trip."""
    if not numbers:
        return []
    pipe = client.pipeline(transaction=False)
    for number in numbers:
        pipe.hget(keys.ticket(number), name)
    return list(await pipe.execute())
