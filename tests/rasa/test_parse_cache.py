"""The parse cache: a repeated text is parsed once per model, each caller gets its own copy, old entries go."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("rasa")

import numpy as np
import redis
from rasa.core.processor import MessageProcessor

from bot.storage.embedded import EmbeddedRedis, free_port
from rasa_server import parse_cache
from rasa_server.parse_cache import ParseCache, SharedParses, cached_parse


@dataclass
class Metadata:
    model_id: str


@dataclass
class Processor:
    model_metadata: Metadata


@dataclass
class UserMessage:
    text: Any


class CountingParse:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, processor: Any, message: Any, tracker: Any, only: bool = True) -> dict[str, Any]:
        self.calls.append(message.text)
        return {"text": message.text, "intent": {"name": f"i_{len(self.calls)}", "confidence": 0.9}}


def test_a_repeated_text_is_parsed_once_and_gives_the_same_answer() -> None:
    parse = CountingParse()
    cached = cached_parse(parse, ParseCache(10))
    processor = Processor(Metadata("m1"))
    first = cached(processor, UserMessage("口罩怎么预约"), None)
    second = cached(processor, UserMessage("口罩怎么预约"), None)
    cached(processor, UserMessage("在哪领"), None)
    assert parse.calls == ["口罩怎么预约", "在哪领"]
    assert first == second


def test_callers_cannot_change_what_the_cache_remembers() -> None:
    cached = cached_parse(CountingParse(), ParseCache(10))
    processor = Processor(Metadata("m1"))
    first = cached(processor, UserMessage("你好"), None)
    first["intent"]["name"] = "changed by Rasa on the way into the tracker"
    assert cached(processor, UserMessage("你好"), None)["intent"]["name"] == "i_1"


def test_a_new_model_parses_afresh() -> None:
    parse = CountingParse()
    cached = cached_parse(parse, ParseCache(10))
    cached(Processor(Metadata("m1")), UserMessage("你好"), None)
    cached(Processor(Metadata("m2")), UserMessage("你好"), None)
    assert parse.calls == ["你好", "你好"]


def test_the_least_recently_used_parse_is_forgotten_first() -> None:
    parse = CountingParse()
    cache = ParseCache(2)
    cached = cached_parse(parse, cache)
    processor = Processor(Metadata("m1"))
    for text in ("a", "b", "a", "c", "a", "b"):  # "b" is the oldest when "c" arrives
        cached(processor, UserMessage(text), None)
    assert parse.calls == ["a", "b", "c", "b"]
    assert len(cache) == 2 and cache.hits == 2


def test_messages_without_text_are_never_cached() -> None:
    parse = CountingParse()
    cached = cached_parse(parse, ParseCache(10))
    processor = Processor(Metadata("m1"))
    cached(processor, UserMessage(None), None)
    cached(processor, UserMessage(None), None)
    assert len(parse.calls) == 2


def test_size_comes_from_the_environment() -> None:
    assert parse_cache.size_from_env({}) == parse_cache.DEFAULT_SIZE
    assert parse_cache.size_from_env({parse_cache.SIZE_ENV: "0"}) == 0
    assert parse_cache.size_from_env({parse_cache.SIZE_ENV: "500"}) == 500
    assert parse_cache.size_from_env({parse_cache.SIZE_ENV: "many"}) == parse_cache.DEFAULT_SIZE


def test_install_wraps_rasas_graph_parse_once(monkeypatch: pytest.MonkeyPatch) -> None:
    original = MessageProcessor._parse_message_with_graph
    monkeypatch.setattr(MessageProcessor, "_parse_message_with_graph", original)
    assert parse_cache.install(0) is None
    assert MessageProcessor._parse_message_with_graph is original
    cache = parse_cache.install(100)
    assert cache is not None and cache.size == 100
    assert MessageProcessor._parse_message_with_graph.__wrapped__ is original  # type: ignore[attr-defined]
    assert parse_cache.install(100) is None  # a second install keeps the first cache


@pytest.fixture
def shared_redis(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, db=7)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_a_parse_is_shared_by_every_worker_and_outlives_a_restart(shared_redis: redis.Redis) -> None:
    """Two Rasa workers, then a restarted one, each with an empty LRU of its own: the text is parsed once."""
    parse = CountingParse()
    shared = SharedParses(shared_redis, seconds=60)
    processor = Processor(Metadata("m1"))
    first = cached_parse(parse, ParseCache(10, shared))(processor, UserMessage("口罩怎么预约"), None)
    other_worker = ParseCache(10, shared)
    assert cached_parse(parse, other_worker)(processor, UserMessage("口罩怎么预约"), None) == first
    restarted = ParseCache(10, SharedParses(shared_redis, seconds=60))
    again = cached_parse(parse, restarted)(processor, UserMessage("口罩怎么预约"), None)
    assert again == first and parse.calls == ["口罩怎么预约"]
    assert (other_worker.shared_hits, restarted.shared_hits) == (1, 1)
    again["intent"]["name"] = "changed by Rasa on the way into the tracker"
    assert cached_parse(parse, restarted)(processor, UserMessage("口罩怎么预约"), None) == first
    cached_parse(parse, restarted)(Processor(Metadata("m2")), UserMessage("口罩怎么预约"), None)
    assert parse.calls == ["口罩怎么预约", "口罩怎么预约"]  # a new model parses afresh


def test_shared_parses_expire_and_keep_numpy_values(shared_redis: redis.Redis) -> None:
    def parse(processor: Any, message: Any, tracker: Any, only: bool = True) -> dict[str, Any]:
        confidence = np.float32(0.75)
        return {"text": message.text, "intent": {"name": "greet", "confidence": confidence}}

    shared = SharedParses(shared_redis, seconds=60)
    first = cached_parse(parse, ParseCache(10, shared))(Processor(Metadata("m1")), UserMessage("你好"), None)
    [name] = shared_redis.keys("fd:parse:m1:*")
    assert 0 < shared_redis.ttl(name) <= 60
    found = ParseCache(10, shared).get(("m1", "你好", True))
    assert found == {"text": "你好", "intent": {"name": "greet", "confidence": 0.75}} == first


class CountingRedis(redis.Redis):
    asked = 0

    def get(self, name: Any) -> Any:
        CountingRedis.asked += 1
        return super().get(name)

    def set(self, name: Any, value: Any, **kwargs: Any) -> Any:
        CountingRedis.asked += 1
        return super().set(name, value, **kwargs)


def test_a_dead_redis_never_fails_a_parse_and_is_left_alone_for_a_while() -> None:
    dead = CountingRedis(host="127.0.0.1", port=free_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    parse = CountingParse()
    cached = cached_parse(parse, ParseCache(10, SharedParses(dead, seconds=60, pause=30)))
    processor = Processor(Metadata("m1"))
    answers = [cached(processor, UserMessage(text), None) for text in ("一", "二", "三")]
    assert [a["text"] for a in answers] == ["一", "二", "三"] and parse.calls == ["一", "二", "三"]
    assert CountingRedis.asked == 1  # the first look failed; the next 30 s go without Redis
    assert cached(processor, UserMessage("一"), None) == answers[0]  # the LRU still answers


def test_the_shared_cache_comes_from_the_environment() -> None:
    assert parse_cache.shared_from_env({}) is None
    assert (
        parse_cache.shared_from_env({"REDIS_URL": "redis://127.0.0.1:1/0", parse_cache.SECONDS_ENV: "0"})
        is None
    )
    assert isinstance(parse_cache.shared_from_env({"REDIS_URL": "redis://127.0.0.1:1/0"}), SharedParses)


def test_a_text_redis_cannot_encode_is_parsed_all_the_same(shared_redis: redis.Redis) -> None:
    """A lone surrogate (only a direct API caller can send one) must not turn the shared cache into a 500."""
    parse = CountingParse()
    cached = cached_parse(parse, ParseCache(10, SharedParses(shared_redis, seconds=60)))
    answer = cached(Processor(Metadata("m1")), UserMessage("口罩\ud800"), None)
    assert answer["text"] == "口罩\ud800" and parse.calls == ["口罩\ud800"]
