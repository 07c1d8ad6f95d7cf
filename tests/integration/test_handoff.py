"""Handoff end to end: real Redis, the real Rasa model, the gateway with its console API, the WeChat fakes.

An angry citizen gets a ticket that reaches the console live; an agent claims, replies through the
customer-service API, hears the citizen, closes; the bot answers again and the rating is stored.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from bot.core.tickets import CLOSING_MESSAGE, RATING_THANKS, Reason, agent_joined_message
from bot.storage import keys
from bot.storage.agents import Role
from bot.storage.tickets import TicketStore
from bot.wechat.simulator import WeChatSimulator
from tests.integration.conftest import World
from tests.integration.desk import add_agent, agent_client, next_event, wait_for

ANGRY = "你们这帮废物，什么都管不了！！！"


async def queued(
    world: World, http: aiohttp.ClientSession, citizen: WeChatSimulator, asking: str = "转人工"
) -> str:
    """The citizen asks for a person and is queued: the ticket's number."""
    reply = await citizen.send_text(http, asking)
    assert reply and "工单号" in reply
    return str(await world.redis.hget(keys.mode(citizen.openid), "ticket"))


def shifts_file(tmp_path: Path, start: str, end: str) -> str:
    path = tmp_path / "shifts.yml"
    path.write_text(f'shifts:\n  - {{name: 测试班, start: "{start}", end: "{end}"}}\n', encoding="utf-8")
    return str(path)


