"""The inbox worker against a real Redis: a dead gateway's messages are taken over, however many."""

from __future__ import annotations

import asyncio
import contextlib
import time

import redis.asyncio as aioredis

from bot.storage import keys
from bot.storage.messages import MessageStore
from bot.storage.streams import ensure_group
from bot.workers.inbox import CLAIM_BATCH, GROUP, InboxWorker


async def test_a_dead_workers_messages_are_all_taken_over(client: aioredis.Redis) -> None:
    """A gateway took more messages than one look claims, and died before answering any: another gateway's
    worker answers every one of them, each once, as soon as they count as abandoned (not one batch per
    look: a look comes only every few seconds)."""
    store = MessageStore(client)
    await ensure_group(client, keys.inbox(), GROUP)
    count = CLAIM_BATCH * 2 + 5
    for n in range(count):
        await store.accept(
            f"msg:dead{n}", f"o_dead{n}", {"openid": f"o_dead{n}", "text": f"问题{n}"}, time.time() + 30
        )
    taken = await client.xreadgroup(GROUP, "dead-gateway", {keys.inbox(): ">"}, count=count)
    assert len(taken[0][1]) == count  # all of them held by the dead consumer, none acknowledged
    answered: list[str] = []
    all_answered = asyncio.Event()

    async def answer(openid: str, text: str, is_event: bool, key: str, sent_at: int) -> list[str]:
        answered.append(key)
        if len(answered) >= count:
            all_answered.set()
        return [f"答：{text}"]

    await asyncio.sleep(1.1)  # abandoned: idle past claim_idle
    # One look now, the next only in a minute: everything must come from the first look's batches.
    worker = InboxWorker(
        client, store, answer, "alive-gateway", on_finished=lambda key: None, claim_idle=1.0, claim_every=60
    )
    task = asyncio.create_task(worker.run())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_answered.wait(), timeout=15)
        await asyncio.sleep(0.5)  # the last one's finish is written
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert sorted(answered) == sorted(f"msg:dead{n}" for n in range(count))  # every one, once
    assert await client.xlen(keys.inbox()) == 0
    assert await store.collect("msg:dead0") == ["答：问题0"]


async def test_abandoned_messages_behind_many_held_ones_are_found(client: aioredis.Redis) -> None:
    """A dead gateway's messages queued behind more pending entries than one look scans (a hundred), all
    held by a live gateway that is still working on them: the scan carries on from where it stopped, so they
    are answered in a fraction of a second, not when the next full look comes (here a minute later)."""
    store = MessageStore(client)
    await ensure_group(client, keys.inbox(), GROUP)
    live, dead = CLAIM_BATCH * 15, 5
    for n in range(live + dead):
        await store.accept(f"msg:{n}", f"o_{n}", {"openid": f"o_{n}", "text": f"问题{n}"}, time.time() + 30)
    await client.xreadgroup(GROUP, "live-gateway", {keys.inbox(): ">"}, count=live)
    await client.xreadgroup(GROUP, "dead-gateway", {keys.inbox(): ">"}, count=dead)
    await asyncio.sleep(3.1)  # the dead gateway's entries are abandoned (idle past claim_idle)...
    held = [entry_id for entry_id, _fields in await client.xrange(keys.inbox(), count=live)]
    await client.xclaim(keys.inbox(), GROUP, "live-gateway", 0, held)  # ...the live one's are fresh again
    answered: list[str] = []
    dead_answered = asyncio.Event()
    dead_keys = {f"msg:{n}" for n in range(live, live + dead)}

    async def answer(openid: str, text: str, is_event: bool, key: str, sent_at: int) -> list[str]:
        answered.append(key)
        if dead_keys <= set(answered):
            dead_answered.set()
        return [f"答：{text}"]

    worker = InboxWorker(
        client, store, answer, "alive-gateway", on_finished=lambda key: None, claim_idle=3.0, claim_every=60
    )
    task = asyncio.create_task(worker.run())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(dead_answered.wait(), timeout=2.5)  # before the live ones turn idle
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert sorted(answered) == sorted(dead_keys)  # the dead gateway's, each once; none of the live one's
