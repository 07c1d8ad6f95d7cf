"""Per-conversation locks for Rasa in one Redis step each: take a ticket, ask again, give it back.

Rasa holds a lock on a conversation for every turn, so two messages of one citizen are never worked at once.
Its `RedisLockStore` keeps a conversation's tickets as one JSON value that every step reads, changes and
writes back: seven synchronous round trips a turn (py-spy at 50 msg/s: 11 % of the Rasa server's time), and
between two Rasa workers a race, since nothing stops both from reading the same value and both writing ticket
0. A held lock is then asked about again once a second.

Here a conversation's tickets are a sorted set scored by ticket number, each member carrying its expiry. One
Lua script drops expired tickets, issues the next number and says whether it is first; a waiter asks again
every `poll` seconds (one script each); the holder removes its ticket. First come, first served, as Rasa's
tickets; a holder that died is passed over once its ticket expires (Rasa's lock lifetime, `LOCK_LIFETIME`),
and a waiter whose own ticket expires gets Rasa's `LockError`.

Configured in endpoints.yml (`lock_store: type: rasa_server.lock_store.AtomicRedisLockStore`, with the
settings of Rasa's Redis lock store). Keys: `bot.storage.keys.conversation_lock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis

from bot.storage import keys
from rasa_server import loop_redis

POLL_SECONDS = 0.02  # how often a waiter asks again (Rasa's own store: once a second)

# Shared by both scripts: drop the expired tickets of KEYS[1] (members `<number>:<expiry ms>`), and say
# whether `ticket` is now the lowest number left.
_TICKETS = """
local function prune(key, now)
  for _, member in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    if tonumber(string.match(member, ':(%d+)$')) <= now then redis.call('ZREM', key, member) end
  end
end
local function first_in_line(key, ticket)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(first[2]) == ticket
end
"""

# KEYS[1] the tickets, KEYS[2] the ticket counter; ARGV[1] now (ms), ARGV[2] lifetime (ms).
# Returns the new ticket's number and 1 when it is first in line, else 0.
_ISSUE = (
    _TICKETS
    + """
local now = tonumber(ARGV[1])
prune(KEYS[1], now)
local ticket = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ticket, ticket .. ':' .. (now + tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {ticket, first_in_line(KEYS[1], ticket) and 1 or 0}
"""
)

# KEYS[1] the tickets; ARGV[1] now (ms), ARGV[2] the ticket.
# Returns 1: first in line; 0: wait; -1: the ticket expired.
_TRY = (
    _TICKETS
    + """
local ticket = tonumber(ARGV[2])
prune(KEYS[1], tonumber(ARGV[1]))
if redis.call('ZCOUNT', KEYS[1], ticket, ticket) == 0 then return -1 end
return first_in_line(KEYS[1], ticket) and 1 or 0
"""
)


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Scripts:
    """One event loop's client with the two scripts registered on it."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.issue = client.register_script(_ISSUE)
        self.try_again = client.register_script(_TRY)


async def _give_back(scripts: _Scripts, tickets: str, ticket: int) -> None:
    await scripts.client.zremrangebyscore(tickets, ticket, ticket)


class AtomicRedisLockStore(LockStore):
    """Rasa's lock store interface, with each step one atomic script instead of a read-modify-write."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        settings: dict[str, Any] = dict(endpoint_config.kwargs)
        connection: dict[str, Any] = {
            "host": endpoint_config.url or "localhost",
            "port": int(settings.get("port", 6379)),
            "db": int(settings.get("db", 1)),
            "username": settings.get("username"),
            "password": settings.get("password"),
            "ssl": bool(settings.get("use_ssl", False)),
            "socket_timeout": float(settings.get("socket_timeout", 10)),
        }
        self.red = redis.StrictRedis(**connection)
        self.poll = float(settings.get("poll_seconds", POLL_SECONDS))
        # A turn's steps go through an asyncio client (rasa_server/loop_redis.py); the synchronous one
        # above serves the interface's synchronous lookups (`get_lock`, `delete_lock`), which Rasa 3.6's
        # server never calls.
        self._scripts = loop_redis.PerLoop(lambda: _Scripts(loop_redis.client(**connection)))
        super().__init__()

    def _keys(self, conversation_id: str) -> tuple[str, str]:
        return keys.conversation_lock(conversation_id), keys.conversation_lock_counter(conversation_id)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold `conversation_id` for one turn. `wait_time_in_seconds` (Rasa's callers leave its default of
        1 s) is not used: a waiter asks again every `poll` seconds, so a turn held behind another starts
        within 20 ms of it ending rather than up to a second later."""
        tickets, counter = self._keys(conversation_id)
        lifetime_ms = max(1, int(lock_lifetime * 1000))
        scripts = self._scripts.get()
        issuing = asyncio.ensure_future(scripts.issue(keys=[tickets, counter], args=[_now_ms(), lifetime_ms]))
        try:
            ticket, first = await asyncio.shield(issuing)
        except asyncio.CancelledError:
            # The turn was called off while the ticket was being issued: give the ticket back once it is,
            # or it would hold the citizen's next turn for the lock's lifetime.
            loop_redis.keep_until_done(self._give_back_when_issued(scripts, tickets, issuing))
            raise
        except redis.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        try:
            while not first:
                await asyncio.sleep(self.poll)
                state = await scripts.try_again(keys=[tickets], args=[_now_ms(), ticket])
                if state < 0:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                first = state == 1
            yield TicketLock(conversation_id, deque([Ticket(int(ticket), time.time() + lock_lifetime)]))
        finally:
            # On failure the ticket expires with the lock's lifetime: the next turn waits at most that long.
            with contextlib.suppress(redis.RedisError):
                await loop_redis.finish_even_if_cancelled(_give_back(scripts, tickets, int(ticket)))

    @staticmethod
    async def _give_back_when_issued(scripts: _Scripts, tickets: str, issuing: asyncio.Future[Any]) -> None:
        with contextlib.suppress(redis.RedisError, asyncio.CancelledError):
            ticket, _ = await issuing
            await _give_back(scripts, tickets, int(ticket))

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """The conversation's unexpired tickets as Rasa's `TicketLock` (for Rasa's helpers that look)."""
        tickets, _ = self._keys(conversation_id)
        now = time.time()
        found: deque[Ticket] = deque()
        for member in self.red.zrange(tickets, 0, -1):
            number, expires = member.decode().split(":")
            if int(expires) / 1000 > now:
                found.append(Ticket(int(number), int(expires) / 1000))
        return TicketLock(conversation_id, found) if found else None

    def delete_lock(self, conversation_id: str) -> None:
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("tickets are issued and removed by the lock's scripts, never written whole")
