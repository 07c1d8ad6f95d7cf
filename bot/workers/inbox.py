"""The inbox worker: takes accepted messages from the Redis stream, asks Rasa once, stores the answer.

Runs in every gateway process as one consumer of a shared group, so each message is worked by exactly
one process. A message whose worker died (the process crashed) is claimed by another after
`claim_idle` seconds: nothing accepted is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

from bot.core import answers
from bot.core.text import pack
from bot.rasa.client import RasaClient, RasaUnavailable
from bot.storage import keys
from bot.storage.messages import MessageStore
from bot.storage.streams import claim_abandoned, ensure_group, read_new
from bot.storage.tickets import TicketStore
from bot.workers.tasks import TaskSet

log = logging.getLogger(__name__)
GROUP = "gateway"


async def bot_texts(
    rasa: RasaClient, tickets: TicketStore, openid: str, text: str, timeout: float
) -> list[str]:
    """Rasa's answer to one message as texts that each fit one WeChat message.

    A ticket signal from the complaint intake becomes a ticket here, and the citizen is told its number.
    """
    try:
        turn = await rasa.send(openid, text, timeout=timeout)
        texts = list(turn.texts) or [answers.NO_ANSWER]
    except RasaUnavailable as exc:
        log.warning("rasa unavailable for %s: %s", openid, exc)
        return [answers.RASA_DOWN]
    for payload in turn.custom:
        signal = payload.get("ticket")
        if isinstance(signal, dict):
            number = await tickets.open_complaint(openid, signal)
            texts.append(answers.ticket_opened(number))
    return pack(texts)


class InboxWorker:
    def __init__(
        self,
        client: aioredis.Redis,
        store: MessageStore,
        rasa: RasaClient,
        consumer: str,
        on_finished: Callable[[str], None],
        concurrency: int = 16,
        rasa_timeout: float = 30.0,
        claim_idle: float = 60.0,
    ) -> None:
        self._client = client
        self._store = store
        self._rasa = rasa
        self._consumer = consumer
        self._on_finished = on_finished
        self._slots = asyncio.Semaphore(concurrency)
        self._rasa_timeout = rasa_timeout
        self._claim_idle_ms = int(claim_idle * 1000)
        self._tasks = TaskSet()
        self._tickets = TicketStore(client)

    async def run(self) -> None:
        await ensure_group(self._client, keys.inbox(), GROUP)
        try:
            while True:
                await self._claim_abandoned()
                await self._read_new()
        finally:
            await self._tasks.close()

    async def _read_new(self) -> None:
        await self._slots.acquire()
        try:
            entries = await read_new(
                self._client, keys.inbox(), GROUP, self._consumer, count=1, block_ms=1000
            )
        except BaseException:
            self._slots.release()
            raise
        if not entries:
            self._slots.release()
            return
        for entry_id, fields in entries:
            self._tasks.spawn(self._work(entry_id, fields), name=f"inbox {entry_id}")

    async def _claim_abandoned(self) -> None:
        """Entries another consumer took and never acknowledged (it died): work them here."""
        claimed = await claim_abandoned(
            self._client, keys.inbox(), GROUP, self._consumer, self._claim_idle_ms
        )
        for entry_id, fields in claimed:
            await self._slots.acquire()
            log.warning("claimed abandoned inbox entry %s", entry_id)
            self._tasks.spawn(self._work(entry_id, fields), name=f"inbox {entry_id}")

    async def _work(self, entry_id: str, fields: dict[str, Any]) -> None:
        try:
            dedupe_key = str(fields["key"])
            payload = json.loads(fields["payload"])
            texts = await bot_texts(
                self._rasa, self._tickets, payload["openid"], payload["text"], self._rasa_timeout
            )
            await self._store.finish(dedupe_key, texts)
            await self._client.xack(keys.inbox(), GROUP, entry_id)
            self._on_finished(dedupe_key)
        finally:
            self._slots.release()
