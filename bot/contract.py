"""The 5-second contract (DESIGN.md): one answer per message, in time, however many deliveries arrive.

1. A delivery counts itself on the message's hash; the first one queues the message for Rasa in the same
   Redis step (so it is durable before any reply is sent).
2. Each delivery waits up to `budget` seconds for the answer, then replies with it passively.
3. A delivery that gets no answer in time, and is not the last one WeChat will make, holds the connection
   past WeChat's 5 s so that WeChat delivers again; the answer is still stored for that retry. When no
   worker has taken the message yet and the inbox is as far behind as admission's mark (6.), the next
   delivery could not be answered in time either: the message is deferred and the delivery replies
   `success` instead (two deliveries saved in a rush).
4. The last delivery that would still miss makes the message `deferred` and replies `success`: the answer
   goes through the outbox when it is ready.
5. A sweeper defers every message whose retry window has closed, in case WeChat stopped retrying early.
   It also sends carried answers (7.) whose later message was not answered within ten minutes.
6. Admission: when the first delivery finds the inbox so far behind that the oldest message no worker has
   taken yet has waited `admit_wait` seconds, or (once it has waited half a second: every worker slot busy)
   that the messages waiting would take the workers that long at the pace they have kept while messages
   waited (a rush seen as it starts, not three seconds later), the answer cannot come in time. The message
   is queued already deferred, in the accept step itself, and the delivery replies `success` without
   waiting: one short delivery instead of three held ones, so a rush beyond what Rasa answers costs the
   gateway little and every push is still acknowledged within WeChat's 5 s. The answer follows through the
   outbox. A retry of a deferred message (its `success` reached WeChat late) gets `success` at once as
   well.
7. Carried answers: a deferred answer whose citizen has a later message still unanswered waits for that
   one and goes with it, labelled with its question and packed into as few texts as fit. WeChat allows 5
   sends after a citizen's last message; a citizen who wrote eight times during a rush would otherwise get
   five answers and lose three. A passive answer takes the carried ones along in its reply.
8. Ready answers: a menu button for published content needs no understanding. When admission (6.) would
   defer it, it is answered at once from the content instead, in the accept step, unless Rasa's view of the
   conversation matters (an earlier message unanswered, a person on the case, a complaint being taken in).
   A button opens a one-minute window of three customer-service sends; an answer deferred behind a rush
   missed it (WeChat refused 10 of them in a 3x burst). Rasa's tracker does not see such a click.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.logs import message_ref
from bot.metrics import Metrics
from bot.storage import keys
from bot.storage.messages import Accepted, MessageStore
from bot.storage.turnlog import TurnLog

log = logging.getLogger(__name__)
DEFERRABLE = (
    "pending",
    "holding",
    "answered",
)  # states `defer` moves to the outbox; the others were dealt with already
# The answer goes (or went) through the outbox: no delivery may give it passively, so none waits for it.
OUTBOUND = ("deferred", "sent", "carried")


@dataclass(frozen=True)
class ContractTiming:
    budget: float = 4.5  # a delivery waits this long for the answer (WeChat gives up at 5 s)
    hold: float = 5.5  # a non-final delivery without an answer is held this long so WeChat retries
    deliveries: int = 3  # WeChat delivers a message at most this many times
    # How often a waiting delivery looks in Redis for its answer without being woken (the app sets it to the
    # budget: one look, at its end). Every gateway hears each stored answer at once (`listen_for_answers`);
    # notices are lost only while the listener's connection is down, and every (re)connection wakes every
    # waiting delivery to look. At 0.1 s this look was a tenth of the gateway's time under load; at 1 s, in a
    # rush (the deliveries held before admission starts deferring), a sixth.
    poll: float = 4.5
    sweep_after: float = 30.0  # WeChat's retry window (about 15 s) has surely closed by then
    admit_wait: float = 3.0  # a queue this far behind defers a new message at once (step 6)


class Waiters:
    """Wakes the deliveries waiting in this process when any gateway's inbox worker finishes a message
    (the answered channel, `listen_for_answers`)."""

    def __init__(self) -> None:
        self._events: dict[str, tuple[asyncio.Event, int]] = {}

    def event(self, dedupe_key: str) -> asyncio.Event:
        event, users = self._events.get(dedupe_key, (asyncio.Event(), 0))
        self._events[dedupe_key] = (event, users + 1)
        return event

    def release(self, dedupe_key: str) -> None:
        event, users = self._events.get(dedupe_key, (asyncio.Event(), 1))
        if users <= 1:
            self._events.pop(dedupe_key, None)
        else:
            self._events[dedupe_key] = (event, users - 1)

    def notify(self, dedupe_key: str) -> None:
        found = self._events.get(dedupe_key)
        if found is not None:
            found[0].set()

    def notify_all(self) -> None:
        """Every waiting delivery looks in Redis: notices may have been lost (the listener was away)."""
        for event, _ in self._events.values():
            event.set()


class Contract:
    def __init__(
        self,
        store: MessageStore,
        waiters: Waiters,
        timing: ContractTiming,
        metrics: Metrics | None = None,
        turns: TurnLog | None = None,
    ) -> None:
        self._store = store
        self._turns = turns
        self.waiters = waiters
        self.timing = timing
        self._metrics = metrics or Metrics()

    async def reply(
        self,
        dedupe_key: str,
        openid: str,
        rasa_text: str,
        is_event: bool,
        sent_at: int = 0,
        ready: list[str] | None = None,
    ) -> list[str] | None:
        """The texts of the answer (reply with the first passively), or None to reply `success`.

        `sent_at`: the message's CreateTime, which the report counts it by (a deferred message is still
        the hour the citizen sent it). `ready`: the answer of a menu button for published content, given
        at once when the inbox is too far behind (step 8)."""
        arrived = time.monotonic()
        payload = {"openid": openid, "text": rasa_text, "is_event": is_event, "sent_at": sent_at}
        # Listening before the accept: an answer finished before this delivery waits for it (a worker on a
        # busy gateway's neighbour) still wakes it, though the first look in Redis is skipped.
        answered = self.waiters.event(dedupe_key)
        try:
            accepted = await self._store.accept(
                dedupe_key,
                openid,
                payload,
                sweep_at=time.time() + self.timing.sweep_after,
                ready=ready,
                ready_after=self.timing.admit_wait,
                defer_after=self.timing.admit_wait,
            )
            if ready and accepted.delivery == 1 and accepted.state == "replied":
                self._metrics.answered_on_arrival()
                if self._turns is not None:
                    await self._turns.record_button(openid, rasa_text, sent_at, dedupe_key)
                return ready
            try:
                return await self._after_accept(dedupe_key, accepted, arrived, answered)
            except aioredis.RedisError as exc:
                # Accepted, so not lost: the sweeper defers it once Redis answers again (its window closes in
                # `sweep_after`), and the answer goes through the outbox.
                log.error("message %s: Redis failed after accepting it: %r", message_ref(dedupe_key), exc)
                return None
        finally:
            self.waiters.release(dedupe_key)

    async def _after_accept(
        self, dedupe_key: str, accepted: Accepted, arrived: float, answered: asyncio.Event
    ) -> list[str] | None:
        if accepted.delivery > 1:
            self._metrics.dedupe_hit()  # WeChat's retry: the message is worked once, whatever it delivers
        if accepted.state in OUTBOUND:
            if accepted.delivery == 1:  # admission: queued deferred in the accept step itself (step 6)
                self._metrics.deferred("arrival")
                log.debug(
                    "message %s deferred on arrival: inbox %.1f s behind",
                    message_ref(dedupe_key),
                    accepted.queue_wait,
                )
            # A retry of a deferred message (its `success` reached WeChat too late, as in a rush) gets
            # `success` at once: waiting could bring no passive answer, and held it cost a connection for
            # 5.5 s and another delivery.
            return None
        # A first delivery's message was queued just now: its answer cannot be there yet, so the first look
        # in Redis waits for the answered notice (one round trip a push saved).
        look_first = accepted.delivery > 1 or accepted.state != "pending"
        texts = await self._wait(dedupe_key, arrived + self.timing.budget, answered, look_first)
        if texts is not None:
            return texts
        if accepted.delivery >= self.timing.deliveries:
            state = await self._store.defer(dedupe_key)
            if state in DEFERRABLE:
                self._metrics.deferred("last_delivery")
            log.info(
                "message %s deferred to the outbox on delivery %d (%s)",
                message_ref(dedupe_key),
                accepted.delivery,
                state,
            )
            return None
        # In a rush (the inbox as far behind as admission's mark), WeChat's next delivery would wait as long
        # in vain: defer now and reply `success` rather than hold the connection for WeChat's next delivery.
        # Only a message no worker has taken yet: one with Rasa now may well be answered for that delivery.
        state = await self._store.defer_if_behind(dedupe_key, self.timing.admit_wait)
        if state == "pending":
            self._metrics.deferred("behind")
            log.debug(
                "message %s deferred on delivery %d: not taken yet, the inbox behind",
                message_ref(dedupe_key),
                accepted.delivery,
            )
            return None
        if state in OUTBOUND:
            return None  # another delivery (or the sweeper) sent it out meanwhile: nothing to hold for
        # Let WeChat's 5 s run out so it delivers again; the answer waits in Redis for that delivery.
        await asyncio.sleep(max(0.0, arrived + self.timing.hold - time.monotonic()))
        return None

    async def _wait(
        self, dedupe_key: str, deadline: float, answered: asyncio.Event, look_first: bool = True
    ) -> list[str] | None:
        """The answer's texts once stored (looking in Redis when `answered` is set, and every `poll` s in
        case a notice was lost), or None at `deadline`."""
        look = look_first
        while True:
            if look or answered.is_set():
                answered.clear()
                texts = await self._store.collect(dedupe_key)
                if texts is not None:
                    return texts
            look = True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answered.wait(), timeout=min(self.timing.poll, remaining))

    async def sweep(self) -> int:
        """Defer every message whose retry window closed without a passive reply; returns how many."""
        due = await self._store.due_for_sweep(time.time())
        for dedupe_key in due:
            state = await self._store.defer(dedupe_key)
            if state in DEFERRABLE:
                self._metrics.deferred("sweep")
                log.warning(
                    "message %s was %s when its window closed: outbox", message_ref(dedupe_key), state
                )
            await self._store.forget_sweep(dedupe_key)
        carried = await self._store.flush_overdue_carried(time.time())
        if carried:
            log.warning(
                "%d carried answers sent on their own: a later message was not answered in time",
                carried,
            )
        return len(due)


# Seconds of silence on the answered channel after which its listener asks Redis for a PONG; none within as
# long again means the connection is dead though no error came (half-open).
LISTENER_PING_AFTER = 15.0


class _AnswerSubscription(PubSub):
    """The answered channel's subscription. redis-py connects again and resubscribes by itself after a dropped
    connection, and notices published meanwhile are lost: every such reconnection wakes every waiting
    delivery to look in Redis."""

    def __init__(self, client: aioredis.Redis, waiters: Waiters) -> None:
        super().__init__(client.connection_pool, ignore_subscribe_messages=True)
        self._waiters = waiters

    async def on_connect(self, connection: Connection) -> None:
        await super().on_connect(connection)
        self._waiters.notify_all()

    async def handle_message(self, response: Any, ignore_subscribe_messages: bool = False) -> Any:
        # redis-py 8 makes a PING's reply a pong message only when it comes as bytes; on the gateway's client
        # (decode_responses) it comes as a str and was dropped like a subscribe confirmation, so the listener
        # heard no PONG and failed, and was started again, every second (found in a bench's gateway log)
        if isinstance(response, str):
            response = [b"pong", b"" if response == "PONG" else response.encode()]
        return await super().handle_message(response, ignore_subscribe_messages)  # type: ignore[no-untyped-call]


async def listen_for_answers(
    client: aioredis.Redis, waiters: Waiters, ping_after: float = LISTENER_PING_AFTER
) -> None:
    """Wake local deliveries for every answer stored by any gateway (published by the finish script). Fails
    (for `_forever` to start it again, on a new connection) when the connection no longer answers a PING."""
    pubsub = _AnswerSubscription(client, waiters)
    try:
        await pubsub.subscribe(keys.answered_channel())
        waiters.notify_all()  # answers stored before the subscription, while this listener was away
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=ping_after)
            if message is None:
                if pinged:
                    raise RedisConnectionError("the answered channel's connection gave no PONG")
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            data = message.get("data") if message.get("type") == "message" else None
            if data is not None:
                waiters.notify(data.decode() if isinstance(data, bytes) else str(data))
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
