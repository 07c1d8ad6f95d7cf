"""The inbox worker: takes accepted messages from the Redis stream, has each answered once, stores the answer.

Runs in every gateway process as one consumer of a shared group, so each message is worked by exactly
one process. A message whose worker died (the process crashed) is claimed by another after
`claim_idle` seconds: nothing accepted is lost. What answers (the bot, or the ticket queue while a person
handles the citizen) is the help desk's decision.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from bot.logs import citizen, message_ref
from bot.storage import keys
from bot.storage.messages import MessageStore
from bot.storage.streams import AbandonedEntries, ensure_group, read_new
from bot.workers.tasks import TaskSet

log = logging.getLogger(__name__)
GROUP = keys.inbox_group()
# (openid, text, is_event, dedupe key) -> the answer's texts; the help desk's `answer`
Answer = Callable[[str, str, bool, str, int], Awaitable[list[str]]]  # openid, text, is_event, key, sent_at
# The answer to a message that need not wait its turn, or None: openid, text, is_event, key
OutOfTurn = Callable[[str, str, bool, str], Awaitable[list[str] | None]]
# Waits between attempts at a message whose answer is not possible now (Rasa down): the last one repeats.
RETRY_WAITS = (2.0, 4.0, 8.0, 15.0)
CLAIM_BATCH = 10  # abandoned entries taken over per look
SCAN_PAUSE = 0.2  # seconds between looks while a scan of the pending entries is part-way


class AnswerLater(Exception):
    """Raised by the answer function when it cannot answer now but can later (Rasa unreachable): the
    message stays in the inbox, the citizen is told it is recorded (`notice`), and it is tried again."""

    def __init__(self, notice: list[str], reason: str) -> None:
        super().__init__(reason)
        self.notice = notice


class Slot:
    """One of the worker's concurrency slots, held by a message's task and let go while it only waits."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._held = True  # the reader acquired it for this message

    async def pause(self, seconds: float) -> None:
        self._slots.release()
        self._held = False
        await asyncio.sleep(seconds)
        await self._slots.acquire()
        self._held = True

    def release(self) -> None:
        if self._held:
            self._slots.release()
            self._held = False


