"""Live content against the whole stack (`make run`'s gateway, the real Rasa and action server, Redis): a
maintainer's edit in the console is in the very next answer, an expired announcement is never shown, a bad
change is refused with nothing changed, a rollback restores the text, and a new announcement reaches the
citizens who asked about its topic."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import redis.asyncio as aioredis
from playwright.async_api import Browser, expect

from bot.launcher import Launcher
from bot.storage import keys
from bot.storage.agents import Role
from bot.storage.content import ContentStore
from bot.wechat.simulator import WeChatSimulator
from tests.integration.desk import PASSWORD, add_agent, agent_client
from tests.integration.test_console_browser import browser

__all__ = ["browser"]
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ASK_NEWS = "最近有什么新公告吗"


@pytest.fixture
async def redis_db0(stack: Launcher) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def cleanup(redis_db0: aioredis.Redis) -> AsyncIterator[list[str]]:
    """Announcements a test made are removed afterwards, so the shared stack answers as before."""
    made: list[str] = []
    yield made
    store = ContentStore(redis_db0)
    for item_id in made:
        if await store.announcement(item_id):
            await store.delete_announcement(item_id, "test-cleanup")


def citizen(stack: Launcher) -> WeChatSimulator:
    token = stack.env.get("WECHAT_TOKEN") or "dev-token-12315"
    return WeChatSimulator(url=f"{stack.gateway_url}/wechat", token=token, openid=f"o_it_{uuid.uuid4().hex}")


def notice(item_id: str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id, "title": title, "authority": "市疫情防控指挥部", "published": TODAY.isoformat(),
        "text": "各网点今日起延长领取时间至晚上八点。", "tags": ["领取"],
    } | extra  # fmt: skip


async def test_a_maintainer_edits_an_announcement_in_the_browser_and_the_next_answer_has_it(
    stack: Launcher,
    redis_db0: aioredis.Redis,
    browser: Browser,
    http: aiohttp.ClientSession,
    cleanup: list[str],
) -> None:
    await add_agent(redis_db0, "5901", Role.MAINTAINER)
    item_id = f"it-{uuid.uuid4().hex[:8]}"
    cleanup.append(item_id)
    title = f"关于延长口罩领取时间的通知（{item_id}）"
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    base = stack.gateway_url
    await page.goto(f"{base}/console/login")
    await page.fill("#agent_id", "5901")
    await page.fill("#password", PASSWORD)
    await page.click("#login-button")
    await page.click("#content-link")
    await expect(page).to_have_url(f"{base}/console/content")

    await page.click("#announcement-new")
    await page.fill("#a-id", item_id)
    await page.fill("#a-title", title)
    await page.fill("#a-authority", "市疫情防控指挥部")
    await page.fill("#a-tags", "领取")
    await page.fill("#a-text", "各网点今日起延长领取时间至晚上八点。")
    # a bad date is refused, naming the field, and nothing is published
    await page.fill("#a-published", "2026-02-30")
    await page.click("#a-save")
    await expect(page.locator("#a-error")).to_contain_text("published")
    assert await ContentStore(redis_db0).announcement(item_id) is None

    await page.fill("#a-published", TODAY.isoformat())
    await page.click("#a-preview")
    await expect(page.locator("#preview")).to_contain_text(f"最新公告：{title}（市疫情防控指挥部")
    await page.click("#a-save")
    await expect(page.locator("#a-status")).to_have_text("公告已发布")
    await expect(page.locator(f'#announcement-rows tr[data-id="{item_id}"]')).to_contain_text("有效")

    reply = await citizen(stack).send_text(http, ASK_NEWS)
    assert reply is not None and reply.startswith(f"最新公告：{title}"), reply

    # the edit is undone from the history: the next answer no longer has it
    [change] = [c for c in await ContentStore(redis_db0).history(limit=20) if c.item == item_id]
    await page.locator(f'#history-rows tr[data-change="{change.id}"] button').click()
    await expect(page.locator(f'#announcement-rows tr[data-id="{item_id}"]')).to_have_count(0)
    reply = await citizen(stack).send_text(http, ASK_NEWS)
    assert reply is not None and title not in reply
    assert errors == []


async def test_an_expired_announcement_is_never_shown(
    stack: Launcher, redis_db0: aioredis.Redis, http: aiohttp.ClientSession, cleanup: list[str]
) -> None:
    item_id = f"it-{uuid.uuid4().hex[:8]}"
    cleanup.append(item_id)
    title = f"已经过期的通知（{item_id}）"
    yesterday = TODAY - timedelta(days=1)
    # published after every other announcement, so it would be the newest were it still in force
    await ContentStore(redis_db0).put_announcement(
        notice(
            item_id,
            title,
            published=(yesterday - timedelta(days=1)).isoformat(),
            expires=yesterday.isoformat(),
        ),
        "5902",
    )
    reply = await citizen(stack).send_text(http, ASK_NEWS)
    assert reply is not None and reply.startswith("最新公告") and title not in reply


async def test_a_bad_change_through_the_api_is_refused_and_changes_nothing(
    stack: Launcher, redis_db0: aioredis.Redis
) -> None:
    await add_agent(redis_db0, "5903", Role.MAINTAINER)
    await add_agent(redis_db0, "5904", Role.AGENT)
    before = [await redis_db0.get(keys.content(s)) for s in ("booking", "announcements")]
    audit = await redis_db0.xlen(keys.content_audit())
    async with agent_client(stack.gateway_url) as maintainer, agent_client(stack.gateway_url) as agent:
        assert (await maintainer.login("5903"))[0] == 200
        status, body = await maintainer.call(
            "PUT", "/api/content/announcements/it-bad", notice("it-bad", "标题", expires="2020-01-01")
        )
        assert (status, body["field"]) == (400, "announcements[it-bad].expires")
        status, body = await maintainer.call("PUT", "/api/content/booking", {"text": "   "})
        assert (status, body["field"]) == (400, "booking.text")
        status, body = await maintainer.call("PUT", "/api/content/weather", {"text": "晴"})
        assert status == 404
        # an agent who takes tickets does not publish
        assert (await agent.login("5904"))[0] == 200
        assert (await agent.call("PUT", "/api/content/booking", {"text": "随便改改"}))[0] == 403
    assert [await redis_db0.get(keys.content(s)) for s in ("booking", "announcements")] == before
    assert await redis_db0.xlen(keys.content_audit()) == audit


async def test_a_new_announcement_reaches_the_citizens_who_asked_about_its_topic_once(
    stack: Launcher, redis_db0: aioredis.Redis, http: aiohttp.ClientSession, cleanup: list[str]
) -> None:
    await add_agent(redis_db0, "5905", Role.MAINTAINER)
    asker = citizen(stack)
    assert await asker.send_text(http, "口罩到哪里去领") is not None  # asks about pickup: in the audience
    item_id = f"it-{uuid.uuid4().hex[:8]}"
    cleanup.append(item_id)
    title = f"关于新增领取网点的通知（{item_id}）"
    async with agent_client(stack.gateway_url) as maintainer:
        assert (await maintainer.login("5905"))[0] == 200
        assert (
            await maintainer.call("PUT", f"/api/content/announcements/{item_id}", notice(item_id, title))
        )[0] == 200
        path = f"/api/content/announcements/{item_id}"
        deadline = time.monotonic() + 20
        while True:  # Rasa's turn log is written as the turn ends; the answer may come a moment before
            status, preview = await maintainer.call("GET", f"{path}/audience")
            if preview.get("count") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.3)
        assert status == 200 and preview["count"] >= 1 and "ask_mask_pickup" in preview["intents"]
        status, sent = await maintainer.call("POST", f"{path}/notify")
        assert status == 200 and sent["queued"] == preview["count"]
        status, again = await maintainer.call("POST", f"{path}/notify")
        assert (status, again["queued"]) == (200, 0)  # each citizen is told once
    sends = await _sends(http, stack, asker.openid, title)
    assert len(sends) == 1 and sends[0]["content"].startswith("您关注的事项有新公告")


async def _sends(
    http: aiohttp.ClientSession, stack: Launcher, openid: str, title: str
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        async with http.get(f"{stack.wechat_api_url}/_fake/sends", params={"touser": openid}) as response:
            found = [s for s in await response.json() if title in str(s.get("content") or s)]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.3)