async def test_angry_citizen_to_agent_and_back_to_the_bot(
    world: World, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    await add_agent(world.redis, "5101")
    always = shifts_file(tmp_path, "00:00", "00:00")  # round the clock: the test does not depend on the hour
    async with world.gateway(SHIFTS_PATH=always) as url, agent_client(url.removesuffix("/wechat")) as agent:
        assert (await agent.login("5101"))[0] == 200
        citizen = world.citizen(url)
        async with agent.session.get(agent.base + "/api/events") as events:
            assert events.status == 200 and events.content_type == "text/event-stream"
            reply = await citizen.send_text(http, ANGRY)
            assert reply and "理解您的心情" in reply and "工单号：12315-" in reply
            assert "目前有 1 位接线员在线，您前面还有 0 位" in reply  # the agent with the console open
            queued = await next_event(events, "queued")
        number = queued["number"]

        status, listing = await agent.call("GET", "/api/tickets?status=queued")
        assert status == 200
        card = next(t for t in listing["tickets"] if t["id"] == number)
        assert card["openid"] == citizen.openid and card["reason"] == "angry" and card["status"] == "queued"
        ticket = await agent.ticket(number)
        assert ticket["category"] == "咨询" and ticket["anger"] > 0.5 and ticket["intent"] == "express_anger"
        said = [t for t in ticket["transcript"] if t["who"] == "citizen"]
        assert said[-1]["text"] == ANGRY and said[-1]["intent"] == "express_anger"
        assert [h["what"] for h in ticket["history"]] == ["queued"]

        # while queued, the citizen's words join the ticket and never reach the bot
        to_rasa = world.proxy.messages[citizen.openid]
        reply = await citizen.send_text(http, "我就想问问口罩什么时候能领到")
        assert reply and number in reply and "前面还有 0 位" in reply
        assert world.proxy.messages[citizen.openid] == to_rasa

        assert await agent.call("POST", f"/api/tickets/{number}/claim") == (
            200,
            {"status": "claimed", "agent": "5101"},
        )
        # the citizen learns that a person has their ticket, once, however often the agent clicks
        assert (await agent.call("POST", f"/api/tickets/{number}/claim"))[0] == 200
        status, sent = await agent.call(
            "POST", f"/api/tickets/{number}/reply", {"text": "您好，我是5101，马上为您处理"}
        )
        assert status == 202 and sent["send_window"]["open"]
        sends = await world.sends_to(citizen.openid, 2)
        assert [s["content"] for s in sends] == [
            agent_joined_message(number, "5101"),
            "您好，我是5101，马上为您处理",
        ]

        # with the agent: the citizen's message reaches the agent, not the bot, and WeChat gets `success`
        assert await citizen.send_text(http, "好的，我在人民路华联超市买的") is None
        assert world.proxy.messages[citizen.openid] == to_rasa
        lines = (await agent.ticket(number))["messages"]
        assert [(m["who"], m["text"]) for m in lines] == [
            ("citizen", "我就想问问口罩什么时候能领到"),
            ("5101", "您好，我是5101，马上为您处理"),
            ("citizen", "好的，我在人民路华联超市买的"),
        ]

        assert (await agent.call("POST", f"/api/tickets/{number}/close", {"resolution": "resolved"}))[
            0
        ] == 200
        sends = await world.sends_to(citizen.openid, 3)
        assert sends[-1]["content"] == CLOSING_MESSAGE
        assert await citizen.send_text(http, "5") == RATING_THANKS
        reply = await citizen.send_text(http, "口罩怎么预约")
        assert reply and "每人每次可预约" in reply
        assert world.proxy.messages[citizen.openid] == to_rasa + 1

        ticket = await agent.ticket(number)
        assert ticket["status"] == "closed" and ticket["resolution"] == "resolved" and ticket["rating"] == 5
        assert ticket["first_reply_at"] >= ticket["claimed_at"] >= ticket["queued_at"]
        assert [h["what"] for h in ticket["history"]] == [
            "queued",
            "claimed",
            "first_reply",
            "closed",
            "rated",
        ]
        tracker = await world.tracker_events(citizen.openid)
        assert [e["event"] for e in tracker if e["event"] in ("pause", "resume")] == ["pause", "resume"]


async def test_out_of_hours_the_citizen_is_told_when_the_ticket_will_be_handled(
    world: World, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    later = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(hours=3)
    start, end = later.strftime("%H:%M"), (later + timedelta(minutes=30)).strftime("%H:%M")
    async with world.gateway(SHIFTS_PATH=shifts_file(tmp_path, start, end)) as url:
        reply = await world.citizen(url).send_text(http, "转人工")
        assert reply and "现在不在人工服务时间" in reply and start in reply and "工单号" in reply


async def test_two_agents_racing_for_one_ticket_exactly_one_wins(world: World) -> None:
    await asyncio.gather(add_agent(world.redis, "5201"), add_agent(world.redis, "5202"))
    opened = await TicketStore(world.redis).open(
        "o_race", "race-1", Reason.REQUEST_HUMAN, priority=3, category="咨询", summary="转人工", live=True
    )
    async with (
        world.gateway() as url,
        agent_client(url.removesuffix("/wechat")) as a,
        agent_client(url.removesuffix("/wechat")) as b,
    ):
        await asyncio.gather(a.login("5201"), b.login("5202"))
        winners = set()
        for _ in range(3):  # again and again: the winner keeps it, the other is told each time
            results = await asyncio.gather(
                a.call("POST", f"/api/tickets/{opened.number}/claim"),
                b.call("POST", f"/api/tickets/{opened.number}/claim"),
            )
            assert sorted(status for status, _ in results) == [200, 409]
            winners |= {body["agent"] for status, body in results if status == 200}
            loser = next(body for status, body in results if status == 409)
            assert "已被" in loser["message"] and loser["agent"] in ("5201", "5202")
        assert len(winners) == 1
        ticket = await a.ticket(opened.number)
        assert ticket["status"] == "claimed" and ticket["agent"] == winners.pop()
        assert [h["what"] for h in ticket["history"]].count("claimed") == 1
        assert await world.redis.hget(keys.mode("o_race"), "mode") == "agent"


async def test_not_needed_any_more_cancels_the_queue(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        number = await queued(world, http, citizen)
        reply = await citizen.send_text(http, "不用了")
        assert reply and "已为您取消人工排队" in reply
        ticket = await TicketStore(world.redis).get(number)
        assert ticket and ticket["status"] == "closed" and ticket["resolution"] == "citizen_cancelled"
        assert await world.redis.zscore(keys.ticket_queue(), number) is None
        reply = await citizen.send_text(http, "口罩怎么预约")
        assert reply and "每人每次可预约" in reply


async def test_a_photo_sent_while_queued_goes_onto_the_ticket_for_the_agent(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        number = await queued(world, http, citizen)
        for _ in range(2):  # WeChat may deliver the same image again: it is kept once
            reply = await citizen.send_media(http, "image", "MEDIA_QUEUED_1")
            assert reply and number in reply and "已附在您的工单" in reply
        ticket = await TicketStore(world.redis).get(number)
        assert ticket and [a["media_id"] for a in ticket["attachments"]] == ["MEDIA_QUEUED_1"]
        lines = await TicketStore(world.redis).messages(number)
        assert sum("图片" in line["text"] for line in lines) == 1


async def test_a_photo_sent_just_before_asking_for_a_person_goes_onto_the_ticket(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        reply = await citizen.send_media(http, "image", "MEDIA_BEFORE_PERSON")
        assert reply and "作为证据" in reply
        number = await queued(world, http, citizen, asking="人工")
        ticket = await TicketStore(world.redis).get(number)
        assert ticket and [a["media_id"] for a in ticket["attachments"]] == ["MEDIA_BEFORE_PERSON"]


async def test_a_menu_click_while_queued_is_answered_not_lost(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        number = await queued(world, http, citizen)
        reply = await citizen.send_event(http, "CLICK", "MASK_BOOKING")
        assert reply and f"工单 {number}" in reply and "人工服务中" in reply


async def test_a_complaint_is_queued_and_the_citizen_stays_with_the_bot(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        reply = await citizen.send_text(http, "我要举报惠民大药房，N95口罩卖80元一个")
        for answer in ("跳过", "跳过", "跳过", "跳过", "跳过", "确认"):
            if reply and "工单号" in reply:
                break
            reply = await citizen.send_text(http, answer)
        assert reply and "工单号：12315-" in reply
        number = reply.split("工单号：")[1].split("。")[0]
        ticket = await TicketStore(world.redis).get(number)
        assert (
            ticket and ticket["reason"] == "complaint" and ticket["category"] == "举报" and not ticket["live"]
        )
        assert ticket["details"]["product"] == "N95口罩" and ticket["details"]["shop"] == "惠民大药房"
        assert await world.redis.hget(keys.mode(citizen.openid), "mode") in (None, "bot")
        reply = await citizen.send_text(http, "口罩怎么预约")
        assert reply and "每人每次可预约" in reply


async def test_a_citizen_is_told_when_an_agent_takes_their_complaint(
    world: World, http: aiohttp.ClientSession
) -> None:
    """Claiming a complaint sends the citizen's next words to the agent: they must know who has them."""
    await add_agent(world.redis, "5105")
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as agent:
        citizen = world.citizen(url)
        assert await citizen.send_text(http, "你好")  # their message opens the 48-hour window to write back
        opened = await TicketStore(world.redis).open(
            citizen.openid, "complaint-1", Reason.COMPLAINT, priority=2, category="举报",
            summary="口罩卖80元一个", live=False,
        )  # fmt: skip
        await agent.login("5105")
        assert (await agent.call("POST", f"/api/tickets/{opened.number}/claim"))[0] == 200
        sends = await world.sends_to(citizen.openid, 1)
        assert [s["content"] for s in sends] == [agent_joined_message(opened.number, "5105")]
        assert await world.redis.hget(keys.mode(citizen.openid), "mode") == "agent"
        assert await citizen.send_text(http, "店在人民路12号") is None  # it reaches the agent
        lines = (await agent.ticket(opened.number))["messages"]
        assert [(m["who"], m["text"]) for m in lines] == [("citizen", "店在人民路12号")]


async def test_a_reply_wechat_refuses_is_shown_to_the_agent_and_kept(world: World) -> None:
    await add_agent(world.redis, "5301")
    store = TicketStore(world.redis)
    opened = await store.open(
        "o_refused", "refused-1", Reason.ANGRY, priority=1, category="咨询", summary="太气人了", live=True
    )
    # The citizen's 48-hour window has closed: WeChat refuses the claim notice and the reply.
    world.fake.script = [45015, 45015]
    await world.redis.hset(keys.quota("o_refused"), mapping={"end": 9e9, "limit": 5, "used": 0})
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as agent:
        await agent.login("5301")
        await agent.call("POST", f"/api/tickets/{opened.number}/claim")
        assert (await agent.call("POST", f"/api/tickets/{opened.number}/reply", {"text": "请问具体地址？"}))[
            0
        ] == 202

        async def refused() -> str:
            return str((await agent.ticket(opened.number)).get("send_failure") or "")

        assert await wait_for(refused) == "45015"
        ticket = await agent.ticket(opened.number)
        assert [m["text"] for m in ticket["messages"]] == ["请问具体地址？"]
        assert "send_failed" in [h["what"] for h in ticket["history"]]


async def test_unclaimed_tickets_rise_in_priority_and_alert_supervisors(world: World) -> None:
    await add_agent(world.redis, "5401", Role.SUPERVISOR)
    store = TicketStore(world.redis, escalate_after=1.0)  # as the gateway below is configured
    opened = await store.open(
        "o_waiting", "waiting-1", Reason.REQUEST_HUMAN, priority=3, category="咨询", summary="人呢", live=True
    )
    async with (
        world.gateway(ESCALATE_MINUTES=str(1 / 60)) as url,
        agent_client(url.removesuffix("/wechat")) as sup,
    ):
        await sup.login("5401")

        async def escalated() -> dict[str, object] | None:
            ticket = await sup.ticket(opened.number)
            return ticket if ticket.get("escalations") else None

        ticket = await wait_for(escalated, timeout=30)
        assert ticket and ticket["priority"] < 3
        status, overview = await sup.call("GET", "/api/overview")
        assert status == 200 and overview["queue_length"] == 1
        assert any(a["number"] == opened.number for a in overview["alerts"])
