"""Whole conversations through the gateway with the real model, read by how they end (bot/dev/conversations.py):
a complaint left unconfirmed becomes a ticket after the idle time, with its evidence; the same personal
question in other words reaches a person; a threat to escalate reaches a person; venting with a need is
acknowledged, answered and offered a person; routine conversations are never handed over."""

from __future__ import annotations

import json
import re
import time
import uuid

import aiohttp
import pytest
import redis.asyncio as aioredis

from bot.dev.conversations import Player, Script, misses
from bot.launcher import Launcher
from bot.storage import keys
from bot.wechat.simulator import WeChatSimulator
from tests.integration.conftest import IDLE_SECONDS, TOKEN, World

SCRIPTS = [
    Script("e2e-routine", "routine", ("您好", "怎么预约口罩", "每人每次最多约几只", "预约几点开始"), "answered"),
    Script("e2e-abandoned", "complaint_abandoned",
           ("我要举报药店哄抬口罩价格", "是安康大药房", "地址在光明路7号，一只口罩卖45元"), "ticket", confirmed=False),
    Script("e2e-evidence", "complaint_evidence",
           ("举报有家超市卖假的N95口罩", {"image": "MEDIA_E2E_1"}, "永辉超市，在江北区滨江路"), "ticket",
           confirmed=False, attachments=1),
    Script("e2e-confirmed", "complaint_confirmed",
           ("我要投诉", "药店把体温计卖到300元", "济民药店", "跳过", "300元一支", "今天上午", "确认"), "ticket",
           confirmed=True),
    Script("e2e-unresolved", "unresolved",
           ("我预约时手机号输错了怎么办", "短信发到别人手机上了，我怎么查结果", "我问的是号码填错了到底怎么办"),
           "person", reason="unresolved"),
    Script("e2e-escalation", "anger_escalation",
           ("网点说今天有货结果根本没有", "白跑了三趟了", "再不解决我就去找电视台曝光"), "person", reason="angry"),
    Script("e2e-venting", "venting_with_need", ("好几天了都约不上口罩，真是烦死了",), "answered", offered=True),
    Script("e2e-venting-again", "venting_after_answer", ("领口罩的网点在哪", "跑到网点说早就没货了，折腾死了"),
           "person", reason="angry"),
    Script("e2e-cancelled", "complaint_cancelled", ("我要举报一家店", "算了不举报了"), "answered"),
    Script("e2e-person", "asks_for_person", ("口罩怎么预约", "别回答了，给我接人工"), "person", reason="request_human"),
    # the photo first, then the complaint it belongs to
    Script("e2e-photo-first", "complaint_evidence_first",
           ({"image": "MEDIA_E2E_FIRST"}, "举报这家药店卖假口罩，包装上连厂名都没有", "仁心药房，在新华路12号"), "ticket",
           confirmed=False, attachments=1),
    # asking how one would report, with nothing to report yet: no ticket, then or later
    Script("e2e-only-asking", "only_asking", ("万一碰到药店乱涨价可以找谁", "就先问问哈，暂时还没碰到"), "answered"),
    # a short yes that names filing, before the form asked for it
    Script("e2e-file-now", "complaint_confirmed_early",
           ("举报济生堂药店口罩一只卖30元", "对的没问题，提交吧"), "ticket", confirmed=True),
    # a sigh aimed at no one is heard and offered a person, not queued for one
    Script("e2e-sigh", "distress", ("唉 这日子什么时候是个头啊😔", "儿童口罩能约吗"), "answered"),
    # more of a personal case, read as out of scope: a person
    Script("e2e-personal-then-lost", "unresolved", ("预约时身份证号填错了一位", "怎么改啊"), "person",
           reason="unresolved"),
    # anger at us at a question of the form is no answer to it: a person takes the complaint over
    Script("e2e-form-anger", "anger_in_form", ("我要举报药店卖假口罩", "你们这破系统问来问去 烦死了 气死我了😡"),
           "person", reason="angry"),
    # a shopkeeper told a customer reported them: their own case, which only a person can look into
    Script("e2e-reported-shop", "unresolved", ("我开小超市的 有人举报了我 说我口罩卖贵了", "我这个情况会不会罚款 要怎么处理"),
           "person", reason="unresolved"),
    # whether here is where one would report, some day: answered, no form, nothing filed later
    Script("e2e-where-to-report", "only_asking", ("要是以后碰到药店乱涨价 是在这里反映吧", "好的 谢谢"), "answered"),
]  # fmt: skip


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.id for s in SCRIPTS])
async def test_each_kind_of_conversation_ends_right(stack: Launcher, script: Script) -> None:
    player = Player(stack.gateway_url, TOKEN, stack.redis_url, stack.wechat_api_url, IDLE_SECONDS)
    [(_, ending)] = await player.play_all([script])
    assert misses(script, ending) == [], (ending.replies, ending.sent_later)


