"""Outages lose nothing: with Rasa or its action server down, the citizen is told within WeChat's 5 s that the
message is recorded, and it is answered, in order, when the service is back; Rasa's tracker holds it once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bot.core import answers
from bot.storage import keys
from bot.storage.turnlog import ANSWERED_ON_ARRIVAL, TurnLog
from tests.integration.conftest import World, in_order

ROUTINE = (("口罩怎么预约", "每人每次可预约"), ("口罩到哪里领取", "领取网点"))


def user_texts(events: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("text")) for e in events if e.get("event") == "user"]


async def test_rasa_down_the_citizen_is_told_and_answered_in_order_when_it_is_back(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.down = True
    async with world.gateway() as url:
        sim = world.citizen(url)
        for text, _expected in ROUTINE:
            started = time.monotonic()
            assert await sim.send_text(http, text) == answers.RECORDED
            assert time.monotonic() - started < 5.0  # within the first delivery: WeChat never gives up
        await asyncio.sleep(3)  # the messages wait while Rasa is down; nothing is sent meanwhile
        assert await world.sends_to(sim.openid, 1, timeout=0.1) == []
        world.proxy.down = False
        sends = await world.answered(sim.openid, [expected for _t, expected in ROUTINE])
        content = "\n".join(s["content"] for s in sends)
        assert in_order(content, [expected for _t, expected in ROUTINE])
        # the first answer was carried with the second: one send of the citizen's five, each labelled
        assert len(sends) == 1 and in_order(content, [f"关于“{text}”" for text, _ in ROUTINE])
        assert user_texts(await world.tracker_events(sim.openid)) == [text for text, _ in ROUTINE]


async def test_action_server_down_the_message_is_kept_and_answered_when_it_is_back(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        sim = world.citizen(url)
        assert "每人每次可预约" in (await sim.send_text(http, "口罩怎么预约") or "")  # answered as usual
        world.stack.stop_service("actions")
        try:
            assert await sim.send_text(http, "预约结果在哪里查") == answers.RECORDED
            # the turn was abandoned unsaved: the tracker does not hold a half-answered message
            assert user_texts(await world.tracker_events(sim.openid)) == ["口罩怎么预约"]
        finally:
            world.stack.start_service("actions")
        [answer] = await world.sends_to(sim.openid, 1, timeout=60)
        assert "20:00" in answer["content"]  # the booking-result answer, from the action server
        assert user_texts(await world.tracker_events(sim.openid)) == ["口罩怎么预约", "预约结果在哪里查"]


async def test_rasa_down_a_menu_button_for_published_content_is_still_answered(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.down = True
    async with world.gateway() as url:
        sim = world.citizen(url)
        reply = await sim.send_event(http, "CLICK", "MASK_BOOKING")
        assert reply and "每人每次可预约" in reply  # from the content itself: a button needs no understanding
    # Rasa never saw it: the gateway wrote its line of the turn log, once, for the daily report
    logged = await TurnLog(world.redis).between(time.time() - 60, time.time() + 1)
    clicks = [(t.intent, t.actions, t.fell_back) for t in logged if t.sender == sim.openid]
    assert clicks == [("ask_mask_booking", (ANSWERED_ON_ARRIVAL,), False)]


async def test_rasa_down_a_citizen_who_asks_for_a_person_gets_one_at_once(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.down = True
    async with world.gateway() as url:
        by_button = world.citizen(url)
        reply = await by_button.send_event(http, "CLICK", "HUMAN")
        assert reply and "工单号" in reply
        by_words = world.citizen(url)
        reply = await by_words.send_text(http, "别回答了，给我转人工")
        assert reply and "工单号" in reply
        number = str(await world.redis.hget(keys.mode(by_words.openid), "ticket"))
        ticket = await world.redis.hgetall(keys.ticket(number))
        assert ticket["reason"] == "request_human" and ticket["status"] == "queued"
        assert "给我转人工" in ticket["summary"] and "给我转人工" in ticket["transcript"]
        # declining a person is not asking for one: kept for Rasa like any message
        declines = world.citizen(url)
        assert await declines.send_text(http, "不用转人工，口罩什么时候能约") == answers.RECORDED
        assert not await world.redis.exists(keys.mode(declines.openid))
        # the next message of the one handed over goes to the person, Rasa or not
        assert await by_words.send_text(http, "我在等") is not None
        messages = await world.redis.xrange(keys.ticket_messages(number))
        assert [fields["text"] for _, fields in messages] == ["我在等"]


async def test_an_outage_longer_than_the_turn_wait_keeps_each_conversation_in_order(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.proxy.down = True
    said = ("你好", "口罩怎么预约", "口罩到哪里领取", "谢谢")
    async with world.gateway(RASA_TIMEOUT="2") as url:  # a message waits its turn 7 s, then goes on
        sim = world.citizen(url)
        for text in said:
            assert await sim.send_text(http, text) == answers.RECORDED
        await asyncio.sleep(12)  # longer than the turn wait: the later messages still wait for the first
        world.proxy.down = False
        sends = await world.answered(sim.openid, [f"关于“{text}”" for text in said])
    assert in_order("\n".join(s["content"] for s in sends), [f"关于“{text}”" for text in said])
    assert [text for sender, text in world.proxy.forwarded if sender == sim.openid] == list(said)
    assert user_texts(await world.tracker_events(sim.openid)) == list(said)


async def test_rasa_down_a_request_for_a_person_behind_a_held_question_is_not_kept_waiting(
    world: World, http: aiohttp.ClientSession
) -> None:
    """The usual order: a question first (held: Rasa is down), then 转人工. The request does not wait behind
    the question; the person gets the ticket now, and the question reaches them too, without Rasa."""
    world.proxy.down = True
    async with world.gateway() as url:
        sim = world.citizen(url)
        assert await sim.send_text(http, "我的预约码丢了怎么办") == answers.RECORDED
        reply = await sim.send_text(http, "算了，给我转人工")
        assert reply and "工单号" in reply
        number = str(await world.redis.hget(keys.mode(sim.openid), "ticket"))
        assert (await world.redis.hgetall(keys.ticket(number)))["reason"] == "request_human"
        deadline = time.monotonic() + 30  # the held question's next attempt (2 s, 4 s ...) finds the ticket
        while time.monotonic() < deadline:
            texts = [f["text"] for _, f in await world.redis.xrange(keys.ticket_messages(number))]
            if texts:
                break
            await asyncio.sleep(0.5)
        assert texts == ["我的预约码丢了怎么办"]
        assert world.proxy.forwarded == []  # Rasa was never needed
