"""`python -m bot demo-data` against the whole system as `make run` starts it: citizens push through the
gateway, demo agents work tickets through the console's API; what it leaves is read back from Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
import xmltodict

from bot.core.tickets import RESOLUTIONS
from bot.demo import DemoConfig, Summary, run_demo
from bot.demo.day import Day
from bot.demo.plans import Expect, Intake, Part, Say, draw_plans
from bot.demo.texts import SHOPS
from bot.launcher import ROOT, Launcher
from bot.report.render import SECTION_TITLES
from bot.storage import keys
from bot.storage.tickets import TicketStore
from bot.storage.turnlog import TurnLog
from bot.wechat.crypto import MessageCrypto
from bot.wechat.simulator import event_push, media_push, text_push
from tests.integration.conftest import AES_KEY, APPID, IDLE_SECONDS, TOKEN
from tests.integration.desk import wait_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 25 citizens of this seed plan confirmed complaints, people asked for, a complaint left unconfirmed, and
# tickets to leave queued, keep in progress, transfer and close.
SEED = 1
CITIZENS = 25


@pytest.fixture
async def redis(stack: Launcher) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def inbox_empty(redis: aioredis.Redis) -> bool:
    return int(await redis.xlen(keys.inbox())) == 0


@pytest.fixture
async def day_played(stack: Launcher, redis: aioredis.Redis) -> Summary:
    await wait_for(lambda: inbox_empty(redis), timeout=60)  # earlier tests' messages answered: a quiet start
    config = DemoConfig(
        url=stack.gateway_url,
        citizens=CITIZENS,
        seed=SEED,
        redis_url=stack.redis_url,
        token=TOKEN,
        crypto=MessageCrypto(TOKEN, AES_KEY, APPID),
        timezone=SHANGHAI,
        # the stack files a form left idle after IDLE_SECONDS, checking every 2 s: wait for those tickets
        settle=IDLE_SECONDS + 7,
    )
    summary = await run_demo(config, say=lambda _line: None)
    print("\n".join(summary.lines()))
    return summary


async def rated_tickets(
    store: TicketStore, closed: list[dict[str, Any]], expected: int
) -> list[dict[str, Any]]:
    """The closed tickets with a rating, once all `expected` are in (a rating deferred in a rush is stored
    when the inbox reaches it)."""
    found = [t for t in await store.many([t["number"] for t in closed]) if t.get("rating")]
    return found if len(found) >= expected else []


def opener(part: Part) -> Say:
    return part.opener if isinstance(part, Intake) else part


def test_the_same_seed_plans_the_same_day() -> None:
    day = Day.of(datetime.now(UTC), SHANGHAI)
    assert draw_plans(40, 7, day, safe_mode=True) == draw_plans(40, 7, day, safe_mode=True)
    assert draw_plans(40, 7, day, safe_mode=True) != draw_plans(40, 8, day, safe_mode=True)
    # one citizen's plan does not depend on how many others there are
    assert draw_plans(10, 7, day, safe_mode=True) == draw_plans(40, 7, day, safe_mode=True)[:10]


def test_pushes_carry_the_given_create_time_and_now_by_default() -> None:
    def created(xml: str) -> int:
        return int(xmltodict.parse(xml)["xml"]["CreateTime"])

    at = 1_600_000_000
    assert created(text_push("o_x", "gh_x", "你好", create_time=at)) == at
    assert created(media_push("o_x", "gh_x", "image", "MEDIA", create_time=at)) == at
    assert created(event_push("o_x", "gh_x", "CLICK", "MASK_BOOKING", create_time=at)) == at
    assert abs(created(text_push("o_x", "gh_x", "你好")) - time.time()) < 5


async def test_a_demo_day_fills_the_queue_the_tickets_the_turn_log_and_the_report(
    day_played: Summary, redis: aioredis.Redis, stack: Launcher
) -> None:
    summary, ours = day_played, set(day_played.openids)
    assert summary.citizens.failed == 0 and summary.desk.failed == 0
    assert summary.citizens.sent >= 3 * CITIZENS
    assert summary.citizens.passive >= 0.8 * summary.citizens.sent  # a light load: answered in time

    store = TicketStore(redis)
    numbers = await store.opened_on(summary.day.label.replace("-", ""))
    tickets = [t for t in await store.many(numbers) if t["openid"] in ours]
    assert {t["number"] for t in tickets} >= summary.desk.opened and len(summary.desk.opened) >= 8
    by_status = Counter(t["status"] for t in tickets)
    assert by_status["queued"] >= summary.desk.left_queued >= 1  # a live queue for the console
    assert by_status["claimed"] == summary.desk.in_progress >= 1
    assert by_status["closed"] == summary.desk.closed >= 4

    closed = [t for t in tickets if t["status"] == "closed"]
    assert all(
        t["resolution"] in RESOLUTIONS and t["agent"] in ("6001", "6002", "6003", "6004") for t in closed
    )
    rated = await wait_for(lambda: rated_tickets(store, closed, summary.citizens.ratings))
    assert len(rated) == summary.citizens.ratings >= 2
    assert all(1 <= t["rating"] <= 5 for t in rated)
    histories = [[h["what"] for h in await store.history(t["number"])] for t in closed]
    assert all(h[:2] == ["queued", "claimed"] and "closed" in h for h in histories)
    assert sum("transferred" in h for h in histories) == summary.desk.transferred >= 1
    answered = [await store.messages(t["number"]) for t in closed]
    assert all(any(m["who"] != "citizen" for m in lines) for lines in answered)  # every agent wrote back
    assert any(m["who"] == "citizen" for lines in answered for m in lines)  # and citizens wrote to agents

    complaints = [t for t in tickets if t["reason"] == "complaint" and t["confirmed"]]
    assert len(complaints) >= 4
    shops = {s.name for s in SHOPS}
    assert all(t["details"].get("shop") in shops and t["details"].get("address") for t in complaints)
    assert sum(bool(t["details"].get("product")) for t in complaints) >= 0.8 * len(complaints)
    assert max(Counter(t["details"]["shop"] for t in complaints).values()) >= 2  # a hot spot
    unconfirmed = [t for t in tickets if t["reason"] == "complaint" and not t["confirmed"]]
    assert len(unconfirmed) >= 1  # filed by the gateway once left idle
    assert any(t["live"] and t["reason"] in ("request_human", "angry", "unresolved") for t in tickets)

    # Rasa's turn log holds the citizens' messages at the simulated hours of the day (WeChat's CreateTime).
    turns = [
        t
        for t in await TurnLog(redis).between(summary.day.start, summary.day.last_second + 1)
        if t.sender in ours
    ]
    assert len(turns) >= 0.6 * summary.citizens.sent
    hours = Counter(datetime.fromtimestamp(t.at, SHANGHAI).hour for t in turns)
    assert len(hours) >= 6 and max(hours) - min(hours) >= 8
    # each citizen's first message, a text or a menu click, is logged at its CreateTime
    first_sent = {p.start for p in summary.plans if opener(p.parts[0]).kind in ("text", "click")}
    assert first_sent <= {int(t.at) for t in turns}
    assert sum(p.expects is Expect.UNCONFIRMED for p in summary.plans) == summary.citizens.forms_left

    the_days_report_has_every_section_and_chart(summary, stack.redis_url)


def the_days_report_has_every_section_and_chart(summary: Summary, redis_url: str) -> None:
    """`python -m bot report` on the demo's day, as a supervisor runs it: every section with data, the charts
    real PNGs (their Chinese is looked at by people: tests/unit/test_report.py checks the font)."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "report", "--date", summary.day.label, "--out", out],
            cwd=ROOT, env=os.environ | {"REDIS_URL": redis_url}, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        folder = Path(out) / summary.day.label
        markdown = (folder / "report.md").read_text(encoding="utf-8")
        assert all(f"## {title}" in markdown for title in SECTION_TITLES)
        assert any(shop.name in markdown for shop in SHOPS)  # the demo's hot spots are in it
        charts = sorted(folder.glob("*.png"))
        assert len(charts) >= 3
        assert all(c.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and c.stat().st_size > 10_000 for c in charts)
        assert len(list(folder.glob("*.csv"))) >= 6
