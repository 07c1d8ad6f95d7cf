"""A delivery waiting in one gateway hears at once that another gateway stored its answer (pub/sub)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.contract import Contract, ContractTiming, Waiters, listen_for_answers
from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis
from bot.storage.messages import MessageStore
from bot.storage.redis import connect


async def test_an_answer_stored_elsewhere_wakes_the_waiting_delivery_without_polling(
    redis_server: EmbeddedRedis,
) -> None:
    here = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/5")
    elsewhere = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/5")
    await here.flushdb()
    # Polling every 30 s: only the notice can bring the answer within the test's second.
    contract = Contract(MessageStore(here), Waiters(), ContractTiming(budget=4.5, poll=30.0))
    listener = asyncio.create_task(listen_for_answers(here, contract.waiters))
    try:
        await asyncio.sleep(0.2)  # subscribed
        waiting = asyncio.create_task(contract.reply("msg:n1", "o_n", "你好", False))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await MessageStore(elsewhere).finish("msg:n1", "o_n", ["您好！"])  # another gateway's worker
        texts = await asyncio.wait_for(waiting, 2.0)
        assert texts == ["您好！"]
        assert time.monotonic() - started < 1.0
    finally:
        await _stop(listener)
        await here.aclose()
        await elsewhere.aclose()


async def test_a_retry_of_a_deferred_message_is_acknowledged_at_once(redis_server: EmbeddedRedis) -> None:
    """In a rush a deferred message's `success` can reach WeChat late, and WeChat delivers it again: the
    answer is going through the outbox, so the retry gets `success` at once instead of being held 5.5 s."""
    client = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/6", decode_responses=True)
    await client.flushdb()
    store = MessageStore(client)
    contract = Contract(store, Waiters(), ContractTiming(budget=4.5, hold=5.5, admit_wait=0.0))
    try:
        await store.accept("msg:q0", "o_q0", {}, time.time() + 30)  # a message waiting: the inbox is behind
        started = time.monotonic()
        assert await contract.reply("msg:q1", "o_q1", "你好", False) is None  # deferred on arrival
        assert time.monotonic() - started < 0.5
        assert await client.hget(keys.message("msg:q1"), "state") == "deferred"
        for state in ("deferred", "sent"):
            await client.hset(keys.message("msg:q1"), "state", state)
            started = time.monotonic()
            assert await contract.reply("msg:q1", "o_q1", "你好", False) is None
            assert time.monotonic() - started < 0.5, state
    finally:
        await client.aclose()


async def test_an_answer_stored_while_the_listener_was_away_still_wakes_the_delivery(
    redis_server: EmbeddedRedis,
) -> None:
    """The look in Redis without a notice comes only at the end of the budget: a listener that (re)subscribes
    must wake the waiting deliveries itself, since the notices sent while it was away are lost."""
    here = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/7")
    await here.flushdb()
    contract = Contract(MessageStore(here), Waiters(), ContractTiming(budget=4.5, poll=30.0))
    listener: asyncio.Task[None] | None = None
    try:
        waiting = asyncio.create_task(contract.reply("msg:away1", "o_away", "你好", False))
        await asyncio.sleep(0.2)
        await MessageStore(here).finish("msg:away1", "o_away", ["您好！"])  # no gateway was listening
        await asyncio.sleep(0.3)
        assert not waiting.done()
        started = time.monotonic()
        listener = asyncio.create_task(listen_for_answers(here, contract.waiters))  # back after a reconnect
        texts = await asyncio.wait_for(waiting, 2.0)
        assert texts == ["您好！"]
        assert time.monotonic() - started < 1.0
    finally:
        if listener is not None:
            await _stop(listener)
        await here.aclose()


async def test_a_reconnection_of_the_listener_wakes_the_waiting_deliveries(
    redis_server: EmbeddedRedis,
) -> None:
    """With the gateway's client (`connect`: connection errors retried), redis-py connects again and
    resubscribes by itself when the listener's connection drops; an answer whose notice was published
    meanwhile is found because the reconnection wakes every waiting delivery."""
    here = connect(redis_server.url.rsplit("/", 1)[0] + "/8", decode_responses=False)
    await here.flushdb()
    contract = Contract(MessageStore(here), Waiters(), ContractTiming(budget=4.5, poll=30.0))
    listener = asyncio.create_task(listen_for_answers(here, contract.waiters))
    try:
        await asyncio.sleep(0.2)  # subscribed
        waiting = asyncio.create_task(contract.reply("msg:rc1", "o_rc", "你好", False))
        await asyncio.sleep(0.2)
        # The answer is stored and its notice lost (published while the listener's connection was down)...
        await here.hset(keys.message("msg:rc1"), mapping={"state": "answered", "answer": '["您好！"]'})
        # ...and the connection drops: the listener carries on, on a new one.
        await here.client_kill_filter(_type="pubsub")
        assert await asyncio.wait_for(waiting, 2.0) == ["您好！"]
        assert not listener.done()
    finally:
        await _stop(listener)
        await here.aclose()


async def test_a_listener_whose_connection_stops_answering_fails_to_be_started_again(
    redis_server: EmbeddedRedis,
) -> None:
    """A connection that no longer answers (half-open; here Redis paused) raises no error by itself: the
    listener asks for a PONG after a silence and fails without one, so that `_forever` starts it anew."""
    here = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/9")
    admin = aioredis.Redis.from_url(redis_server.url.rsplit("/", 1)[0] + "/9")
    listener = asyncio.create_task(listen_for_answers(here, Waiters(), ping_after=0.3))
    try:
        await asyncio.sleep(1.0)  # subscribed, and answering PINGs
        assert not listener.done()
        await admin.execute_command("CLIENT", "PAUSE", 1500, "ALL")
        with pytest.raises(RedisConnectionError):
            await asyncio.wait_for(listener, 1.4)
    finally:
        await _stop(listener)
        await asyncio.sleep(1.0)  # the pause is over for the other tests
        await here.aclose()
        await admin.aclose()


async def test_the_listener_on_the_gateways_client_hears_its_pong_and_stays_up(
    redis_server: EmbeddedRedis,
) -> None:
    """The gateway's client decodes replies (`connect`, decode_responses): redis-py 8 dropped the PONG then,
    and the listener failed on its first look and was started again every second, so no notice woke a
    waiting delivery. Here it stays up through several silences, and a notice still wakes a delivery."""
    here = connect(redis_server.url.rsplit("/", 1)[0] + "/10")
    contract = Contract(MessageStore(here), Waiters(), ContractTiming(budget=4.5, poll=30.0))
    listener = asyncio.create_task(listen_for_answers(here, contract.waiters, ping_after=0.2))
    try:
        await asyncio.sleep(1.2)  # several silences, each answered by a PONG
        assert not listener.done()
        waiting = asyncio.create_task(contract.reply("msg:pg1", "o_pg", "你好", False))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await MessageStore(here).finish("msg:pg1", "o_pg", ["您好！"])
        assert await asyncio.wait_for(waiting, 2.0) == ["您好！"]
        assert time.monotonic() - started < 1.0
    finally:
        await _stop(listener)
        await here.aclose()


async def _stop(listener: asyncio.Task[None]) -> None:
    """Cancel a listener and wait for it (one that failed on purpose raises its error here: ignored)."""
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, RedisConnectionError):
        await listener
