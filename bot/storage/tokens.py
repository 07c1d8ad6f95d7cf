"""The access_token, shared by every process through Redis, refreshed by one process at a time.

WeChat invalidates the previous token on each plain fetch, so processes that each refreshed on their
own would knock out each other's tokens (wechatpy's behaviour). Here one process takes a lock, fetches,
stores; the rest wait for the stored token.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from bot.storage import keys

Fetch = Callable[[bool], Awaitable[tuple[str, int]]]  # force_refresh -> (token, expires_in)

# Delete the token only if it is still the one that failed: a peer may have stored a fresh one.
_INVALIDATE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class TokenStore:
    def __init__(self, client: aioredis.Redis, lock_seconds: float = 15.0, margin: int = 300) -> None:
        self._client = client
        self._lock_ms = int(lock_seconds * 1000)
        self._margin = margin  # refresh this long before WeChat's expiry
        self._invalidate = client.register_script(_INVALIDATE)
        self._unlock = client.register_script(_UNLOCK)

    async def get(self, fetch: Fetch, force: bool = False) -> str:
        deadline = asyncio.get_running_loop().time() + self._lock_ms / 1000 + 5
        while True:
            if not force:
                token = await self._client.get(keys.access_token())
                if token:
                    return str(token)
            owner = secrets.token_hex(8)
            if await self._client.set(keys.access_token_lock(), owner, nx=True, px=self._lock_ms):
                try:
                    # Check again under the lock: a peer may have stored a token between our read and our
                    # lock (it released the lock right after). Fetching again would waste the daily quota.
                    if not force and (stored := await self._client.get(keys.access_token())):
                        return str(stored)
                    token, expires_in = await fetch(force)
                    ttl = max(60, int(expires_in) - self._margin)
                    await self._client.set(keys.access_token(), token, ex=ttl)
                    return token
                finally:
                    await self._unlock(keys=[keys.access_token_lock()], args=[owner])
            force = False  # a peer is refreshing: take what it stores
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("no access_token: the refreshing process did not finish")
            await asyncio.sleep(0.05)

    async def invalidate(self, token: str) -> None:
        await self._invalidate(keys=[keys.access_token()], args=[token])
