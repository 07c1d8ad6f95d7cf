"""The daily report in the console: a supervisor reads every section and a chart; nobody else does."""

from __future__ import annotations

import json
import os
import struct
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.async_api import async_playwright, expect

from bot.core.shifts import parse_shifts
from bot.core.tickets import Reason
from bot.files import read_yaml_mapping
from bot.launcher import ROOT
from bot.report.build import NO_SHIFT
from bot.storage import keys
from bot.storage.agents import Role
from bot.storage.tickets import TicketStore
from tests.integration.conftest import World
from tests.integration.desk import PASSWORD, add_agent, agent_client

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = os.path.exists(CHROMIUM)


async def log_turn(world: World, at: float, sender: str, text: str, intent: str, confidence: float,
                   actions: str) -> None:  # fmt: skip
    """A citizen's message as Rasa's event broker logs it (rasa_server/turn_log.py `turn_fields`); in this
    test only, since Rasa writes to the stack's database, not to the test's own."""
    await world.redis.xadd(
        keys.turn_log(),
        {
            "at": f"{at:.3f}", "sender": sender, "text": text, "intent": intent,
            "confidence": f"{confidence:.4f}", "actions": actions,
            "entities": json.dumps([{"entity": "product", "value": "口罩"}], ensure_ascii=False),
            "message_id": f"m-{sender}-{at}",
        },
    )  # fmt: skip


async def a_day(world: World) -> tuple[str, float]:
    """Today's complaint, a live handoff taken, closed and rated, three messages, and a complaint about the
    same shop three days before. Returns the day (YYYY-MM-DD) and when today's tickets were queued."""
    queued = time.time() - 60
    store = TicketStore(world.redis, timezone=SHANGHAI)
    await store.open(
        "o_rep_1", "rep-1", Reason.COMPLAINT, priority=5, category="举报", summary="药店哄抬口罩价格",
        details={"shop": "华联超市", "address": "建国路88号", "product": "N95口罩", "price": "80元"},
        live=False, confirmed=False, now=queued,
    )  # fmt: skip
    handoff = await store.open(
        "o_rep_2",
        "rep-2",
        Reason.ANGRY,
        priority=2,
        category="咨询",
        summary="等了很久",
        live=True,
        now=queued,
    )
    await store.claim(handoff.number, "5901", now=queued + 30)
    await store.close(handoff.number, "5901", "resolved", ask_rating=True)
    await store.rate("o_rep_2", handoff.number, 4)
    await store.open(
        "o_rep_3", "rep-3", Reason.COMPLAINT, priority=5, category="投诉", summary="又涨价了",
        details={"shop": "华联超市"}, live=False, now=queued - 3 * 86400,
    )  # fmt: skip
    await log_turn(world, queued, "o_rep_1", "口罩怎么预约", "ask_booking", 0.93, "action_answer_content")
    await log_turn(world, queued, "o_rep_1", "口罩能退吗？", "nlu_fallback", 0.31, "action_default_fallback")
    await log_turn(world, queued, "o_rep_2", "口罩能退吗", "nlu_fallback", 0.28, "action_default_fallback")
    return datetime.fromtimestamp(queued, SHANGHAI).date().isoformat(), queued