async def test_an_abandoned_form_is_filed_by_a_gateway_started_after_the_first_stopped(
    world: World, http: aiohttp.ClientSession
) -> None:
    """The idle timer lives in Redis: the gateway that took the complaint stops, another one files it."""
    async with world.gateway(COMPLAINT_IDLE_SECONDS="600") as url:
        citizen = world.citizen(url)
        await citizen.send_text(http, "举报好又多超市口罩一只卖40元")
        await citizen.send_text(http, "在人民区解放路")
    draft = json.loads(await world.redis.get(keys.intake(citizen.openid)) or "{}")
    assert draft["details"]["price"].startswith("40元") and "好又多超市" in draft["details"]["shop"]
    # ten minutes pass while no gateway runs
    await world.redis.zadd(keys.intake_due(), {citizen.openid: time.time() - 1})
    async with world.gateway(COMPLAINT_IDLE_SECONDS="600"):
        [notice] = await world.sends_to(citizen.openid, 1, timeout=15)
    assert "未经您确认" in notice["content"]
    number = re.search(r"12315-\d{8}-\d{4}", notice["content"]).group(0)  # type: ignore[union-attr]
    ticket = await world.redis.hgetall(keys.ticket(number))
    assert (
        ticket["openid"] == citizen.openid and ticket["confirmed"] == "0" and ticket["reason"] == "complaint"
    )
    assert ticket["category"] == "举报" and "好又多超市" in json.loads(ticket["details"])["shop"]
    assert not await world.redis.exists(keys.intake(citizen.openid))
    events = await world.tracker_events(citizen.openid)
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events[-12:])


async def test_a_form_with_nothing_concrete_is_dropped_not_filed(
    stack: Launcher, http: aiohttp.ClientSession
) -> None:
    script = Script("e2e-empty", "complaint_abandoned", ("我要投诉",), "answered")
    player = Player(stack.gateway_url, TOKEN, stack.redis_url, stack.wechat_api_url, IDLE_SECONDS)
    [(_, ending)] = await player.play_all([script])
    assert ending.end == "answered" and ending.sent_later == []


async def test_the_next_message_after_filing_starts_afresh(
    stack: Launcher, http: aiohttp.ClientSession
) -> None:
    """Once filed, the form is over in Rasa too: the citizen's next question is answered, not taken as a
    detail of the old complaint."""
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    player = Player(stack.gateway_url, TOKEN, stack.redis_url, stack.wechat_api_url, IDLE_SECONDS)
    citizen = WeChatSimulator(
        url=f"{stack.gateway_url}/wechat", token=TOKEN, openid=f"o_e2e_{uuid.uuid4().hex}"
    )
    try:
        await citizen.send_text(http, "举报诚信药房口罩50元一只")
        await player.until_settled(client, citizen.openid)
        ending = await player.ending(client, citizen.openid)
        assert (ending.end, ending.confirmed) == ("ticket", False)
        reply = await citizen.send_text(http, "领取网点在哪里")
        assert reply is not None and "领取网点" in reply and "请核对" not in reply
    finally:
        await client.aclose()


async def test_a_citizen_only_asking_how_to_report_is_told_how_and_nothing_is_filed(stack: Launcher) -> None:
    """The form opened for "万一…可以找谁" ends when the citizen says there is nothing to report yet: the
    reply says how to report, and no ticket is filed after the idle time."""
    script = Script("e2e-only-asking-told", "only_asking", ("万一碰到药店乱涨价可以找谁", "就先问问哈，暂时还没碰到"),
                    "answered")  # fmt: skip
    player = Player(stack.gateway_url, TOKEN, stack.redis_url, stack.wechat_api_url, IDLE_SECONDS)
    [(_, ending)] = await player.play_all([script])
    assert "登记投诉举报" in ending.replies[0]  # the form opened
    assert "这次先不登记" in ending.replies[-1] and ending.sent_later == []


async def test_a_citizen_asking_the_form_to_wait_is_not_taken_at_their_word(
    stack: Launcher, http: aiohttp.ClientSession
) -> None:
    """A reply that answers nothing ("等下 我出去看看门牌号") is no address: the form says to take their time
    and asks for the address again, and the address that follows is the one on the draft."""
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    citizen = WeChatSimulator(
        url=f"{stack.gateway_url}/wechat", token=TOKEN, openid=f"o_e2e_{uuid.uuid4().hex}"
    )
    try:
        asked = await citizen.send_text(http, "举报广济大药房口罩一只卖60元")
        assert asked is not None and "商家的地址" in asked
        reply = await citizen.send_text(http, "等下 我出去看看门牌号")
        assert reply is not None and "不着急" in reply and "商家的地址" in reply
        await citizen.send_text(http, "东风路18号")
        draft = json.loads(await client.get(keys.intake(citizen.openid)) or "{}")
        assert draft["details"]["address"] == "东风路18号"
        assert "门牌号" not in draft["summary"]
    finally:
        await client.aclose()
