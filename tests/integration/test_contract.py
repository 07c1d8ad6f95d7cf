"""The 5-second contract against real Redis and the real Rasa model, with Rasa made slow on purpose."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from bot.storage.turnlog import ANSWERED_ON_ARRIVAL, TurnLog
from bot.wechat.simulator import event_push, text_push
from tests.integration.conftest import GatewayProcess, World, in_order

BOOKING = "口罩怎么预约"


async def test_fast_answer_is_passive_on_the_first_delivery(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
    assert delivery.statuses == [200]
    assert delivery.reply is not None and "预约" in delivery.reply
    assert world.proxy.messages[citizen.openid] == 1
    assert world.fake.sends == []


async def test_slow_message_three_deliveries_one_rasa_call_one_answer(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.delay = 7.0  # misses delivery 1 (5 s), lands inside delivery 2's wait
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
        await asyncio.sleep(1)
    assert delivery.statuses == [None, 200]
    assert delivery.reply is not None and "预约" in delivery.reply
    assert world.proxy.messages[citizen.openid] == 1
    assert [s for s in world.fake.sends if s["touser"] == citizen.openid] == []


async def test_answer_after_12_seconds_reaches_the_citizen_passively_on_the_last_retry(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.delay = 12.0
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
    assert delivery.statuses == [None, None, 200]
    assert delivery.reply is not None and "预约" in delivery.reply
    assert world.proxy.messages[citizen.openid] == 1
    assert world.fake.sends == []


async def test_answer_later_than_the_last_delivery_goes_through_the_outbox(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.delay = 17.0  # the third delivery gives up at about 14.5 s
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
        assert delivery.statuses == [None, None, 200]
        assert delivery.reply is None  # `success`: WeChat shows nothing and stops retrying
        sends = await world.sends_to(citizen.openid, 1, timeout=15)
    assert len(sends) == 1
    assert "预约" in sends[0]["content"]
    assert world.proxy.messages[citizen.openid] == 1


async def test_two_gateway_processes_sharing_redis_answer_once(
    world: World, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    world.proxy.delay = 7.0
    a = GatewayProcess(world.env(), tmp_path / "a.log")
    b = GatewayProcess(world.env(), tmp_path / "b.log")
    try:
        await asyncio.gather(a.ready(http), b.ready(http))
        citizen = world.citizen(a.url)
        push = text_push(citizen.openid, citizen.account, BOOKING)
        query, body = citizen.sign(push)

        async def post(url: str) -> tuple[int, str] | None:
            try:
                async with asyncio.timeout(5), http.post(url, params=query, data=body) as response:
                    return response.status, await response.text()
            except TimeoutError:
                return None

        # WeChat's load balancer: the first delivery to A, the retry to B, both at once for good measure.
        first, second = await asyncio.gather(post(a.url), post(b.url))
        assert first is None and second is None  # neither has the answer within 5 s
        third = await post(b.url)
        await asyncio.sleep(2)
    finally:
        a.stop()
        b.stop()
    assert third is not None and third[0] == 200
    assert "预约" in third[1]
    assert world.proxy.messages[citizen.openid] == 1
    assert [s for s in world.fake.sends if s["touser"] == citizen.openid] == []


async def test_a_citizens_messages_reach_rasa_in_order_whichever_gateway_works_them(
    world: World, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """A slow first message and a quick second one from the same citizen, through two gateway processes
    sharing the inbox: the second waits for the first, so Rasa sees the conversation in the order it was
    written (otherwise "谢谢" would overtake the question it thanks for)."""
    world.proxy.slow_texts = {BOOKING: 3.0}
    a = GatewayProcess(world.env(), tmp_path / "a.log")
    b = GatewayProcess(world.env(), tmp_path / "b.log")
    try:
        await asyncio.gather(a.ready(http), b.ready(http))
        citizen = world.citizen(a.url)
        first = asyncio.create_task(
            citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
        )
        await asyncio.sleep(0.3)
        citizen.url = b.url
        second = await citizen.deliver(http, text_push(citizen.openid, citizen.account, "谢谢"))
        answered_first = await first
    finally:
        a.stop()
        b.stop()
    assert [text for sender, text in world.proxy.forwarded if sender == citizen.openid] == [BOOKING, "谢谢"]
    assert answered_first.reply is not None and "预约" in answered_first.reply
    assert second.reply is not None
    assert world.proxy.messages[citizen.openid] == 2


async def test_a_queue_too_far_behind_acknowledges_at_once_and_answers_through_the_outbox(
    world: World, http: aiohttp.ClientSession
) -> None:
    """Admission: 18 slow messages fill the inbox worker's 16 places, so two wait; a message arriving when
    the oldest of those has waited over ADMIT_WAIT gets `success` on its first delivery, without being
    held, and its answer comes once through the outbox. The messages already waiting are all answered."""
    world.proxy.delay = 6.0
    async with world.gateway(ADMIT_WAIT="1") as url:
        crowd = [world.citizen(url) for _ in range(18)]
        waiting = [
            asyncio.create_task(c.deliver(http, text_push(c.openid, c.account, BOOKING))) for c in crowd
        ]
        await asyncio.sleep(1.5)
        late = world.citizen(url)
        started = asyncio.get_running_loop().time()
        delivery = await late.deliver(http, text_push(late.openid, late.account, BOOKING))
        elapsed = asyncio.get_running_loop().time() - started
        assert delivery.statuses == [200] and delivery.reply is None, delivery
        assert elapsed < 2.0, elapsed  # not held for a retry: acknowledged at once
        sends = await world.sends_to(late.openid, 1, timeout=30)
        earlier = await asyncio.gather(*waiting)
        await asyncio.sleep(1)
        sends = [s for s in world.fake.sends if s["touser"] == late.openid]
    assert len(sends) == 1 and "预约" in sends[0]["content"]
    assert world.proxy.messages[late.openid] == 1
    for citizen, got in zip(crowd, earlier, strict=True):
        answered = got.reply is not None or [s for s in world.fake.sends if s["touser"] == citizen.openid]
        assert answered, (citizen.openid, got)


async def test_a_citizens_deferred_answers_in_a_rush_travel_together_in_one_send(
    world: World, http: aiohttp.ClientSession
) -> None:
    """A rush defers every message on arrival (ADMIT_WAIT 0 here) and Rasa takes a second a turn. A citizen
    writes four times: each answer waits for the next, and all four go in one send, in order, each labelled
    with its question. One at a time they would take four of the five sends WeChat allows after the
    citizen's last message; eight would lose three."""
    world.proxy.delay = 1.0
    said = ["你好", "口罩怎么预约", "口罩到哪里领取", "谢谢"]
    async with world.gateway(ADMIT_WAIT="0") as url:
        citizen = world.citizen(url)
        for text in said:
            delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, text))
            assert delivery.statuses == [200] and delivery.reply is None  # `success` at once
        sends = await world.answered(citizen.openid, [f"关于“{text}”" for text in said], timeout=30)
        await asyncio.sleep(1)
        sends = [s for s in world.fake.sends if s["touser"] == citizen.openid]
    assert len(sends) == 1, sends
    content = sends[0]["content"]
    assert in_order(content, [f"关于“{text}”" for text in said])
    assert in_order(content, ["关于“口罩怎么预约”", "预约", "关于“口罩到哪里领取”", "领取"])
    assert [text for sender, text in world.proxy.forwarded if sender == citizen.openid] == said


