"""Plain, compatible and safe mode, and every kind of forged, stale or broken push."""

from __future__ import annotations

import time

import aiohttp
import pytest

from bot.wechat import signature
from bot.wechat.crypto import MessageCrypto
from bot.wechat.simulator import Mode, push_xml, signed_query, text_push
from tests.integration.conftest import AES_KEY, APPID, TOKEN, World

BOOKING = "口罩怎么预约"


@pytest.mark.parametrize("mode", [Mode.PLAIN, Mode.COMPATIBLE, Mode.SAFE])
async def test_every_encryption_mode_is_answered(
    world: World, http: aiohttp.ClientSession, mode: Mode
) -> None:
    async with world.gateway(WECHAT_AES_KEY=AES_KEY) as url:
        citizen = world.citizen(url, mode=mode)
        query, body = citizen.sign(text_push(citizen.openid, citizen.account, BOOKING))
        async with http.post(url, params=query, data=body) as response:
            assert response.status == 200
            raw = await response.text()
    if mode is not Mode.PLAIN:
        assert "<Encrypt>" in raw and "预约" not in raw  # the reply is encrypted, not readable on the wire
    reply = citizen.open_reply(raw, query)
    assert reply is not None and "预约" in reply


async def post(http: aiohttp.ClientSession, url: str, query: dict[str, str], body: bytes) -> tuple[int, str]:
    async with http.post(url, params=query, data=body) as response:
        return response.status, await response.text()


def safe_push(openid: str, appid: str = APPID, content: str = BOOKING) -> tuple[dict[str, str], bytes]:
    crypto = MessageCrypto(TOKEN, AES_KEY, appid)
    query = signed_query(TOKEN, openid)
    envelope = crypto.encrypt(text_push(openid, "gh_x", content), query["timestamp"], query["nonce"])
    encrypt = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    query |= {
        "encrypt_type": "aes",
        "msg_signature": signature.sign(TOKEN, query["timestamp"], query["nonce"], encrypt),
    }
    return query, push_xml({"ToUserName": "gh_x", "Encrypt": encrypt}).encode()


async def test_safe_mode_refusals(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway(WECHAT_AES_KEY=AES_KEY) as url:
        openid = "o_it_refusals"
        # wrong msg_signature
        query, body = safe_push(openid)
        query["msg_signature"] = "0" * 40
        assert (await post(http, url, query, body))[0] == 403
        # another account's appid inside the ciphertext
        query, body = safe_push(openid, appid="wx_someone_else")
        assert (await post(http, url, query, body))[0] == 403
        # corrupted ciphertext, correctly signed
        query, body = safe_push(openid)
        encrypt = body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        broken = encrypt[:-8] + "AAAAAAA="
        query["msg_signature"] = signature.sign(TOKEN, query["timestamp"], query["nonce"], broken)
        status, _ = await post(http, url, query, push_xml({"ToUserName": "gh_x", "Encrypt": broken}).encode())
        assert status in (400, 403)
        # no Encrypt at all
        query, _ = safe_push(openid)
        assert (await post(http, url, query, b"<xml><ToUserName>x</ToUserName></xml>"))[0] == 400
    assert world.proxy.messages[openid] == 0


async def test_encrypted_push_without_a_configured_key_is_refused_cleanly(
    world: World, http: aiohttp.ClientSession
) -> None:
    # production settings: no development default supplies an AES key
    async with world.gateway(
        BOT_ENV="production", WECHAT_TOKEN=TOKEN, WECHAT_APPID=APPID, WECHAT_SECRET="s"
    ) as url:
        query, body = safe_push("o_it_nokey")
        status, text = await post(http, url, query, body)
    assert status == 400 and "WECHAT_AES_KEY" in text


async def test_stale_timestamp_is_refused(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        query = signed_query(TOKEN, "o_it_stale", timestamp=int(time.time()) - 301)
        status, _ = await post(http, url, query, text_push("o_it_stale", "gh", BOOKING).encode())
    assert status == 403
    assert world.proxy.messages["o_it_stale"] == 0


async def test_replayed_nonce_with_another_body_is_refused_and_a_retry_is_not(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        openid = "o_it_replay"
        query = signed_query(TOKEN, openid)
        body = text_push(openid, "gh", BOOKING, msg_id=987654321).encode()
        first = await post(http, url, query, body)
        again = await post(http, url, query, body)  # byte-identical: WeChat's own retry looks like this
        forged = await post(http, url, query, text_push(openid, "gh", "你好", msg_id=987654322).encode())
    assert first[0] == 200 and again == first
    assert forged[0] == 403
    assert world.proxy.messages[openid] == 1


BAD_BODIES = {
    "not xml": b"hello",
    "json": b'{"MsgType": "text"}',
    "no MsgType": b"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName></xml>",
    "entity expansion": b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><MsgType>&b;</MsgType></xml>',
    "external entity": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
    "invalid utf-8": b"<xml><MsgType>text</MsgType><Content>\xff\xfe</Content></xml>",
    "truncated": b"<xml><ToUserName><![CDATA[g",
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
async def test_bad_bodies_get_a_clear_400_and_never_reach_rasa(
    world: World, http: aiohttp.ClientSession, name: str
) -> None:
    async with world.gateway() as url:
        status, text = await post(http, url, signed_query(TOKEN, "o"), BAD_BODIES[name])
    assert status == 400 and "malformed WeChat push" in text
    assert sum(world.proxy.messages.values()) == 0


async def test_body_over_64_kib_is_413(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        status, _ = await post(
            http, url, signed_query(TOKEN, "o"), text_push("o", "gh", "口" * 25_000).encode()
        )
    assert status == 413
    assert sum(world.proxy.messages.values()) == 0
