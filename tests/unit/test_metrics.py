"""GET /metrics: the registry's text output, who may scrape, and what each component counts (real Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.contract import Contract, ContractTiming, Waiters
from bot.core.quota import QuotaRule, QuotaRules
from bot.core.tickets import Reason
from bot.dev.wechat_api import FakeWeChat
from bot.metrics import Metrics
from bot.metrics_endpoint import is_loopback, refusal
from bot.rasa.client import RasaClient, RasaUnavailable
from bot.settings import load_settings
from bot.storage import keys
from bot.storage.conversations import Conversations
from bot.storage.embedded import EmbeddedRedis, free_port
from bot.storage.messages import MessageStore
from bot.storage.tickets import TicketStore
from bot.storage.tokens import TokenStore
from bot.storage.workload import Workload, read_workload
from bot.wechat.api import WeChatAPI
from bot.wechat.simulator import signed_query, text_push
from bot.workers.outbox import OutboxPolicy, OutboxSender
from tests.fakes.servers import serving

WORKLOAD_DB = 15
TOKEN = "unit-token"
NOON = datetime(2020, 2, 13, 12, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()  # ticket numbers' day
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: bytes | str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    body = text.decode() if isinstance(text, bytes) else text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


# ---- the registry ------------------------------------------------------------------------------


def test_text_output_counts_what_each_method_reports() -> None:
    metrics = Metrics()
    metrics.push_received("text")
    metrics.push_received("text")
    metrics.push_received("event")
    metrics.push_received(
        "miniprogrampage"
    )  # a type WeChat added after us: one `other` series, not a new one
    metrics.push_rejected(403)
    metrics.replied(0.3, passive=True)
    metrics.replied(5.6, passive=False)
    metrics.deferred("last_delivery")
    metrics.dedupe_hit()
    metrics.rasa_called("message", 0.8)
    metrics.rasa_failed("message", "timeout")
    metrics.outbox_sent()
    metrics.outbox_failed("45015")
    metrics.outbox_retried("unreachable")
    found = samples(metrics.render())

    assert value(found, "frontdoor_wechat_pushes_total", type="text") == 2
    assert value(found, "frontdoor_wechat_pushes_total", type="event") == 1
    assert value(found, "frontdoor_wechat_pushes_total", type="other") == 1
    assert value(found, "frontdoor_wechat_pushes_total", type="image") == 0  # exists before the first one
    assert ("frontdoor_wechat_pushes_total", frozenset({("type", "miniprogrampage")})) not in found
    assert value(found, "frontdoor_wechat_rejected_total", status="403") == 1
    assert value(found, "frontdoor_wechat_reply_seconds_count", reply="passive") == 1
    assert value(found, "frontdoor_wechat_reply_seconds_bucket", reply="passive", le="0.5") == 1
    assert value(found, "frontdoor_wechat_reply_seconds_bucket", reply="passive", le="0.25") == 0
    assert value(found, "frontdoor_wechat_reply_seconds_bucket", reply="success", le="5.0") == 0
    assert value(found, "frontdoor_replies_deferred_total", when="last_delivery") == 1
    assert value(found, "frontdoor_replies_deferred_total", when="arrival") == 0
    assert value(found, "frontdoor_dedupe_hits_total") == 1
    assert value(found, "frontdoor_rasa_request_seconds_sum", call="message") == pytest.approx(0.8)
    assert value(found, "frontdoor_rasa_errors_total", call="message", error="timeout") == 1
    assert value(found, "frontdoor_outbox_sent_total") == 1
    assert value(found, "frontdoor_outbox_failures_total", reason="45015") == 1
    assert value(found, "frontdoor_outbox_retries_total", reason="unreachable") == 1
    assert not [name for name, _ in found if name.endswith("_created")]  # half the scrape, graphed by nobody


def test_workload_gauges_show_the_last_read_and_vanish_when_it_failed() -> None:
    metrics = Metrics()
    assert "frontdoor_outbox_backlog" not in metrics.render().decode()  # nothing read yet
    metrics.show_workload(Workload(7, 3, 42.5, {"angry": 2, "complaint": 1}))
    found = samples(metrics.render())
    assert value(found, "frontdoor_outbox_backlog") == 7
    assert value(found, "frontdoor_ticket_queue_length") == 3
    assert value(found, "frontdoor_ticket_longest_wait_seconds") == 42.5
    assert value(found, "frontdoor_tickets_today", reason="angry") == 2
    assert value(found, "frontdoor_tickets_today", reason="complaint") == 1
    assert value(found, "frontdoor_tickets_today", reason="request_human") == 0  # every reason, always
    metrics.show_workload(None)  # Redis did not answer: no stale numbers
    assert "frontdoor_outbox_backlog" not in metrics.render().decode()


def test_each_app_counts_in_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.push_received("text")
    assert value(samples(first.render()), "frontdoor_wechat_pushes_total", type="text") == 1
    assert value(samples(second.render()), "frontdoor_wechat_pushes_total", type="text") == 0


# ---- who may scrape ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("10.0.0.5", False), ("192.168.1.20", False), ("::ffff:10.0.0.5", False), ("", False), (None, False),
     ("not-an-address", False)],
)  # fmt: skip
def test_loopback_addresses(remote: str | None, loopback: bool) -> None:
    assert is_loopback(remote) is loopback


@pytest.mark.parametrize(
    ("headers", "remote", "status"),
    [
        ({}, "127.0.0.1", None),
        ({}, "::1", None),
        ({}, "203.0.113.9", 403),
        # a reverse proxy on this machine connects from loopback; the request itself came from outside
        ({"X-Forwarded-For": "203.0.113.9"}, "127.0.0.1", 403),
        ({"Forwarded": "for=203.0.113.9"}, "127.0.0.1", 403),
        ({"X-Real-IP": "203.0.113.9"}, "127.0.0.1", 403),
    ],
)
def test_without_a_token_only_loopback_may_scrape(
    headers: Mapping[str, str], remote: str, status: int | None
) -> None:
    refused = refusal(None, headers, remote)
    assert (refused.status if refused else None) == status


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        ("Bearer s3cret-metrics", None),
        ("bearer s3cret-metrics", None),
        ("Basic s3cret-metrics", 401),
        ("Bearer s3cret-metrics-and-more", 401),
        ("Bearer ", 401),
    ],
)
@pytest.mark.parametrize("remote", ["127.0.0.1", "203.0.113.9"])
def test_with_a_token_it_is_required_from_everywhere(
    authorization: str | None, status: int | None, remote: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    refused = refusal("s3cret-metrics", headers, remote)
    assert (refused.status if refused else None) == status
    if refused is not None:
        assert refused.headers["WWW-Authenticate"] == "Bearer"


async def _gateway(redis_server: EmbeddedRedis, **env: str) -> TestClient:
    settings = load_settings(
        {
            "BOT_ENV": "development",
            "REDIS_URL": redis_server.url,
            "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens: no Rasa needed here
            "RASA_TIMEOUT": "1",
        }
        | env
    )
    return TestClient(TestServer(create_app(settings)))


async def test_metrics_route_serves_the_text_format_to_loopback(redis_server: EmbeddedRedis) -> None:
    async with await _gateway(redis_server) as client:
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        found = samples(await response.text())
        assert ("frontdoor_wechat_pushes_total", frozenset({("type", "text")})) in found
        assert "frontdoor_outbox_backlog" in {name for name, _ in found}  # read from Redis at scrape time
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status == 403


async def test_metrics_route_wants_the_configured_token(redis_server: EmbeddedRedis) -> None:
    async with await _gateway(redis_server, METRICS_TOKEN="unit-metrics-token") as client:
        assert (await client.get("/metrics")).status == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-it"})
        assert wrong.status == 401
        right = await client.get("/metrics", headers={"Authorization": "Bearer unit-metrics-token"})
        assert right.status == 200
        assert "frontdoor_wechat_pushes_total" in await right.text()


async def test_a_push_is_counted_by_type_and_its_reply_timed(redis_server: EmbeddedRedis) -> None:
    async with await _gateway(redis_server, WECHAT_TOKEN=TOKEN) as client:
        push = text_push("o-unit-metrics", "gh", "口罩怎么预约").encode()
        answered = await client.post("/wechat", params=signed_query(TOKEN, "o-unit-metrics"), data=push)
        assert answered.status == 200  # Rasa is down here: the passive reply says so
        forged = await client.post("/wechat", params=signed_query("not-the-token", "o-x"), data=push)
        assert forged.status == 403
        found = samples(await (await client.get("/metrics")).text())
    assert value(found, "frontdoor_wechat_pushes_total", type="text") == 1
    assert value(found, "frontdoor_wechat_reply_seconds_count", reply="passive") == 1
    assert value(found, "frontdoor_wechat_rejected_total", status="403") == 1
    assert value(found, "frontdoor_rasa_errors_total", call="message", error="unreachable") == 1


# ---- the workload, read from Redis -------------------------------------------------------------


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url, db=WORKLOAD_DB, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


async def test_workload_reads_backlog_queue_and_todays_tickets(redis: aioredis.Redis) -> None:
    tickets = TicketStore(redis)
    now = NOON  # fixed, so that no ticket of the test falls on the day before

    async def open_ticket(source: str, reason: Reason, priority: int, queued_at: float, live: bool) -> str:
        opened = await tickets.open(
            f"o-{source}",
            source,
            reason,
            priority=priority,
            category="咨询",
            summary="",
            live=live,
            now=queued_at,
        )
        return opened.number

    # The longest wait is not the queue's head: the queue is ordered by priority first.
    await open_ticket("a", Reason.ANGRY, 1, now - 30, live=True)
    await open_ticket("b", Reason.REQUEST_HUMAN, 3, now - 300, live=True)
    closed = await open_ticket("c", Reason.COMPLAINT, 5, now - 10, live=False)
    await tickets.close(closed, "5001", "resolved", ask_rating=False)
    await redis.xadd(keys.outbox(), {"openid": "o1", "text": "x", "origin": "t", "attempt": "0"})
    await redis.zadd(keys.outbox_delayed(), {'{"openid": "o2"}': now + 5})
    workload = await read_workload(redis, tickets, "20200213", now)

    assert workload.outbox_backlog == 2
    assert workload.queue_length == 2
    assert workload.longest_wait == pytest.approx(300, abs=1)
    assert workload.tickets_today == {"angry": 1, "request_human": 1, "complaint": 1}


async def test_an_empty_redis_is_an_empty_workload(redis: aioredis.Redis) -> None:
    workload = await read_workload(redis, TicketStore(redis), "20200213", time.time())
    assert workload == Workload(0, 0, 0.0, {})


# ---- what the components count -----------------------------------------------------------------


async def test_contract_counts_a_retried_delivery_and_the_last_deferral(redis: aioredis.Redis) -> None:
    metrics = Metrics()
    timing = ContractTiming(budget=0.1, hold=0.1, deliveries=2, poll=0.05)
    contract = Contract(MessageStore(redis), Waiters(), timing, metrics)
    for _ in range(2):  # nobody answers: the first delivery is held, the second (the last) defers
        assert await contract.reply("msg:4242", "o-contract", "你好", is_event=False) is None
    found = samples(metrics.render())
    assert value(found, "frontdoor_dedupe_hits_total") == 1
    assert value(found, "frontdoor_replies_deferred_total", when="last_delivery") == 1
    assert value(found, "frontdoor_replies_deferred_total", when="arrival") == 0


async def test_outbox_counts_sends_retries_and_failures_by_reason(redis: aioredis.Redis) -> None:
    metrics = Metrics()
    fake = FakeWeChat("wx_unit", "unit-secret")
    conversations = Conversations(redis, QuotaRules(QuotaRule(5, 3600), QuotaRule(3, 60)))
    async with serving(fake.app()) as api_url, aiohttp.ClientSession() as session:
        api = WeChatAPI(session, api_url, "wx_unit", "unit-secret", TokenStore(redis), timeout=1.0)
        sender = OutboxSender(redis, api, conversations, "unit", OutboxPolicy(), metrics=metrics)
        await conversations.touch("o1", is_event=False, dedupe_key="msg:1")
        fields = {"openid": "o1", "text": "答复", "origin": "test", "attempt": "0"}
        fake.script = [-1, 45015]
        await sender.deliver("1-1", dict(fields))  # busy: put back for a retry
        await sender.deliver("1-2", dict(fields))  # 45015: given up
        await sender.deliver("1-3", dict(fields))  # sent
        await sender.deliver("1-4", fields | {"openid": "never-wrote"})  # no window: quota_expired
    found = samples(metrics.render())
    assert value(found, "frontdoor_outbox_sent_total") == 1
    assert value(found, "frontdoor_outbox_retries_total", reason="-1") == 1
    assert value(found, "frontdoor_outbox_failures_total", reason="45015") == 1
    assert value(found, "frontdoor_outbox_failures_total", reason="quota_expired") == 1


async def _slow_rasa(request: web.Request) -> web.Response:
    await asyncio.sleep(1)
    return web.json_response([])


async def _broken_rasa(request: web.Request) -> web.Response:
    return web.Response(status=500)


@pytest.mark.parametrize(
    ("handler", "error"), [(_broken_rasa, "http_status"), (_slow_rasa, "timeout"), (None, "unreachable")]
)
async def test_rasa_calls_are_timed_and_their_failures_counted_by_kind(
    handler: Callable[[web.Request], Awaitable[web.Response]] | None, error: str
) -> None:
    metrics = Metrics()
    app = web.Application()
    if handler is not None:
        app.router.add_post("/webhooks/rest/webhook", handler)
    async with serving(app) as base, aiohttp.ClientSession() as session:
        url = base if handler is not None else f"http://127.0.0.1:{free_port()}"
        rasa = RasaClient(session, url, "unit-rasa-token", metrics)
        with pytest.raises(RasaUnavailable):
            await rasa.send("o1", "你好", timeout=0.3)
    found = samples(metrics.render())
    assert value(found, "frontdoor_rasa_errors_total", call="message", error=error) == 1
    assert value(found, "frontdoor_rasa_request_seconds_count", call="message") == 1
    others = [e for e in ("timeout", "unreachable", "http_status", "bad_response") if e != error]
    assert all(value(found, "frontdoor_rasa_errors_total", call="message", error=e) == 0 for e in others)
