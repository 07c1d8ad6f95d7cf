"""The gateway's Redis client, opened and closed by a cleanup context."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web

from bot.appkeys import REDIS, SETTINGS
from bot.storage.embedded import EmbeddedRedis

log = logging.getLogger(__name__)


async def redis_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    embedded: EmbeddedRedis | None = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.var_dir / "redis")
        await asyncio.to_thread(embedded.start)
        url = embedded.url
        log.warning("REDIS_URL is unset: started an embedded redis-server at %s", url)
    client = aioredis.Redis.from_url(url, decode_responses=True, socket_timeout=2)
    app[REDIS] = client
    try:
        yield
    finally:
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


async def redis_is_up(client: aioredis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except (aioredis.RedisError, OSError):
        return False
