"""A delivery whose answer did not come in its budget is held so that WeChat delivers again (contract step 3),
unless the inbox is as far behind as admission's mark: then WeChat's next delivery would wait as long in vain,
and the message is deferred at once (its answer goes through the outbox)."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from bot.contract import Contract, ContractTiming, Waiters
from bot.metrics import Metrics
from bot.storage import keys
from bot.storage.messages import MessageStore
from bot.storage.streams import ensure_group

TIMING = ContractTiming(budget=0.3, hold=1.5, deliveries=3, admit_wait=0.5)


async def _inbox_behind(client: aioredis.Redis, seconds: float) -> None:
    """The inbox holds one message no worker has taken, queued `seconds` ago."""
    await client.delete(keys.inbox())
    await client.xadd(keys.inbox(), {"key": "msg:older"}, id=f"{int((time.time() - seconds) * 1000)}-0")
    await ensure_group(client, keys.inbox(), keys.inbox_group())


async def test_a_first_delivery_without_an_answer_is_deferred_when_the_inbox_is_behind(
    client: aioredis.Redis,
) -> None:
    store = MessageStore(client)
    metrics = Metrics()
    contract = Contract(store, Waiters(), TIMING, metrics)
    # Accepted while the inbox was still on time: queued pending, its delivery waits for an answer.
    await ensure_group(client, keys.inbox(), keys.inbox_group())
    accepted = await store.accept("msg:b1", "o_b1", {"text": "你好"}, time.time() + 30, defer_after=0.5)
    assert accepted.state == "pending"
    await _inbox_behind(client, seconds=5.0)
    started = time.monotonic()
    # WeChat's next delivery of that message (2 of 3) finds no answer within its budget.
    assert await contract.reply("msg:b1", "o_b1", "你好", False) is None
    assert time.monotonic() - started < TIMING.hold  # replied `success` at once, not held
    assert await client.hget(keys.message("msg:b1"), "state") == "deferred"
    assert 'frontdoor_replies_deferred_total{when="behind"} 1.0' in metrics.render().decode()


async def test_a_delivery_without_an_answer_is_held_when_the_inbox_is_on_time(client: aioredis.Redis) -> None:
    store = MessageStore(client)
    contract = Contract(store, Waiters(), TIMING)
    await ensure_group(client, keys.inbox(), keys.inbox_group())
    started = time.monotonic()
    # The only message is this one, just queued: the inbox is not behind, so WeChat is made to deliver again.
    assert await contract.reply("msg:h1", "o_h1", "你好", False) is None
    assert time.monotonic() - started >= TIMING.hold - 0.05
    assert await client.hget(keys.message("msg:h1"), "state") == "pending"
