"""GET /metrics and the logs of a real push: real Redis, the real Rasa model, an in-process gateway."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.logs import JsonFormatter
from bot.wechat.simulator import text_push
from tests.integration.conftest import World

BOOKING = "口罩怎么预约"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: aiohttp.ClientSession, wechat_url: str, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(metrics_url(wechat_url), headers=headers) as response:
        assert response.status == 200
        body = await response.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def metrics_url(wechat_url: str) -> str:
    return wechat_url.removesuffix("/wechat") + "/metrics"


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


async def test_a_text_push_is_counted_once_and_its_reply_timed(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with world.gateway() as url:
        before = await scrape(http, url)
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
        assert delivery.statuses == [200] and delivery.reply is not None and "预约" in delivery.reply
        after = await scrape(http, url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("frontdoor_wechat_pushes_total", type="text") == 1
    assert grew("frontdoor_wechat_pushes_total", type="event") == 0
    assert grew("frontdoor_wechat_reply_seconds_count", reply="passive") == 1
    assert 0 < grew("frontdoor_wechat_reply_seconds_sum", reply="passive") < 4.5
    assert grew("frontdoor_wechat_reply_seconds_bucket", reply="passive", le="4.5") == 1
    assert grew("frontdoor_wechat_reply_seconds_count", reply="success") == 0
    assert grew("frontdoor_rasa_request_seconds_count", call="message") == 1
    assert grew("frontdoor_dedupe_hits_total") == 0
    assert value(after, "frontdoor_outbox_backlog") == 0
    assert value(after, "frontdoor_ticket_queue_length") == 0


async def test_a_handoff_shows_in_the_queue_gauges(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, "我要找人工客服"))
        assert delivery.reply is not None and "人工" in delivery.reply
        found = await scrape(http, url)
    assert value(found, "frontdoor_ticket_queue_length") == 1
    assert value(found, "frontdoor_ticket_longest_wait_seconds") >= 0
    assert value(found, "frontdoor_tickets_today", reason="request_human") == 1
    assert value(found, "frontdoor_tickets_today", reason="angry") == 0


async def test_a_token_is_required_when_one_is_configured(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway(METRICS_TOKEN="it-metrics-token") as url:
        for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "it-metrics-token"}):
            async with http.get(metrics_url(url), headers=headers) as response:
                assert response.status == 401
        found = await scrape(http, url, token="it-metrics-token")
    assert ("frontdoor_wechat_pushes_total", frozenset({("type", "text")})) in found


async def test_a_push_answered_through_the_outbox_logs_no_openid_text_or_secret(
    world: World, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """ADMIT_WAIT=0 defers every message on arrival: the push gets `success`, the answer goes through the
    outbox, which fetches an access token. Every path a message takes is logged, and nothing of it leaks."""
    caplog.set_level(logging.DEBUG)
    settings = world.settings(ADMIT_WAIT="0")
    async with world.gateway(ADMIT_WAIT="0") as url:
        citizen = world.citizen(url)
        delivery = await citizen.deliver(http, text_push(citizen.openid, citizen.account, BOOKING))
        assert delivery.statuses == [200] and delivery.reply is None  # `success`
        sends = await world.sends_to(citizen.openid, 1)
        assert len(sends) == 1 and "预约" in sends[0]["content"]
        found = await scrape(http, url)
    assert value(found, "frontdoor_replies_deferred_total", when="arrival") == 1
    assert value(found, "frontdoor_outbox_sent_total") == 1
    assert value(found, "frontdoor_wechat_reply_seconds_count", reply="success") == 1

    access_tokens = [str(t) for t in world.fake.valid_tokens]
    assert access_tokens  # the outbox did fetch one
    secrets = [settings.wechat_token, settings.wechat_secret, settings.wechat_aes_key, settings.rasa_token]
    formatter = JsonFormatter()  # the whole record: message, extra fields, traceback
    lines = [(record.levelno, formatter.format(record)) for record in caplog.records]
    for level, line in lines:
        for secret in [*secrets, *access_tokens]:
            assert secret is None or secret not in line, line
        if level >= logging.INFO:
            assert citizen.openid not in line, line
            assert BOOKING not in line, line
    # The capture saw the push's way through: its access line, and the contract's debug line.
    assert any('"route": "/wechat", "status": 200' in line for _, line in lines)
    assert any(level == logging.DEBUG and "deferred on arrival" in line for level, line in lines)
