"""The outbox sender and the WeChat API client against real Redis and the local WeChat API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from bot.core.quota import QuotaRule, QuotaRules
from bot.dev.wechat_api import FakeWeChat
from bot.storage import keys
from bot.storage.conversations import Conversations
from bot.storage.embedded import EmbeddedRedis
from bot.storage.tokens import TokenStore
from bot.wechat.api import WeChatAPI
from bot.workers.outbox import OutboxPolicy, OutboxSender, enqueue_texts
from tests.fakes.servers import serving

APPID, SECRET = "wx_unit", "unit-secret"
ROOT = Path(__file__).resolve().parents[2]
_db = itertools.count(1)


@dataclass
class Rig:
    redis: aioredis.Redis
    fake: FakeWeChat
    api: WeChatAPI
    conversations: Conversations
    sender: OutboxSender
    session: aiohttp.ClientSession
    api_url: str

    async def run_until_idle(self, seconds: float = 3.0) -> None:
        task = asyncio.create_task(self.sender.run())
        await asyncio.sleep(seconds)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
async def rig(redis_server: EmbeddedRedis) -> AsyncIterator[Rig]:
    client = aioredis.Redis.from_url(redis_server.url, db=next(_db) % 16, decode_responses=True)
    await client.flushdb()
    fake = FakeWeChat(APPID, SECRET)
    rules = QuotaRules(after_message=QuotaRule(5, 48 * 3600), after_event=QuotaRule(3, 60))
    async with serving(fake.app()) as api_url, aiohttp.ClientSession() as session:
        api = WeChatAPI(session, api_url, APPID, SECRET, TokenStore(client), timeout=1.0)
        conversations = Conversations(client, rules)
        policy = OutboxPolicy(backoff=0.1, max_attempts=4, claim_idle=1.0)
        sender = OutboxSender(client, api, conversations, "unit", policy)
        yield Rig(client, fake, api, conversations, sender, session, api_url)
    await client.aclose()


async def test_sends_in_order_with_raw_utf8(rig: Rig) -> None:
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    await enqueue_texts(rig.redis, "o1", ["第一条", "第二条"], origin="test")
    await rig.run_until_idle(1.5)
    assert [s["content"] for s in rig.fake.sends] == ["第一条", "第二条"]  # 40033 had they been \\u-escaped
    assert rig.fake.token_fetches == 1


async def test_busy_is_retried_with_backoff(rig: Rig) -> None:
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    rig.fake.script = [-1, -1, 0]
    await enqueue_texts(rig.redis, "o1", ["稍后送达"], origin="test")
    await rig.run_until_idle(2.5)
    assert [s["content"] for s in rig.fake.sends] == ["稍后送达"]
    assert rig.fake.send_attempts == 3


async def test_hanging_api_is_a_timeout_then_a_retry(rig: Rig) -> None:
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    rig.fake.script = [{"hang": 3}]
    await enqueue_texts(rig.redis, "o1", ["超时重试"], origin="test")
    await rig.run_until_idle(3.5)
    # the hung call may still complete inside the fake; what matters is that the citizen got the text
    assert "超时重试" in [s["content"] for s in rig.fake.sends]


@pytest.mark.parametrize("errcode", [40001, 40014, 42001])
async def test_invalid_token_is_refreshed_once(rig: Rig, errcode: int) -> None:
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    await rig.api.send_text("o1", "预热")  # a token is cached
    rig.fake.script = [errcode]  # WeChat no longer accepts it
    await enqueue_texts(rig.redis, "o1", ["换令牌后发送"], origin="test")
    await rig.run_until_idle(1.5)
    assert [s["content"] for s in rig.fake.sends] == ["预热", "换令牌后发送"]
    assert rig.fake.token_fetches == 2


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_refusals_are_recorded_not_retried(rig: Rig, errcode: int) -> None:
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    rig.fake.script = [errcode]
    await enqueue_texts(rig.redis, "o1", ["发不出去"], origin="test")
    await rig.run_until_idle(1.5)
    assert rig.fake.sends == []
    assert rig.fake.send_attempts == 1
    record = await rig.redis.hgetall(keys.conversation("o1"))
    assert record["send_failure"] == str(errcode)
    assert record["send_failure_text"] == "发不出去"


async def test_quota_after_a_message_is_five(rig: Rig) -> None:
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    await enqueue_texts(rig.redis, "o1", [f"第{i}条" for i in range(1, 7)], origin="test")
    await rig.run_until_idle(1.5)
    assert len(rig.fake.sends) == 5
    assert (await rig.redis.hgetall(keys.conversation("o1")))["send_failure"] == "quota_exhausted"


async def test_quota_after_a_click_is_three_and_a_retry_does_not_reset_it(rig: Rig) -> None:
    await rig.conversations.touch("o2", is_event=True, dedupe_key="evt:o2:1:click:K")
    await enqueue_texts(rig.redis, "o2", ["a", "b"], origin="test")
    await rig.run_until_idle(1.0)
    await rig.conversations.touch("o2", is_event=True, dedupe_key="evt:o2:1:click:K")  # WeChat's retry
    await enqueue_texts(rig.redis, "o2", ["c", "d"], origin="test")
    await rig.run_until_idle(1.0)
    assert [s["content"] for s in rig.fake.sends] == ["a", "b", "c"]


async def test_no_window_means_no_send(rig: Rig) -> None:
    await enqueue_texts(rig.redis, "never-wrote", ["你好"], origin="test")
    await rig.run_until_idle(1.0)
    assert rig.fake.sends == []
    assert (await rig.redis.hgetall(keys.conversation("never-wrote")))["send_failure"] == "quota_expired"


async def test_sent_marker_prevents_a_second_send_after_a_crash(rig: Rig) -> None:
    """A sender that died after WeChat accepted the send, before the ack: the entry is claimed again."""
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    await enqueue_texts(rig.redis, "o1", ["只发一次"], origin="test")
    from bot.storage.streams import ensure_group, read_new

    await ensure_group(rig.redis, keys.outbox(), "senders")
    entries = await read_new(rig.redis, keys.outbox(), "senders", "crashed", count=10, block_ms=100)
    entry_id, fields = entries[0]
    await rig.api.send_text(fields["openid"], fields["text"])  # what the crashed sender managed
    await rig.redis.set(keys.outbox_sent(entry_id), "1")  # ... and the marker it writes right after
    await asyncio.sleep(1.1)  # claim_idle
    await rig.run_until_idle(1.0)
    assert [s["content"] for s in rig.fake.sends] == ["只发一次"]
    assert await rig.redis.xpending(keys.outbox(), "senders") == {
        "pending": 0,
        "min": None,
        "max": None,
        "consumers": [],
    }


async def test_token_refresh_is_shared_by_concurrent_processes(rig: Rig) -> None:
    stores = [TokenStore(rig.redis) for _ in range(10)]
    tokens = await asyncio.gather(*(s.get(rig.api.fetch_token) for s in stores))
    assert len(set(tokens)) == 1
    assert rig.fake.token_fetches == 1


class _PeerStoresAfterOurRead:
    """A Redis client on which a peer process stores a token (and releases its lock) right after our
    first read of the token: the interleaving that made two processes fetch."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._raced = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    async def get(self, key: str) -> str | None:
        value = await self._client.get(key)
        if key == keys.access_token() and not self._raced:
            self._raced = True
            await self._client.set(key, "peer-token", ex=600)
        return value