async def test_a_supervisor_reads_every_section_and_the_charts(world: World) -> None:
    await add_agent(world.redis, "5901", Role.SUPERVISOR)
    day, queued = await a_day(world)
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as supervisor:
        assert (await supervisor.login("5901"))[0] == 200
        status, report = await supervisor.call("GET", f"/api/report?date={day}")
        assert status == 200, report
        assert (report["day"], report["messages"], report["citizens"], report["tickets"]) == (day, 3, 2, 2)
        assert report["per_hour"][datetime.fromtimestamp(queued, SHANGHAI).hour] == 3
        assert [(i["key"], i["count"]) for i in report["intents"]] == [
            ("nlu_fallback", 2),
            ("ask_booking", 1),
        ]
        assert [(c["category"], c["tickets"], c["unconfirmed"]) for c in report["categories"]] == [
            ("投诉", 0, 0), ("举报", 1, 1),
        ]  # fmt: skip
        spots = {(s["kind"], s["name"]): (s["today"], s["trend"]) for s in report["hot_spots"]["top"]}
        assert spots == {
            ("shop", "华联超市"): (1, "上升"), ("address", "建国路"): (1, "新出现"), ("product", "N95口罩"): (1, "新出现"),
        }  # fmt: skip
        handoffs = {h["label"]: h["count"] for h in report["handoffs"]}
        assert handoffs == {"情绪激动": 1, "投诉举报": 1, "要求人工": 0, "未解决": 0}
        shifts = parse_shifts(read_yaml_mapping(ROOT / "content" / "shifts.yml", ValueError))
        on_duty = [s.name for s in shifts if s.covers(datetime.fromtimestamp(queued, SHANGHAI))] or [NO_SHIFT]
        assert [r["shift"] for r in report["shifts"]] == [s.name for s in shifts] + [NO_SHIFT]
        for row in report["shifts"]:
            if row["shift"] in on_duty:  # the complaint still waits for its callback: unclaimed
                assert row["tickets"] == 2 and row["unclaimed"] == 1, row
                assert row["waiting_median"] == pytest.approx(30, abs=1)
            else:
                assert row["tickets"] == 0, row
        satisfaction = report["satisfaction"]
        assert (satisfaction["asked"], satisfaction["answered"], satisfaction["mean"]) == (1, 1, 4.0)
        assert satisfaction["distribution"] == [0, 0, 0, 1, 0]
        assert [(u["text"], u["count"], u["citizens"]) for u in report["not_understood"]] == [
            ("口罩能退吗", 2, 2)
        ]

        async with supervisor.session.get(supervisor.base + report["charts"]["complaints"]) as response:
            assert response.status == 200 and response.content_type == "image/png"
            png = await response.read()
        assert png.startswith(PNG_SIGNATURE)
        assert struct.unpack(">II", png[16:24])[0] >= 700

        status, body = await supervisor.call("GET", "/api/report?date=2020-13-01")
        assert (status, body["error"]) == (400, "bad_date") and "日期" in body["message"]
        status, body = await supervisor.call("GET", "/api/report?date=2999-01-01")
        assert (status, body["error"]) == (400, "bad_date") and "晚于今天" in body["message"]
        assert (await supervisor.call("GET", "/api/report/yesterday/complaints.png"))[0] == 400
        assert (await supervisor.call("GET", f"/api/report/{day}/secrets.png"))[0] == 404
        async with supervisor.session.get(supervisor.base + "/console/report") as response:
            assert response.status == 200
            page = await response.text()
        assert "/console/static/report.js" in page and "<script>" not in page


async def test_the_report_is_for_supervisors_only(world: World, http: aiohttp.ClientSession) -> None:
    await add_agent(world.redis, "5902")
    await add_agent(world.redis, "5903", Role.MAINTAINER)
    paths = ["/api/report", "/api/report?date=2020-02-13", "/api/report/2020-02-13/complaints.png"]
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        for path in paths:
            async with http.get(base + path) as response:
                assert response.status == 401, path
                assert (await response.json())["error"] == "login_required"
        async with http.get(base + "/console/report", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/console/login"
        for agent_id in ("5902", "5903"):
            async with agent_client(base) as someone:
                assert (await someone.login(agent_id))[0] == 200
                for path in [*paths, "/console/report"]:
                    status, body = await someone.call("GET", path)
                    assert (status, body["error"]) == (403, "forbidden"), (agent_id, path)


async def test_the_report_page_fills_in_a_browser(world: World) -> None:
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    await add_agent(world.redis, "5904", Role.SUPERVISOR)
    day, _ = await a_day(world)
    await world.redis.hset(keys.ticket(f"12315-{day.replace('-', '')}-0001"), "details",
                           json.dumps({"shop": "<img src=x onerror=\"window.__xss = 1\">药房"}))  # fmt: skip
    async with world.gateway() as url, async_playwright() as playwright:
        base = url.removesuffix("/wechat")
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            # a CSP refusal (an inline script or style) shows as a console error
            page.on(
                "console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None
            )
            await page.goto(f"{base}/console/login")
            await page.fill("#agent_id", "5904")
            await page.fill("#password", PASSWORD)
            await page.click("#login-button")
            await expect(page).to_have_url(f"{base}/console")
            await page.click("#report-link")
            await expect(page.locator("#report-summary")).not_to_be_empty()  # yesterday's, by default
            await page.fill("#report-date", day)
            await page.click("#report-form button[type=submit]")
            await expect(page.locator("#rows-hot-top")).to_contain_text(
                '<img src=x onerror="window.__xss = 1">药房'
            )
            await expect(page.locator("#rows-not-understood")).to_contain_text("口罩能退吗")
            await expect(page.locator("#satisfaction-summary")).to_contain_text("平均 4.00 分")
            await expect(page).to_have_url(f"{base}/console/report?date={day}")
            for chart in ("messages_per_hour", "complaints", "shifts", "handoffs", "satisfaction"):
                image = page.locator(f"#chart-{chart}")
                await expect(image).to_have_attribute("src", f"/api/report/{day}/{chart}.png")
                await page.wait_for_function("(image) => image.complete && image.naturalWidth > 0",
                                             arg=await image.element_handle(), timeout=30_000)  # fmt: skip
            assert await page.evaluate("window.__xss") is None
            await page.fill("#report-date", "2999-01-01")
            await page.click("#report-form button[type=submit]")
            await expect(page.locator("#report-error")).to_have_text("日期不能晚于今天")
            assert problems == [f"400 {base}/api/report?date=2999-01-01"]
        finally:
            await browser.close()
