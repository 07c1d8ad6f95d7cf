"""One citizen flooding is slowed down politely, without reaching Rasa and without slowing anyone else."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bot.core import answers
from bot.wechat.simulator import text_push
from tests.integration.conftest import World
from tests.integration.test_metrics import scrape

LIMIT = 5


async def test_a_flooding_citizen_is_slowed_down_and_others_are_answered(
    world: World, http: aiohttp.ClientSession
) -> None:
    if time.time() % 60 > 40:  # the count is per minute: start early in one
        await asyncio.sleep(61 - time.time() % 60)
    async with world.gateway(FLOOD_PER_MINUTE=str(LIMIT)) as url:
        flooder, neighbour = world.citizen(url), world.citizen(url)
        replies = [await flooder.send_text(http, f"你好{n}") for n in range(LIMIT + 3)]
        assert all(r and r != answers.SLOW_DOWN for r in replies[:LIMIT])
        assert replies[LIMIT:] == [answers.SLOW_DOWN] * 3
        # WeChat delivering the same message again is not one more message
        push = text_push(flooder.openid, flooder.account, "重复投递的同一条消息", msg_id=987654321)
        first, again = await flooder.deliver(http, push), await flooder.deliver(http, push)
        assert first.reply == again.reply == answers.SLOW_DOWN
        assert world.proxy.messages[flooder.openid] == LIMIT  # Rasa never saw the flood
        reply = await neighbour.send_text(http, "口罩怎么预约")
        assert reply and "每人每次可预约" in reply
        samples = await scrape(http, url)
    assert samples[("frontdoor_throttled_total", frozenset())] == 5  # deliveries slowed: 3, then 2 of one
