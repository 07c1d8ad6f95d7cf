"""Tickets (工单) the gateway opens from Rasa's signals. The handoff issue grows this into the full store;
for now: complaint tickets with their number, details, queue entry and history."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from bot.storage import keys

TICKET_TTL = 400 * 24 * 3600  # a year of complaints stays available for the daily hot-spot reports
DEFAULT_PRIORITY = 5  # 0 is most urgent


class TicketStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def open_complaint(self, openid: str, signal: dict[str, Any], now: float | None = None) -> str:
        """A complaint or report from the intake form: queued for an agent, the citizen stays with the bot."""
        when = now if now is not None else time.time()
        day = datetime.fromtimestamp(when).strftime("%Y%m%d")
        serial = await self._client.incr(keys.ticket_counter(day))
        await self._client.expire(keys.ticket_counter(day), 3 * 24 * 3600)
        number = f"12315-{day}-{int(serial):04d}"
        details = signal.get("details") if isinstance(signal.get("details"), dict) else {}
        ticket: dict[str, str | float] = {
            "number": number,
            "openid": openid,
            "reason": "complaint",
            "category": str(signal.get("category") or "投诉"),
            "summary": str(signal.get("summary") or "")[:500],
            "details": json.dumps(details, ensure_ascii=False),
            "priority": DEFAULT_PRIORITY,
            "status": "queued",
            "queued_at": when,
        }
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(keys.ticket(number), mapping=ticket)  # type: ignore[arg-type]  # redis-py: invariant key type
        pipe.expire(keys.ticket(number), TICKET_TTL)
        pipe.xadd(keys.ticket_history(number), {"at": when, "who": "bot", "what": "queued"})
        pipe.expire(keys.ticket_history(number), TICKET_TTL)
        pipe.zadd(keys.ticket_queue(), {number: DEFAULT_PRIORITY * 1e10 + when})
        await pipe.execute()
        return number