class InboxWorker:
    def __init__(
        self,
        client: aioredis.Redis,
        store: MessageStore,
        answer: Answer,
        consumer: str,
        on_finished: Callable[[str], None],
        concurrency: int = 16,
        claim_idle: float = 60.0,
        claim_every: float | None = None,
        turn_timeout: float = 35.0,
        give_up_after: float = 3000.0,
        gave_up: list[str] | None = None,
        behind_held_notice: list[str] | None = None,
        out_of_turn: OutOfTurn | None = None,
    ) -> None:
        self._client = client
        self._store = store
        self._answer = answer
        self._consumer = consumer
        self._on_finished = on_finished
        self._slots = asyncio.Semaphore(concurrency)
        self._abandoned = AbandonedEntries(
            client, keys.inbox(), GROUP, consumer, int(claim_idle * 1000), count=CLAIM_BATCH
        )
        # Looked for abandoned entries before every read, it was one Redis round trip per message (one of
        # the twelve a push took); an entry is abandoned only after `claim_idle`, so a look every quarter of
        # that (at most every 5 s) finds it as surely.
        self._claim_every = claim_every if claim_every is not None else min(5.0, claim_idle / 4)
        self._next_claim = 0.0
        # How long a citizen's message waits for their previous one. The app sets Rasa's timeout plus 5 s, so
        # a previous message still with Rasa is waited for; one whose worker died (claimed only after
        # `claim_idle`) lets the next go first. A Rasa call that times out ends its turn too: if Rasa still
        # works it afterwards, the two can reach the tracker in the wrong order (seen once, at 10x overload).
        self._turn_timeout = turn_timeout
        # A message still unanswerable this long after it arrived gets `gave_up` through the outbox (inside
        # the message's retention, so its record is still there to send it).
        self._give_up_after = give_up_after
        self._gave_up = gave_up or []
        self._behind_held_notice = behind_held_notice or []
        # A message behind a held one that needs no Rasa (a request for a person) is answered at once, once.
        self._out_of_turn = out_of_turn
        self._tasks = TaskSet()

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
        if time.monotonic() < self._next_claim:
            return
        self._next_claim = time.monotonic() + self._claim_every
        claimed = await self._abandoned.take()
        if len(claimed) >= CLAIM_BATCH:
            self._next_claim = 0.0  # a dead gateway's backlog: take the next batch at once
        elif self._abandoned.scan_unfinished:
            # Many pending entries, most held by live workers: go on scanning at the loop's first turn after
            # SCAN_PAUSE (an idle read blocks up to a second), not in `claim_every` (one look covers a
            # hundred; a rush's backlog can be thousands); the pause keeps a busy worker to five looks a
            # second.
            self._next_claim = time.monotonic() + SCAN_PAUSE
        for entry_id, fields in claimed:
            await self._slots.acquire()
            log.warning("claimed abandoned inbox entry %s", entry_id)
            self._tasks.spawn(self._work(entry_id, fields), name=f"inbox {entry_id}")

    async def _work(self, entry_id: str, fields: dict[str, Any]) -> None:
        slot = Slot(self._slots)
        try:
            dedupe_key = str(fields["key"])
            payload = json.loads(fields["payload"])
            openid = str(payload["openid"])
            turn = int(fields.get("turn") or 0)
            arrived = int(entry_id.split("-", 1)[0]) / 1000
            failures = 0
            waited_behind_held = False
            while True:
                given_up = time.time() - arrived > self._give_up_after
                state = await self._store.turn_state(openid) if turn else None
                if state and not given_up and state.behind_held(turn):
                    if not waited_behind_held:
                        waited_behind_held = True
                        if self._out_of_turn is not None:
                            jumped = await self._out_of_turn(
                                openid, payload["text"], bool(payload.get("is_event")), dedupe_key
                            )
                            if jumped is not None:
                                texts = jumped
                                break
                        # An earlier message waits for Rasa: this one will too. The citizen is told now (once;
                        # holding again changes nothing), and it waits without a slot until that one is
                        # answered, so the conversation keeps its order.
                        await self._store.hold(dedupe_key, openid, self._behind_held_notice)
                    await slot.pause(1.0)
                    await self._still_mine(entry_id)
                    continue
                if (
                    state
                    and not state.follows_answered(turn)
                    and not await self._store.wait_turn(openid, turn, self._turn_timeout)
                ):
                    log.warning(
                        "message %s of %s: the previous one is still unanswered; going on",
                        message_ref(dedupe_key),
                        citizen(openid),
                    )
                try:
                    texts = await self._answer(
                        openid,
                        payload["text"],
                        bool(payload.get("is_event")),
                        dedupe_key,
                        int(payload.get("sent_at") or 0),
                    )
                    break
                except AnswerLater as later:
                    if failures == 0:
                        await self._store.hold(dedupe_key, openid, later.notice)
                    if given_up:
                        log.error(
                            "message %s unanswerable since it arrived: %s", message_ref(dedupe_key), later
                        )
                        texts = self._gave_up
                        break
                    # Wait without a slot, so an outage does not stop the other citizens' messages (those
                    # a person answers need no Rasa). A process dying here leaves the entry to be claimed.
                    await slot.pause(RETRY_WAITS[min(failures, len(RETRY_WAITS) - 1)])
                    await self._still_mine(entry_id)
                    failures += 1
            question = "" if payload.get("is_event") else str(payload["text"])
            # The entry is acknowledged and deleted in the same step: deleted, not only acknowledged, so the
            # inbox holds the work still to do and nothing else, and stays as small as the backlog. The
            # answered message lives on in the message hash (for its TTL) and in Rasa's tracker.
            await self._store.finish(dedupe_key, openid, texts, question, inbox_entry=entry_id)
            self._on_finished(dedupe_key)
        finally:
            slot.release()

    async def _still_mine(self, entry_id: str) -> None:
        """Renew the entry's claim, so no other worker takes it for abandoned while it is being retried."""
        await self._client.xclaim(keys.inbox(), GROUP, self._consumer, 0, [entry_id], justid=True)
