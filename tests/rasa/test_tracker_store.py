"""The lighter tracker store against a real Redis: one session kept, read back the same, trackers expire."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import pytest

pytest.importorskip("rasa")

import redis
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis
from rasa_server.tracker_store import LatestSessionRedisTrackerStore, latest_session
from rasa_server.turn_log import TurnLogBroker
from tests.rasa.conftest import hold_redis

_db = itertools.count(2)
DOMAIN = Domain.from_dict({"slots": {"district": {"type": "text", "mappings": [{"type": "custom"}]}}})


def store(server: EmbeddedRedis, kind: Any = LatestSessionRedisTrackerStore, db: int = 0) -> Any:
    return kind(DOMAIN, host="127.0.0.1", port=server.port, db=db, record_exp="3600", key_prefix="rasa")


def session(start: float, text: str, district: str | None = None) -> list[Any]:
    events: list[Any] = [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=start),
        SessionStarted(timestamp=start),
    ]
    if district:
        events.append(SlotSet("district", district, timestamp=start))
    return [
        *events,
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=start + 1),
        UserUttered(text, {"name": "greet", "confidence": 1.0}, timestamp=start + 2),
        BotUttered("您好", timestamp=start + 3),
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=start + 4),
    ]


def test_latest_session_starts_at_the_last_session_start() -> None:
    first, second = session(0, "你好"), session(5000, "在吗", district="滨江")
    assert latest_session(first + second) == second
    assert latest_session(second[2:]) == second[2:]  # no session start: everything


def test_only_the_latest_session_is_written_and_read_back_unchanged(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    lighter = store(redis_server, db=db)
    now = time.time()
    tracker = DialogueStateTracker.from_events(
        "o_1", session(now - 7200, "你好") + session(now, "在吗", "滨江")
    )
    asyncio.run(lighter.save(tracker))
    raw = redis.Redis(port=redis_server.port, db=db).get("rasa:tracker:o_1")
    stored = json.loads(raw)
    assert [e.get("text") for e in stored["events"] if e["event"] == "user"] == ["在吗"]
    back = asyncio.run(lighter.retrieve("o_1"))
    assert back is not None
    assert [e.as_dict() for e in back.events] == [e.as_dict() for e in session(now, "在吗", "滨江")]
    assert back.get_slot("district") == "滨江"
    assert 3500 < redis.Redis(port=redis_server.port, db=db).ttl("rasa:tracker:o_1") <= 3600


def test_a_tracker_rasas_own_store_wrote_is_read_as_its_latest_session(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    now = time.time()
    tracker = DialogueStateTracker.from_events("o_2", session(now - 7200, "你好") + session(now, "在吗"))
    asyncio.run(store(redis_server, RedisTrackerStore, db=db).save(tracker))
    back = asyncio.run(store(redis_server, db=db).retrieve("o_2"))
    assert back is not None
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == ["在吗"]


def test_a_missing_tracker_is_none(redis_server: EmbeddedRedis) -> None:
    assert asyncio.run(store(redis_server, db=next(_db)).retrieve("o_nobody")) is None


def test_a_save_called_off_at_once_still_writes_the_tracker_and_the_turn_log(
    redis_server: EmbeddedRedis,
) -> None:
    """A citizen's request that times out cancels its turn wherever it waits; a save already begun must end
    as a synchronous one would have (the tracker and the turn's log line both written)."""
    db = next(_db)
    raw = redis.Redis(port=redis_server.port, db=db, decode_responses=True)
    lighter = store_with_turn_log(redis_server, db)
    tracker = DialogueStateTracker.from_events("o_3", session(time.time(), "在吗"))

    async def main() -> None:
        saving = asyncio.ensure_future(lighter.save(tracker))
        await asyncio.sleep(0)  # the save has begun: its writes are scheduled, none sent yet
        saving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await saving
        await asyncio.sleep(0.2)

    asyncio.run(main())
    assert raw.exists("rasa:tracker:o_3")
    assert [fields["text"] for _, fields in raw.xrange(keys.turn_log())] == ["在吗"]


def test_a_cancelled_save_is_written_before_the_cancellation_goes_on(redis_server: EmbeddedRedis) -> None:
    """The turn gives its lock back as the cancellation passes; the citizen's next turn must then read this
    turn's tracker, not the one before."""
    db = next(_db)
    raw = redis.Redis(port=redis_server.port, db=db, decode_responses=True)
    lighter = store_with_turn_log(redis_server, db)
    tracker = DialogueStateTracker.from_events("o_4", session(time.time(), "在吗"))

    async def main() -> float:
        busy = hold_redis(redis_server.port, 0.4)
        saving = asyncio.ensure_future(lighter.save(tracker))
        await asyncio.sleep(0.05)  # the writes wait behind the long script
        saving.cancel()
        called_off = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await saving
        passed_on = time.monotonic() - called_off
        await asyncio.to_thread(busy.join)
        return passed_on

    # Redis answers the writes only when the long script ends, some 0.3 s after the cancellation: the
    # cancellation must wait for them (Redis being single-threaded, no reader could tell the order apart).
    assert asyncio.run(main()) > 0.15
    assert raw.exists("rasa:tracker:o_4")


def store_with_turn_log(server: EmbeddedRedis, db: int) -> LatestSessionRedisTrackerStore:
    return LatestSessionRedisTrackerStore(
        DOMAIN, host="127.0.0.1", port=server.port, db=db, record_exp="3600", key_prefix="rasa",
        event_broker=TurnLogBroker(f"redis://127.0.0.1:{server.port}/{db}"),
    )  # fmt: skip
