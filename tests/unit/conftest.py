"""Unit-test fixtures: a client on a database of its own in the shared real Redis, emptied first."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.storage.embedded import EmbeddedRedis

_db = itertools.count(1)


@pytest.fixture
async def client(redis_server: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.Redis.from_url(redis_server.url, db=next(_db) % 16, decode_responses=True)
    await c.flushdb()
    yield c
    await c.aclose()