async def test_token_stored_by_a_peer_between_read_and_lock_is_not_fetched_again(rig: Rig) -> None:
    store = TokenStore(_PeerStoresAfterOurRead(rig.redis))  # type: ignore[arg-type]
    assert await store.get(rig.api.fetch_token) == "peer-token"
    assert rig.fake.token_fetches == 0
    assert await rig.redis.get(keys.access_token_lock()) is None  # our lock was released


async def test_stable_token_is_used_when_configured(rig: Rig) -> None:
    api = WeChatAPI(rig.session, rig.api_url, APPID, SECRET, TokenStore(rig.redis), stable_token=True)
    await rig.conversations.touch("o1", is_event=False, dedupe_key="msg:1")
    await api.send_text("o1", "稳定令牌")
    rig.fake.valid_tokens = set()
    await api.send_text("o1", "强制刷新后")
    assert [s["content"] for s in rig.fake.sends] == ["稳定令牌", "强制刷新后"]


async def test_menu_push_sends_raw_utf8_without_our_intent_field(
    rig: Rig, redis_server: EmbeddedRedis
) -> None:
    from bot.menu_cli import push_menu
    from bot.settings import load_settings
    from bot.wechat.menu import load_menu

    settings = load_settings(
        {
            "BOT_ENV": "development",
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_API_BASE": rig.api_url,
            "REDIS_URL": redis_server.url,
        }
    )
    menu = load_menu(ROOT / "content" / "menu.yml")
    await push_menu(settings, menu)
    assert rig.fake.menus == [menu.wechat]
    assert rig.fake.menus[0]["button"][0]["name"] == "口罩服务"
