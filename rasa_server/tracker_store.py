"""A lighter Redis tracker store: a citizen's latest conversation session, read once and written once a turn.

Rasa's `RedisTrackerStore` keeps every session a sender ever had and, because `retrieve` hands out only the
latest one, each `save` reads the whole stored history back, replays it, compares it event by event and
merges it in; each `retrieve` replays everything and splits it into sessions. A turn's cost grows with all the
citizen has ever said. Here a save writes the latest session only (a session ends after an hour of silence,
`domain.yml`; the slots it carries over are in the new session's first events), so a turn reads and replays
one session and writes it back, and a tracker stays the size of one conversation. Earlier conversations
are not kept in Rasa: a ticket copies its transcript when it opens.

Configured in endpoints.yml (`type: rasa_server.tracker_store.LatestSessionRedisTrackerStore`), with the
same settings as Rasa's store (`record_exp` still bounds how long an idle citizen's tracker is kept).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from rasa_server import fast_json, loop_redis
from rasa_server.turn_log import TurnLogBroker, turn_body


def latest_session(events: list[Event]) -> list[Event]:
    """The events from the latest session start on (all of them when no session ever started)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            return events[index:]
    return events


class LatestSessionRedisTrackerStore(RedisTrackerStore):
    def __init__(
        self,
        domain: Domain,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        event_broker: EventBroker | None = None,
        record_exp: float | None = None,
        key_prefix: str | None = None,
        use_ssl: bool = False,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        ssl_ca_certs: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            domain, host, port, db, username, password, event_broker, record_exp, key_prefix,
            use_ssl, ssl_keyfile, ssl_certfile, ssl_ca_certs, **kwargs,
        )  # fmt: skip
        # A turn's read and write go through an asyncio client (rasa_server/loop_redis.py); Rasa's
        # synchronous one (`self.red`) still serves `keys`, which only `rasa export` uses.
        timeout = float(kwargs.get("socket_timeout", 10))  # a Redis that stops answering fails the turn
        self._clients = loop_redis.PerLoop(lambda: loop_redis.client(
            host=host, port=int(port), db=int(db), username=username, password=password, ssl=bool(use_ssl),
            ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile, ssl_ca_certs=ssl_ca_certs,
            socket_timeout=timeout,
        ))  # fmt: skip

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the turn's message with its actions; Rasa's own diff would read the stored tracker back."""
        body = turn_body(tracker.sender_id, list(tracker.events))
        if body is None or self.event_broker is None:
            return
        if isinstance(self.event_broker, TurnLogBroker):
            await self.event_broker.publish_turn(body)
        else:
            self.event_broker.publish(body)

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        expiry: Any = timeout or self.record_exp
        events = latest_session(list(tracker.events))
        serialised = fast_json.dumps(Dialogue(tracker.sender_id, events).as_dict())
        write = self._clients.get().set(self.key_prefix + tracker.sender_id, serialised, ex=expiry)
        # Both at once, and both to their end before a cancellation of the turn goes on (loop_redis).
        await loop_redis.finish_even_if_cancelled(asyncio.gather(self.stream_events(tracker), write))

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        stored = await self._clients.get().get(self.key_prefix + sender_id)
        if stored is None:
            return None
        tracker = self.deserialise_tracker(sender_id, stored)
        if tracker is None or fetch_all_sessions:
            return tracker
        if len(latest_session(list(tracker.events))) == len(tracker.events):
            return tracker  # one session stored, as this store writes them: no second replay
        return get_trackers_for_conversation_sessions(tracker)[-1]  # written by Rasa's own store
