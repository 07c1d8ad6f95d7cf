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
