"""The parse cache: a repeated text is parsed once per model, each caller gets its own copy, old entries go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("rasa")

from rasa.core.processor import MessageProcessor

from rasa_server import parse_cache
from rasa_server.parse_cache import ParseCache, cached_parse


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
