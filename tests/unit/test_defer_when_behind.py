"""A delivery whose answer did not come in its budget is held so that WeChat delivers again (contract step 3),
unless no worker has taken the message yet and the inbox is as far behind as admission's mark: then WeChat's
next delivery would wait as long in vain, and the message is deferred at once (its answer goes through the
outbox). A message a worker has taken may be answered for that next delivery: it is held as before."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from bot.contract import Contract, ContractTiming, Waiters
from bot.metrics import Metrics
from bot.storage import keys
from bot.storage.messages import MessageStore
from bot.storage.streams import ensure_group, read_new

TIMING = ContractTiming(budget=0.3, hold=1.5, deliveries=3, admit_wait=0.5)


async def _queued_earlier(client: aioredis.Redis, seconds: float) -> None:
    """The inbox's oldest message, one no worker has taken, queued `seconds` ago (its entry id is its arrival
    time)."""
    await client.delete(keys.inbox())
    await client.xadd(keys.inbox(), {"key": "msg:older"}, id=f"{int((time.time() - seconds) * 1000)}-0")
    await ensure_group(client, keys.inbox(), keys.inbox_group())


async def test_a_delivery_without_an_answer_is_deferred_when_its_message_waits_in_a_late_inbox(
    client: aioredis.Redis,
) -> None:
    store = MessageStore(client)
    metrics = Metrics()
    contract = Contract(store, Waiters(), TIMING, metrics)
    await _queued_earlier(client, seconds=5.0)
    started = time.monotonic()
    # Queued before the rush was seen (not deferred on arrival), and no worker takes it.
    accepted = await store.accept("msg:b1", "o_b1", {"text": "你好"}, time.time() + 30)
    assert accepted.state == "pending"
    assert await contract.reply("msg:b1", "o_b1", "你好", False) is None  # WeChat's second delivery
    assert time.monotonic() - started < TIMING.hold  # replied `success` at the budget's end, not held
    assert await client.hget(keys.message("msg:b1"), "state") == "deferred"
    assert 'frontdoor_replies_deferred_total{when="behind"} 1.0' in metrics.render().decode()


async def test_a_message_a_worker_has_taken_is_held_for_the_next_delivery(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    timing = ContractTiming(budget=0.4, hold=1.5, deliveries=3, admit_wait=0.1)
    contract = Contract(store, Waiters(), timing)
    await ensure_group(client, keys.inbox(), keys.inbox_group())
    await store.accept("msg:t1", "o_t1", {"text": "你好"}, time.time() + 30)
    # A worker takes it and asks Rasa; another citizen's message waits behind it, untaken, so the inbox
    # falls behind: still, this message's answer may come in time for WeChat's next delivery.
    assert len(await read_new(client, keys.inbox(), keys.inbox_group(), "worker-1", 1, 100)) == 1
    await store.accept("msg:t2", "o_t2", {"text": "在吗"}, time.time() + 30)
    started = time.monotonic()
    assert await contract.reply("msg:t1", "o_t1", "你好", False) is None
    assert time.monotonic() - started >= timing.hold - 0.05
    assert await client.hget(keys.message("msg:t1"), "state") == "pending"


async def test_a_delivery_without_an_answer_is_held_when_the_inbox_is_on_time(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    contract = Contract(store, Waiters(), TIMING)
    await ensure_group(client, keys.inbox(), keys.inbox_group())
    started = time.monotonic()
    # The only message is this one, just queued: the inbox is not behind, so WeChat is made to deliver again.
    assert await contract.reply("msg:h1", "o_h1", "你好", False) is None
    assert time.monotonic() - started >= TIMING.hold - 0.05
    assert await client.hget(keys.message("msg:h1"), "state") == "pending"


async def test_a_message_already_deferred_is_not_held(client: aioredis.Redis) -> None:
    """Another delivery of the message (a late one, in a rush) deferred it while this one waited: this one has
    nothing to hold for, even with the inbox on time."""
    store = MessageStore(client)
    contract = Contract(store, Waiters(), TIMING)
    await ensure_group(client, keys.inbox(), keys.inbox_group())
    await store.accept("msg:d1", "o_d1", {"text": "你好"}, time.time() + 30)
    started = time.monotonic()
    waiting = asyncio.create_task(contract.reply("msg:d1", "o_d1", "你好", False))
    await asyncio.sleep(0.1)
    await store.defer("msg:d1")
    assert await waiting is None
    assert time.monotonic() - started < TIMING.hold - 0.3
