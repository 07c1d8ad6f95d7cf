"""The turn log broker (rasa_server/turn_log.py) against a real Redis: one entry per citizen message, even when
Rasa publishes it again, with what Rasa understood; entries older than the retention are trimmed."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

import redis

from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis
from rasa_server.turn_log import TurnLogBroker

MESSAGE = {
    "event": "user", "sender_id": "o_turns_1", "text": "口罩怎么预约", "timestamp": 1796400000.0,
    "message_id": "m-1", "metadata": {"sent_at": 1796399999},
    "parse_data": {"intent": {"name": "ask_mask_booking", "confidence": 0.97}, "entities": []},
    "turn_actions": ["action_answer_content"],
}  # fmt: skip


def test_each_message_is_logged_once_with_what_rasa_understood(redis_server: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/11", decode_responses=True)
    client.flushdb()
    broker = TurnLogBroker(redis_server.url.rsplit("/", 1)[0] + "/11")
    broker.publish(MESSAGE)
    broker.publish(MESSAGE)  # published again (a retried turn): not a second line
    broker.publish(MESSAGE | {"message_id": "m-2", "text": "在哪领"})
    broker.publish({"event": "bot", "text": "答复"})  # only citizens' messages
    entries = client.xrange(keys.turn_log())
    assert [fields["text"] for _, fields in entries] == ["口罩怎么预约", "在哪领"]
    first = entries[0][1]
    assert first["intent"] == "ask_mask_booking" and first["confidence"] == "0.9700"
    assert first["at"] == "1796399999.000" and first["actions"] == "action_answer_content"
    client.close()


def test_entries_past_the_retention_are_trimmed(redis_server: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/12", decode_responses=True)
    client.flushdb()
    for number in range(200):  # long before any retention; MINID ~ trims whole nodes (100 entries each)
        client.xadd(keys.turn_log(), {"text": "去年的"}, id=f"1000-{number}")
    broker = TurnLogBroker(redis_server.url.rsplit("/", 1)[0] + "/12", retention_days=1)
    broker.publish(MESSAGE)
    assert [fields["text"] for _, fields in client.xrange(keys.turn_log())] == ["口罩怎么预约"]
    client.close()
