"""The gateway's Redis client, opened and closed by a cleanup context."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

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
    client = connect(url)
    app[REDIS] = client
    try:
        yield
    finally:
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


# Connections one process may open; a command waits for a free one (up to POOL_WAIT seconds) instead of
# failing. redis-py's default pool raises "Too many connections" at once past 100, and at ten times the
# sustainable rate a gateway had that many commands in flight (each waiting for a busy event loop to read its
# reply): 1,382 pushes got a 500. A waiting pool of 100 was still too small in the whole stack: 653 waits over
# 3 s, each a 500 or a failed worker step. 400 had none, and used no more memory than 100.
MAX_CONNECTIONS = 400
POOL_WAIT = 10.0


def connect(
    url: str, decode_responses: bool = True, max_connections: int = MAX_CONNECTIONS
) -> aioredis.Redis:
    """A client that outlives a Redis restart: a command on a connection the restart closed is sent again on
    a new one (a few times, backing off up to a second), instead of failing the push or the worker. Only
    connection errors are retried: a command whose connection broke before it was sent was never run."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=decode_responses,
        socket_timeout=2,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=6),
        retry_on_error=[RedisConnectionError],
        max_connections=max_connections,
        timeout=POOL_WAIT,
    )
    return aioredis.Redis.from_pool(pool)  # the client owns the pool: closing it closes the pool


NO_REDIS_URL = "REDIS_URL must point at the running system's Redis (make run: redis://127.0.0.1:6380/0)"


def cli_redis_url() -> str | None:
    """The command-line tools' Redis (they work on a running system's data): REDIS_URL, or None after
    saying on stderr what to set."""
    url = os.environ.get("REDIS_URL")
    if not url:
        print(NO_REDIS_URL, file=sys.stderr)
    return url or None


async def redis_is_up(client: aioredis.Redis) -> bool:
    try:
        return bool(await client.ping())
    except (aioredis.RedisError, OSError):
        return False
