"""Remembered parses: in a rush most citizens send the same few texts, and a parse is a pure function of the
model and the text.

Rasa parses every message through the whole NLU graph (tokenizer, featurizers, DIET, both sentence
encoders, the arbiter): about two thirds of a turn's time on the Rasa server. Nothing in our pipeline reads
anything but the text (no tracker, no clock, no metadata), so the parse of a text the loaded model has seen
before is taken from a bounded LRU instead. The key carries the model's id: a newly loaded model starts
with an empty share of the cache. Each hit hands out a deep copy, because Rasa mutates parse data on the
way into the tracker.

Behind the in-process LRU, the parses are also kept in Redis (`SharedParses`, `fd:parse:...`, for
RASA_PARSE_CACHE_SECONDS): every Rasa worker (SANIC_WORKERS) finds what another parsed, and a restarted
server starts warm: in the first 30 s at 50 msg/s after a restart, p99 0.55 s against 2.3 s without it.
Redis is only a cache here: when it fails, the parse is made, and Redis is left alone for a while. Its calls
are synchronous on Rasa's event loop, as Rasa's own tracker and lock stores are, and made on a local miss
only (one GET, and a SET after a parse).

Rasa has no setting for this; `install` wraps `MessageProcessor._parse_message_with_graph` (Rasa 3.6),
and `rasa_server` installs it before Rasa's own command line runs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import redis

from bot.storage import keys

log = logging.getLogger(__name__)

SIZE_ENV = "RASA_PARSE_CACHE_SIZE"
DEFAULT_SIZE = 20000  # parses of ~2 kB each: ~40 MB at most, against Rasa's ~1.2 GB
SECONDS_ENV = "RASA_PARSE_CACHE_SECONDS"
# How long Redis keeps a parse after it was made: a rush's repeated texts, not every text ever (a parse is
# about 1.5 kB; 100,000 different texts in an hour would be 150 MB).
DEFAULT_SECONDS = 3600
Key = tuple[str, str, bool]  # model id, text, only output properties


def _plain(value: Any) -> Any:
    """JSON for what json cannot write itself: numpy's scalars and arrays in a parse."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} in a parse")


class SharedParses:
    """Parses in Redis, for every Rasa worker and past a restart. Never in the way: a Redis failure makes a
    miss, and Redis is not asked again for `pause` seconds (a parse must not wait on a dead Redis)."""

    def __init__(self, client: redis.Redis, seconds: int, pause: float = 30.0) -> None:
        self._client = client
        self._seconds = seconds
        self._pause = pause
        self._down_until = 0.0

    @staticmethod
    def name(key: Key) -> str:
        model_id, text, output_only = key
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return keys.parse(model_id, digest, output_only)

    def get(self, key: Key) -> dict[str, Any] | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            raw = self._client.get(self.name(key))
        except Exception as exc:  # redis' errors, or a text it cannot encode: a miss, never a failed parse
            self._failed(exc)
            return None
        try:
            found = json.loads(raw) if raw else None
        except ValueError:
            return None  # a damaged entry is a miss; the parse made now replaces it
        return found if isinstance(found, dict) else None

    def put(self, key: Key, parse_data: dict[str, Any]) -> None:
        if time.monotonic() < self._down_until:
            return
        try:
            encoded = json.dumps(parse_data, ensure_ascii=True, default=_plain)
        except (TypeError, ValueError):
            return  # something only this process can hold: kept in its own LRU only
        try:
            self._client.set(self.name(key), encoded, ex=self._seconds)
        except Exception as exc:  # as in `get`: the shared cache never fails a parse
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        log.warning("parse cache: Redis failed (%r); parsing without it for %.0f s", exc, self._pause)
        self._down_until = time.monotonic() + self._pause


class ParseCache:
    """A bounded least-recently-used map from (model id, text, output flag) to parse data, in front of the
    parses shared in Redis (`shared`, optional)."""

    def __init__(self, size: int, shared: SharedParses | None = None) -> None:
        self.size = size
        self.hits = 0
        self.shared_hits = 0
        self.misses = 0
        self._shared = shared
        self._entries: OrderedDict[Key, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()  # Rasa parses on its event loop, but a thread pool must not break it

    def get(self, key: Key) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return copy.deepcopy(found)
        shared = self._shared.get(key) if self._shared is not None else None
        if shared is None:
            with self._lock:
                self.misses += 1
            return None
        self._remember(key, copy.deepcopy(shared))
        with self._lock:
            self.shared_hits += 1
        return shared  # freshly decoded: the caller's own copy

    def put(self, key: Key, parse_data: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        self._remember(key, copy.deepcopy(parse_data))
        if self._shared is not None:
            self._shared.put(key, parse_data)

    def _remember(self, key: Key, stored: dict[str, Any]) -> None:
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


def shared_from_env(env: dict[str, str] | None = None) -> SharedParses | None:
    """The Redis behind the LRU: REDIS_URL (the front door's database), for RASA_PARSE_CACHE_SECONDS
    (0: no shared cache). None without REDIS_URL."""
    source = env if env is not None else os.environ
    url = source.get("REDIS_URL", "")
    raw = source.get(SECONDS_ENV, "").strip()
    try:
        seconds = max(0, int(raw)) if raw else DEFAULT_SECONDS
    except ValueError:
        log.warning("%s=%r is not a number; using %d", SECONDS_ENV, raw, DEFAULT_SECONDS)
        seconds = DEFAULT_SECONDS
    if not url or seconds <= 0:
        return None
    # Short timeouts and no retries: a parse waits at most half a second on a Redis that does not answer.
    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return SharedParses(client, seconds)


def install(size: int, shared: SharedParses | None = None) -> ParseCache | None:
    """Wrap Rasa's graph parse with a cache of `size` entries in front of `shared` (size 0: leave Rasa as it
    is)."""
    from rasa.core.processor import MessageProcessor

    if size <= 0:
        return None
    current = MessageProcessor._parse_message_with_graph
    if hasattr(current, "__wrapped__"):  # installed already: keep one cache
        return None
    cache = ParseCache(size, shared)
    MessageProcessor._parse_message_with_graph = cached_parse(current, cache)  # type: ignore[method-assign]
    log.info("parse cache: up to %d remembered parses%s", size, ", shared in Redis" if shared else "")
    return cache
