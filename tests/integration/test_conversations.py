"""Whole conversations through the gateway with the real model: content answers, the complaint intake with
skips and a correction, handoff on anger, on request and on repeated failure."""

from __future__ import annotations

import uuid

import aiohttp
import pytest
import redis.asyncio as aioredis

from bot.launcher import Launcher
from bot.storage import keys
from bot.wechat.simulator import WeChatSimulator


def citizen(stack: Launcher, token: str) -> WeChatSimulator:
    return WeChatSimulator(
        url=f"{stack.gateway_url}/wechat", token=token, openid=f"o_conv_{uuid.uuid4().hex}"
    )


async def say(sim: WeChatSimulator, http: aiohttp.ClientSession, text: str) -> str:
    reply = await sim.send_text(http, text)
    assert reply, f"no passive reply to {text!r}"
    return reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("口罩怎么预约啊", "每人每次可预约 5 只"),
        ("我约上了没有怎么查", "20:00"),
        ("预约好的口罩去哪里领", "领取网点"),
        ("指挥部最新的公告是什么", "最新公告"),
    ],
)
async def test_questions_are_answered_from_published_content(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession, text: str, expected: str
) -> None:
    reply = await say(citizen(stack, wechat_token), http, text)
    assert expected in reply
    assert "信息更新于" in reply or expected == "最新公告"


async def test_complaint_intake_with_skips_a_correction_and_a_ticket_number(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack, wechat_token)
    reply = await say(sim, http, "我要举报惠民大药房，N95口罩卖80元一个，太黑心了")
    assert "登记" in reply
    for _ in range(6):  # answer every remaining question with a skip until the summary
        if "请核对" in reply:
            break
        reply = await say(sim, http, "跳过")
    assert "请核对" in reply and "N95口罩卖80元一个" in reply
    reply = await say(sim, http, "改地址")
    assert "地址" in reply
    reply = await say(sim, http, "解放大道201号")
    assert "请核对" in reply and "解放大道201号" in reply
    reply = await say(sim, http, "确认")
    assert "已提交" in reply and "工单号：12315-" in reply
    number = reply.split("工单号：")[1].split("。")[0]
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        ticket = await client.hgetall(keys.ticket(number))
        queued = await client.zscore(keys.ticket_queue(), number)
    finally:
        await client.aclose()
    assert ticket["openid"] == sim.openid and ticket["status"] == "queued" and ticket["category"] == "举报"
    assert "解放大道201号" in ticket["details"]
    assert queued is not None
    # the citizen stays with the bot
    assert "每人每次可预约" in await say(sim, http, "口罩怎么预约")


async def test_cancelling_the_intake_opens_no_ticket(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack, wechat_token)
    await say(sim, http, "我要投诉一家超市卖过期食品")
    reply = await say(sim, http, "取消")
    assert "已取消" in reply and "工单号" not in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("转人工！", "转接人工"),
        ("你们这帮废物，什么都管不了！！！", "理解您的心情"),
        # The catalog rules after DIET (nlu_components/arbiter.py), through the trained model:
        ("人工", "转接人工"),  # what the bot's own answers tell citizens to reply
        ("上周交的押金可以退吗 给我转人工", "转接人工"),  # the request wins over the topic
        ("这客服是白痴啊", "理解您的心情"),  # an insult, not a question about the bot
        ("人工呢???", "转接人工"),  # impatient, still a request
        ("全世界都他妈乱套了，你们才反应过来", "理解您的心情"),  # cursing is not chit-chat
        ("你们全是饭桶", "理解您的心情"),  # a curse is certain: no "请换个说法"
        ("🤬🤬🤬", "理解您的心情"),  # an angry face is no yes
        ("再不管我就去找记者", "理解您的心情"),  # a threat to escalate
        # venting about a failed booking, not a question about it (ACCUSATION keeps rule 2 away)
        ("口罩天天抢不到，你们这些当官的是干什么吃的！", "理解您的心情"),
        # sarcasm the classifier reads as chit-chat while hearing anger too (rule 7)
        ("领个口罩排三小时，病毒没染上先冻感冒了，真是好样的", "理解您的心情"),
    ],
)
async def test_handoff_on_request_and_on_anger(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession, text: str, expected: str
) -> None:
    assert expected in await say(citizen(stack, wechat_token), http, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("天天定闹钟抢口罩，摇了一个礼拜都没中！！！", "查询预约结果"), ("现在跟我说话的是人工吗", "智能助手")],
)
async def test_frustration_with_a_concrete_matter_is_answered_not_handed_over(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession, text: str, expected: str
) -> None:
    reply = await say(citizen(stack, wechat_token), http, text)
    assert "转接人工" not in reply and "理解您的心情" not in reply
    assert expected in reply


async def test_thanks_with_a_swear_word_are_thanks(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    reply = await say(citizen(stack, wechat_token), http, "特么总算领到口罩了，感谢社区的小哥")
    assert "不客气" in reply and "理解您的心情" not in reply


async def test_two_misunderstandings_in_a_row_offer_a_person_who_can_be_accepted(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    # "/intent" messages pin what the model understood, so this tests the dialogue, not the classifier
    sim = citizen(stack, wechat_token)
    assert "没有理解" in await say(sim, http, "/nlu_fallback")
    assert "回复“人工”或“是”即可转接" in await say(sim, http, "/nlu_fallback")
    assert "正在为您转接人工客服" in await say(sim, http, "/affirm")


async def test_the_same_question_again_offers_a_person_and_a_third_time_hands_over(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack, wechat_token)
    assert "即可转接" not in await say(sim, http, "/ask_booking_result")
    second = await say(sim, http, "/ask_booking_result")
    assert "查询预约结果" in second and "回复“人工”或“是”即可转接" in second
    third = await say(sim, http, "/ask_booking_result")
    assert "同样的问题您已经问过几次" in third and "工单号" in third
