"""Telling the citizens who asked about a topic in the last 48 hours that an announcement on it is out.

The audience is read from the turn log (what Rasa understood each citizen asked) and kept to citizens whose
customer-service window is still open with sends left, so every notice can be delivered within WeChat's
quota. Each citizen gets one notice per announcement, however often the maintainer presses the button.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis

from bot.core.content import NOTIFY_WINDOW_SECONDS, notice_text
from bot.storage import keys
from bot.storage.conversations import Conversations
from bot.storage.turnlog import TurnLog
from bot.workers.outbox import enqueue_texts

NOTIFIED_TTL = 7 * 24 * 3600


class Announcer:
    def __init__(self, client: aioredis.Redis, conversations: Conversations) -> None:
        self._client = client
        self._turns = TurnLog(client)
        self._conversations = conversations

    async def audience(self, item_id: str, intents: Iterable[str], now: float | None = None) -> list[str]:
        """Citizens who asked one of `intents` in the window, can still be sent to, and were not told yet."""
        moment = time.time() if now is None else now
        wanted = set(intents)
        asked = {
            t.sender
            for t in await self._turns.between(moment - NOTIFY_WINDOW_SECONDS, moment)
            if t.intent in wanted
        }
        told = set(await self._client.smembers(keys.announcement_notified(item_id)))
        reachable = []
        for openid in sorted(asked - told):
            window = await self._conversations.send_window(openid)
            if window.open and window.used < window.limit:
                reachable.append(openid)
        return reachable

    async def notify(self, item: dict[str, Any], intents: Iterable[str]) -> int:
        """Queue the notice through the outbox for the audience; returns how many were queued."""
        queued = 0
        text = notice_text(item)
        marker = keys.announcement_notified(str(item["id"]))
        for openid in await self.audience(str(item["id"]), intents):
            if await self._client.sadd(marker, openid):
                await enqueue_texts(self._client, openid, [text], origin=f"announcement:{item['id']}")
                queued += 1
        await self._client.expire(marker, NOTIFIED_TTL)
        return queued
