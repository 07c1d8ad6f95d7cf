"""Every inbound type WeChat pushes gets the right answer (or deliberately none), never an error."""

from __future__ import annotations

import time

import aiohttp
import pytest

from bot.core import answers
from bot.core.intake import KEPT_MESSAGE
from bot.storage import keys
from bot.wechat.simulator import event_push, push_xml, text_push
from tests.integration.conftest import World


def message(openid: str, msg_type: str, **fields: str | int) -> str:
    return push_xml(
        {"ToUserName": "gh_acct", "FromUserName": openid, "CreateTime": int(time.time()), "MsgType": msg_type}
        | fields
        | {"MsgId": int(time.time() * 1e6)}
    )


async def test_voice_with_recognition_is_understood(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        push = message(citizen.openid, "voice", MediaId="m1", Format="amr", Recognition="口罩怎么预约")
        reply = (await citizen.deliver(http, push)).reply
    assert reply is not None and "预约" in reply
    assert world.proxy.messages[citizen.openid] == 1


@pytest.mark.parametrize(
    ("msg_type", "fields", "expected"),
    [
        ("voice", {"MediaId": "m", "Format": "amr"}, answers.VOICE_UNRECOGNISED),
        ("voice", {"MediaId": "m", "Format": "amr", "Recognition": ""}, answers.VOICE_UNRECOGNISED),
        # kept for a complaint that may follow (the photo first, then the words), and the citizen is told so
        ("image", {"PicUrl": "http://x/1.jpg", "MediaId": "m"}, KEPT_MESSAGE),
        ("video", {"MediaId": "m", "ThumbMediaId": "t"}, KEPT_MESSAGE),
        ("shortvideo", {"MediaId": "m", "ThumbMediaId": "t"}, KEPT_MESSAGE),
        (
            "location",
            {"Location_X": "23.1", "Location_Y": "113.3", "Scale": 20, "Label": "天河区"},
            answers.NOT_TEXT,
        ),
        ("link", {"Title": "t", "Description": "d", "Url": "http://x"}, answers.NOT_TEXT),
        ("hologram", {"Whatever": "x"}, answers.NOT_TEXT),
        ("text", {"Content": ""}, answers.EMPTY_TEXT),
        ("text", {"Content": "   "}, answers.EMPTY_TEXT),
    ],
)
async def test_fixed_answers_without_rasa(
    world: World, http: aiohttp.ClientSession, msg_type: str, fields: dict[str, str | int], expected: str
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        reply = (await citizen.deliver(http, message(citizen.openid, msg_type, **fields))).reply
    assert reply == expected
    assert world.proxy.messages[citizen.openid] == 0


async def test_subscribe_is_welcomed_with_what_the_bot_can_do(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        reply = await citizen.send_event(http, "subscribe")
    assert reply is not None and "12315" in reply and "口罩" in reply


async def test_subscribe_from_a_qr_code_answers_for_its_scene(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        reply = await citizen.send_event(http, "subscribe", "qrscene_mask_booking")
    assert reply is not None and "预约" in reply


async def test_menu_click_is_sent_to_rasa_as_its_intent(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        reply = await citizen.send_event(http, "CLICK", "MASK_BOOKING")
        unknown = await citizen.send_event(http, "CLICK", "NO_SUCH_KEY")
    assert reply is not None and "预约" in reply
    assert unknown == answers.UNKNOWN_MENU
    assert world.proxy.messages[citizen.openid] == 1


@pytest.mark.parametrize(
    ("event", "key"), [("VIEW", "https://www.12315.cn/"), ("LOCATION", None), ("SCAN", "nothing")]
)
async def test_silent_events_get_success(
    world: World, http: aiohttp.ClientSession, event: str, key: str | None
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, event_push(citizen.openid, citizen.account, event, key))
    assert delivery.statuses == [200] and delivery.reply is None
    assert world.proxy.messages[citizen.openid] == 0


async def test_kf_and_unknown_events_are_recorded_not_answered(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        assert await citizen.send_event(http, "kf_create_session", None) is None
        assert await world.redis.hget(keys.conversation(citizen.openid), "last_event") == "kf_create_session"
        assert await citizen.send_event(http, "brand_new_event", None) is None
        assert await world.redis.hget(keys.conversation(citizen.openid), "last_event") == "brand_new_event"


async def test_unsubscribe_closes_the_conversation_state(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        await citizen.send_text(http, "你好")
        assert await world.redis.exists(keys.quota(citizen.openid))
        assert await citizen.send_event(http, "unsubscribe") is None
    assert not await world.redis.exists(keys.quota(citizen.openid), keys.conversation(citizen.openid))


@pytest.mark.parametrize(
    "content",
    [
        "口" * 10_000,
        "😷😷😷口罩😡😡怎么预约？？？",
        "口罩\u0007怎么\u001b预约\u0000",  # control characters XML cannot carry: stripped, not refused
        "]]><script>alert(1)</script>",
        "　全角空格　口罩　预约　",
    ],
    ids=["10k-chars", "emoji", "control", "cdata-and-script", "full-width-space"],
)
async def test_odd_text_is_answered_safely(world: World, http: aiohttp.ClientSession, content: str) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, content))
    assert delivery.statuses[-1] == 200
    assert delivery.reply  # a real, non-empty answer
    assert len(delivery.reply.encode()) <= 2048
    assert world.proxy.messages[citizen.openid] == 1
