"""Signed pushes through the gateway to a real Rasa server with the trained model, and back."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import urlparse

import aiohttp
import redis.asyncio as aioredis

from bot.launcher import TRACKER_DB, TRACKER_RETENTION_SECONDS, Launcher
from bot.storage import keys
from bot.wechat.simulator import WeChatSimulator, signed_query, text_push


def citizen(stack: Launcher, token: str) -> WeChatSimulator:
    return WeChatSimulator(url=f"{stack.gateway_url}/wechat", token=token, openid=f"o_it_{uuid.uuid4().hex}")


async def tracker_events(http: aiohttp.ClientSession, stack: Launcher, openid: str) -> list[dict[str, Any]]:
    token = stack.env["RASA_TOKEN"]
    async with http.get(f"{stack.rasa_url}/conversations/{openid}/tracker", params={"token": token}) as r:
        assert r.status == 200
        body = await r.json()
    return [e for e in body["events"] if e["event"] == "user"]


async def test_greeting_is_answered_in_chinese(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    reply = await citizen(stack, wechat_token).send_text(http, "你好")
    assert reply is not None
    assert "12315" in reply


async def test_mask_booking_question_gets_booking_answer(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack, wechat_token)
    reply = await sim.send_text(http, "口罩怎么预约")
    assert reply is not None
    assert "预约" in reply
    events = await tracker_events(http, stack, sim.openid)
    assert [e["parse_data"]["intent"]["name"] for e in events] == ["ask_mask_booking"]


async def test_request_for_a_person_is_handed_over(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    reply = await citizen(stack, wechat_token).send_text(http, "我要找人工客服")
    assert reply is not None
    assert "人工" in reply


async def test_bad_signature_is_403_and_never_reaches_rasa(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    openid = f"o_it_{uuid.uuid4().hex}"
    params = signed_query("not-the-token", openid)
    body = text_push(openid, "gh_12315demo", "口罩怎么预约").encode()
    async with http.post(f"{stack.gateway_url}/wechat", params=params, data=body) as response:
        assert response.status == 403
    assert await tracker_events(http, stack, openid) == []
    log = (stack.var_dir / "gateway.log").read_text(encoding="utf-8")
    assert "POST /wechat refused" in log and "bad signature" in log


async def test_malformed_body_is_400_and_never_reaches_rasa(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    openid = f"o_it_{uuid.uuid4().hex}"
    body = f"<xml><FromUserName>{openid}</FromUserName><Content>口罩</Content></xml>".encode()
    async with http.post(
        f"{stack.gateway_url}/wechat", params=signed_query(wechat_token, openid), data=body
    ) as response:
        assert response.status == 400
        assert "malformed" in await response.text()
    assert await tracker_events(http, stack, openid) == []


async def test_health_reports_redis_and_rasa(stack: Launcher, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{stack.gateway_url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "redis": True, "rasa": True}


async def test_rasa_keeps_its_tracker_in_redis(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack, wechat_token)
    await sim.send_text(http, "你好")
    # The database in the URL's path wins over a `db` argument: name Rasa's database in the URL itself.
    client = aioredis.Redis.from_url(urlparse(stack.redis_url)._replace(path=f"/{TRACKER_DB}").geturl())
    try:
        found = [k.decode() async for k in client.scan_iter(match=f"*tracker*{sim.openid}*")]
        expiry = [await client.ttl(k) for k in found]
    finally:
        await client.aclose()
    assert found, "Rasa's RedisTrackerStore should hold this citizen's tracker"
    # Kept for the retention the launcher sets (a week), renewed by each message: not forever (-1).
    assert all(TRACKER_RETENTION_SECONDS - 60 < ttl <= TRACKER_RETENTION_SECONDS for ttl in expiry), expiry


async def test_answered_messages_leave_the_inbox(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack, wechat_token)
    for text in ("你好", "口罩怎么预约"):
        assert await sim.send_text(http, text)
    client = aioredis.Redis.from_url(stack.redis_url)
    try:
        for _ in range(20):  # the worker deletes the entry just after storing the answer: allow a moment
            mine = [e for e in await client.xrange(keys.inbox()) if sim.openid in str(e)]
            if not mine:
                break
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()
    # The inbox holds only work not yet done: answered messages are deleted, so it does not grow.
    assert not mine, mine


async def test_a_published_change_shows_in_the_next_answer_without_retraining(
    stack: Launcher, wechat_token: str, http: aiohttp.ClientSession
) -> None:
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    original = await client.get(keys.content("pickup"))
    assert original is not None, "the gateway loads content/answers.yml into Redis at start"
    changed = json.loads(original) | {
        "text": "领取网点临时调整：请到社区服务中心领取。",
        "updated_at": "2026-11-28 10:30",
    }
    try:
        await client.set(keys.content("pickup"), json.dumps(changed, ensure_ascii=False))
        reply = await citizen(stack, wechat_token).send_text(http, "口罩在哪里领取")
    finally:
        await client.set(keys.content("pickup"), original)
        await client.aclose()
    assert reply is not None
    assert reply.startswith("领取网点临时调整")
    assert "信息更新于 2026-11-28 10:30" in reply