async def test_a_content_button_in_a_rush_is_answered_at_once_from_the_content(
    world: World, http: aiohttp.ClientSession
) -> None:
    """A rush defers every message on arrival (ADMIT_WAIT 0 here; Rasa takes a second a turn). A menu button
    for published content needs no understanding: it gets its passive answer at once, from the content,
    with no Rasa turn (deferred, its one-minute window of sends would close behind the rush). A button
    pressed while the citizen's question before it is unanswered waits its turn: both answers go together,
    in order."""
    world.proxy.delay = 1.0
    async with world.gateway(ADMIT_WAIT="0") as url:
        clicker = world.citizen(url)
        click = event_push(clicker.openid, clicker.account, "CLICK", "MASK_BOOKING")
        delivery = await clicker.deliver(http, click)
        assert delivery.statuses == [200] and delivery.reply is not None and "预约" in delivery.reply
        booking = delivery.reply
        asker = world.citizen(url)
        question = await asker.deliver(http, text_push(asker.openid, asker.account, "口罩到哪里领取"))
        then = await asker.deliver(http, event_push(asker.openid, asker.account, "CLICK", "MASK_BOOKING"))
        assert question.reply is None and then.reply is None  # `success`: both wait for Rasa
        sends = await world.answered(asker.openid, ["关于“口罩到哪里领取”", booking], timeout=30)
    assert in_order("\n".join(s["content"] for s in sends), ["关于“口罩到哪里领取”", booking]), sends
    assert world.proxy.messages[clicker.openid] == 0
    assert world.proxy.messages[asker.openid] == 2
    assert not [s for s in world.fake.sends if s["touser"] == clicker.openid]
    # Rasa never saw the click, but the daily report counts it: the gateway logged its turn, once
    logged = await TurnLog(world.redis).between(time.time() - 600, time.time() + 60)
    clicks = [(t.intent, t.actions, t.fell_back) for t in logged if t.sender == clicker.openid]
    assert clicks == [("ask_mask_booking", (ANSWERED_ON_ARRIVAL,), False)]
