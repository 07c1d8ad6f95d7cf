"""The callback URL's checks, against a real Redis and an unreachable Rasa."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
import xmltodict
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.core import answers
from bot.core.intake import KEPT_MESSAGE
from bot.settings import load_settings
from bot.storage.embedded import EmbeddedRedis, free_port
from bot.storage.redis import connect
from bot.wechat.simulator import signed_query, text_push

TOKEN = "unit-token"


@pytest.fixture
async def client(redis_server: EmbeddedRedis) -> AsyncIterator[TestClient]:
    settings = load_settings(
        {
            "BOT_ENV": "development",
            "WECHAT_TOKEN": TOKEN,
            "REDIS_URL": redis_server.url,
            # nothing listens here: every message that reaches "Rasa" gets the busy answer
            "RASA_URL": f"http://127.0.0.1:{free_port()}",
            "RASA_TIMEOUT": "1",
        }
    )
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def test_server_verification_echoes_echostr(client: TestClient) -> None:
    params = signed_query(TOKEN, "o1") | {"echostr": "4375120948345356249"}
    response = await client.get("/wechat", params=params)
    assert response.status == 200
    assert await response.text() == "4375120948345356249"


async def test_verification_with_bad_signature_is_forbidden(client: TestClient) -> None:
    params = signed_query("another-token", "o1") | {"echostr": "x"}
    response = await client.get("/wechat", params=params)
    assert response.status == 403


@pytest.mark.parametrize("tamper", ["signature", "timestamp", "nonce", "missing"])
async def test_post_with_bad_signature_is_forbidden(client: TestClient, tamper: str) -> None:
    params = signed_query(TOKEN, "o1")
    if tamper == "missing":
        del params["signature"]
    else:
        params[tamper] = params[tamper][:-1] + ("0" if params[tamper][-1] != "0" else "1")
    response = await client.post("/wechat", params=params, data=text_push("o1", "gh", "你好").encode())
    assert response.status == 403


@pytest.mark.parametrize(
    "body", [b"", b"{json: 1}", b"<xml><a>1</a></xml>", b"\xff\xfe", b"<xml><MsgType>text</MsgType></xml>"]
)
async def test_malformed_body_is_a_clear_400(client: TestClient, body: bytes) -> None:
    response = await client.post("/wechat", params=signed_query(TOKEN, "o1"), data=body)
    assert response.status == 400
    assert "malformed WeChat push" in await response.text()


async def test_body_over_64_kib_is_413(client: TestClient) -> None:
    body = text_push("o1", "gh", "口" * 30_000).encode()
    response = await client.post("/wechat", params=signed_query(TOKEN, "o1"), data=body)
    assert response.status == 413


async def test_rasa_down_tells_the_citizen_the_message_is_recorded(client: TestClient) -> None:
    response = await client.post(
        "/wechat", params=signed_query(TOKEN, "o1"), data=text_push("o1", "gh", "你好").encode()
    )
    assert response.status == 200
    assert xmltodict.parse(await response.text())["xml"]["Content"] == answers.RECORDED


async def test_an_image_outside_a_complaint_is_kept_for_one_and_the_citizen_told(client: TestClient) -> None:
    body = (
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>image</MsgType><PicUrl>http://x</PicUrl><MediaId>m</MediaId><MsgId>77</MsgId></xml>"
    )
    response = await client.post("/wechat", params=signed_query(TOKEN, "o1"), data=body)
    assert xmltodict.parse(await response.text())["xml"]["Content"] == KEPT_MESSAGE


async def test_healthz_reports_rasa_down(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 503
    assert await response.json() == {"status": "degraded", "redis": True, "rasa": False}


async def test_redis_refusing_the_message_gets_a_clear_answer_not_a_5xx(
    client: TestClient, redis_server: EmbeddedRedis
) -> None:
    """Redis answers but refuses the contract's scripts (here: an ACL without EVALSHA, as a misconfigured
    managed Redis would): the push was not recorded, and the citizen is told to send it again."""
    admin = aioredis.Redis.from_url(redis_server.url)
    await admin.execute_command("ACL", "SETUSER", "default", "-evalsha", "-eval")
    try:
        response = await client.post(
            "/wechat", params=signed_query(TOKEN, "o_acl"), data=text_push("o_acl", "gh", "你好").encode()
        )
    finally:
        await admin.execute_command("ACL", "SETUSER", "default", "+@all")
        await admin.aclose()
    assert response.status == 200
    assert xmltodict.parse(await response.text())["xml"]["Content"] == answers.NOT_RECORDED


async def test_more_commands_in_flight_than_connections_wait_for_one(redis_server: EmbeddedRedis) -> None:
    """At ten times the sustainable rate a gateway had over 100 commands in flight; redis-py's default pool
    then raised "Too many connections" and the push got a 500. The gateway's pool makes them wait."""
    small = connect(redis_server.url, max_connections=4)
    try:
        results = await asyncio.gather(*(small.incr("fd:test:pool") for _ in range(300)))
    finally:
        await small.delete("fd:test:pool")
        await small.aclose()
    assert sorted(results) == list(range(1, 301))


async def test_redis_down_at_the_replay_check_gets_a_clear_answer_not_a_5xx(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Redis stopped for longer than the client's retries: the first thing a push needs from it is the
    replay check. The push is signed and fresh, so the citizen is told it was not recorded (send it
    again), and WeChat gets a well-formed reply instead of a 500."""
    redis = EmbeddedRedis(tmp_path_factory.mktemp("redis-down"), appendonly=False)
    redis.start()
    settings = load_settings(
        {
            "BOT_ENV": "development",
            "WECHAT_TOKEN": TOKEN,
            "REDIS_URL": redis.url,
            "RASA_URL": f"http://127.0.0.1:{free_port()}",
            "RASA_TIMEOUT": "1",
        }
    )
    try:
        async with TestClient(TestServer(create_app(settings))) as test_client:
            redis.stop()
            response = await test_client.post(
                "/wechat",
                params=signed_query(TOKEN, "o_down"),
                data=text_push("o_down", "gh", "你好").encode(),
            )
            assert response.status == 200
            assert xmltodict.parse(await response.text())["xml"]["Content"] == answers.NOT_RECORDED
    finally:
        redis.stop()
