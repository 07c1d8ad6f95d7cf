"""Remembered parses: in a rush most citizens send the same few texts, and a parse is a pure function of the
model and the text.

Rasa parses every message through the whole NLU graph (tokenizer, featurizers, DIET, both sentence
encoders, the arbiter): about two thirds of a turn's time on the Rasa server. Nothing in our pipeline reads
anything but the text (no tracker, no clock, no metadata), so the parse of a text the loaded model has seen
before is taken from a bounded LRU instead. The key carries the model's id: a newly loaded model starts
with an empty share of the cache. Each hit hands out a deep copy, because Rasa mutates parse data on the
way into the tracker.

Rasa has no setting for this; `install` wraps `MessageProcessor._parse_message_with_graph` (Rasa 3.6),
and `rasa_server` installs it before Rasa's own command line runs.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)

SIZE_ENV = "RASA_PARSE_CACHE_SIZE"
DEFAULT_SIZE = 20000  # parses of ~2 kB each: ~40 MB at most, against Rasa's ~1.2 GB


class ParseCache:
    """A bounded least-recently-used map from (model id, text, output flag) to parse data."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()  # Rasa parses on its event loop, but a thread pool must not break it

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        return copy.deepcopy(found)

    def put(self, key: Hashable, parse_data: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        stored = copy.deepcopy(parse_data)
        with self._lock:
            self._entries[key] = stored
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


Parse = Callable[..., dict[str, Any]]


def cached_parse(parse: Parse, cache: ParseCache) -> Parse:
    """`parse` (Rasa's `_parse_message_with_graph`), answering repeated texts from `cache`."""

    def parse_remembered(
        processor: Any, message: Any, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        text = getattr(message, "text", None)
        if not isinstance(text, str):
            return parse(processor, message, tracker, only_output_properties)
        key = (processor.model_metadata.model_id, text, only_output_properties)
        found = cache.get(key)
        if found is not None:
            return found
        parse_data = parse(processor, message, tracker, only_output_properties)
        cache.put(key, parse_data)
        return parse_data

    parse_remembered.__wrapped__ = parse  # type: ignore[attr-defined]
    return parse_remembered


def size_from_env(env: dict[str, str] | None = None) -> int:
    raw = (env if env is not None else os.environ).get(SIZE_ENV, "")
    try:
        return max(0, int(raw)) if raw.strip() else DEFAULT_SIZE
    except ValueError:
        log.warning("%s=%r is not a number; using %d", SIZE_ENV, raw, DEFAULT_SIZE)
        return DEFAULT_SIZE


def install(size: int) -> ParseCache | None:
    """Wrap Rasa's graph parse with a cache of `size` entries (0: leave Rasa as it is)."""
    from rasa.core.processor import MessageProcessor

    if size <= 0:
        return None
    current = MessageProcessor._parse_message_with_graph
    if hasattr(current, "__wrapped__"):  # installed already: keep one cache
        return None
    cache = ParseCache(size)
    MessageProcessor._parse_message_with_graph = cached_parse(current, cache)  # type: ignore[method-assign]
    log.info("parse cache: up to %d remembered parses", size)
    return cache
