"""The atomic lock store against a real Redis: one turn of a conversation at a time, first come first served,
dead holders passed over, as Rasa loads it from endpoints.yml."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("rasa")

import redis
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis, free_port
from rasa_server.lock_store import _ISSUE, AtomicRedisLockStore
from tests.rasa.conftest import hold_redis

_db = itertools.count(8)
ROOT = Path(__file__).resolve().parents[2]


def store(server: EmbeddedRedis | None, db: int, port: int | None = None) -> AtomicRedisLockStore:
    config = EndpointConfig(
        url="127.0.0.1", type="rasa_server.lock_store.AtomicRedisLockStore",
        port=port or (server.port if server else 6379), db=db, socket_timeout=1,
    )  # fmt: skip
    created = LockStore.create(config)
    assert isinstance(created, AtomicRedisLockStore)
    return created


def test_endpoints_yml_names_this_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB_TRACKER": "1",
                        "ACTION_ENDPOINT_URL": "http://x", "TRACKER_RETENTION_SECONDS": "60",
                        "REDIS_URL": "redis://127.0.0.1:6379/0"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")
    assert config is not None and config.type == "rasa_server.lock_store.AtomicRedisLockStore"


def test_turns_of_one_conversation_run_one_at_a_time_in_arrival_order(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    workers = [store(redis_server, db), store(redis_server, db)]  # two Rasa workers sharing Redis
    shared = redis.Redis(port=redis_server.port, db=db)
    order: list[int] = []

    async def turn(number: int) -> None:
        # arrive in number order, far enough apart that a busy machine keeps that order (5 ms apart, one
        # run of the whole suite saw turns 1 and 2 swap), each held longer than the gap so that they queue
        await asyncio.sleep(0.02 * number)
        async with workers[number % 2].lock("o_1", lock_lifetime=10):
            # a read-modify-write that loses updates unless the turns are one at a time
            seen = int(shared.get("counter") or 0)
            await asyncio.sleep(0.04)
            shared.set("counter", seen + 1)
            order.append(number)

    async def main() -> None:
        await asyncio.gather(*(turn(n) for n in range(12)))

    asyncio.run(main())
    assert int(shared.get("counter") or 0) == 12
    assert order == list(range(12))
    # nothing left behind: the last turn removed its ticket
    assert shared.zcard(keys.conversation_lock("o_1")) == 0


def test_other_conversations_do_not_wait(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    locks = store(redis_server, db)
    inside: list[str] = []

    async def other() -> None:
        async with locks.lock("o_b", lock_lifetime=10):
            inside.append("o_b")

    async def main() -> None:
        async with locks.lock("o_a", lock_lifetime=10):
            await asyncio.wait_for(other(), timeout=0.5)

    asyncio.run(main())
    assert inside == ["o_b"]


def test_a_holder_that_died_is_passed_over_when_its_ticket_expires(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    locks = store(redis_server, db)
    raw = redis.Redis(port=redis_server.port, db=db)
    # A worker took ticket 1 and died: its ticket stays until its lifetime runs out.
    raw.register_script(_ISSUE)(
        keys=[keys.conversation_lock("o_2"), keys.conversation_lock_counter("o_2")], args=[_now(), 300]
    )
    assert raw.zcard(keys.conversation_lock("o_2")) == 1

    async def main() -> float:
        loop = asyncio.get_running_loop()
        began = loop.time()
        async with locks.lock("o_2", lock_lifetime=10):
            return loop.time() - began

    waited = asyncio.run(main())
    assert 0.2 <= waited < 2.0


def test_a_waiter_whose_own_ticket_expires_gets_rasas_lock_error(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    locks = store(redis_server, db)

    async def main() -> None:
        async with locks.lock("o_3", lock_lifetime=10), locks.lock("o_3", lock_lifetime=0.2):
            pytest.fail("taken while another turn held it")

    with pytest.raises(LockError):
        asyncio.run(main())
    assert redis.Redis(port=redis_server.port, db=db).zcard(keys.conversation_lock("o_3")) == 0


def test_lock_keys_expire_with_the_lifetime(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    locks = store(redis_server, db)
    raw = redis.Redis(port=redis_server.port, db=db)

    async def main() -> None:
        async with locks.lock("o_4", lock_lifetime=30):
            assert 0 < raw.pttl(keys.conversation_lock("o_4")) <= 30_000
            assert 0 < raw.pttl(keys.conversation_lock_counter("o_4")) <= 30_000
            lock = locks.get_lock("o_4")
            assert lock is not None and [t.number for t in lock.tickets] == [1]

    asyncio.run(main())
    assert locks.get_lock("o_4") is None


def test_redis_unreachable_is_rasas_lock_error() -> None:
    locks = store(None, 0, port=free_port())

    async def main() -> None:
        async with locks.lock("o_5"):
            pytest.fail("locked without Redis")

    with pytest.raises(LockError):
        asyncio.run(main())


def _now() -> int:
    return int(time.time() * 1000)


def test_two_processes_worth_of_workers_never_hold_one_conversation_together(
    redis_server: EmbeddedRedis,
) -> None:
    """Threads, each with its own loop and store, stand in for Rasa workers in separate processes: their
    store calls really interleave (Rasa's read-modify-write store lets two of them hold ticket 0)."""
    db = next(_db)
    shared = redis.Redis(port=redis_server.port, db=db)

    def worker() -> None:
        locks = store(redis_server, db)

        async def turns() -> None:
            for _ in range(15):
                async with locks.lock("o_6", lock_lifetime=10):
                    seen = int(shared.get("counter") or 0)
                    await asyncio.sleep(0.002)
                    shared.set("counter", seen + 1)

        asyncio.run(turns())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert int(shared.get("counter") or 0) == 45


def test_a_turn_called_off_while_its_ticket_is_issued_gives_the_ticket_back(
    redis_server: EmbeddedRedis,
) -> None:
    """A citizen's request that times out cancels its turn; a ticket issued meanwhile must not hold the
    citizen's next turn for the lock's lifetime."""
    db = next(_db)
    locks = store(redis_server, db)
    raw = redis.Redis(port=redis_server.port, db=db)

    async def main() -> float:
        busy = hold_redis(redis_server.port, 0.3)
        turn = asyncio.ensure_future(_hold(locks, "o_7"))
        await asyncio.sleep(0.05)  # the ticket's script is sent and waits behind the long one
        turn.cancel()
        with pytest.raises(asyncio.CancelledError):
            await turn
        await asyncio.to_thread(busy.join)
        await asyncio.sleep(0.05)
        began = time.monotonic()
        async with locks.lock("o_7", lock_lifetime=10):
            return time.monotonic() - began

    assert asyncio.run(main()) < 0.5  # not the 10 s lifetime of a ticket left behind
    assert raw.zcard(keys.conversation_lock("o_7")) == 0


def test_a_turn_called_off_while_holding_the_lock_gives_it_back(redis_server: EmbeddedRedis) -> None:
    db = next(_db)
    locks = store(redis_server, db)
    raw = redis.Redis(port=redis_server.port, db=db)

    async def main() -> None:
        turn = asyncio.ensure_future(_hold(locks, "o_8", seconds=5))
        await asyncio.sleep(0.1)
        assert raw.zcard(keys.conversation_lock("o_8")) == 1
        busy = hold_redis(redis_server.port, 0.3)  # the release waits for Redis as the turn is called off
        turn.cancel()
        with pytest.raises(asyncio.CancelledError):
            await turn
        await asyncio.to_thread(busy.join)

    asyncio.run(main())
    assert raw.zcard(keys.conversation_lock("o_8")) == 0


async def _hold(locks: AtomicRedisLockStore, conversation: str, seconds: float = 0.0) -> None:
    async with locks.lock(conversation, lock_lifetime=10):
        await asyncio.sleep(seconds)
