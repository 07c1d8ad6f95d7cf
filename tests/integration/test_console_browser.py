"""The agent console in a real headless Chromium (Debian's, driven by Playwright), against the real stack:
a ticket appears live, the agent claims, replies and closes; a citizen's <script> stays text; no session,
no console."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.core.tickets import agent_joined_message
from bot.storage import keys
from tests.integration.conftest import World
from tests.integration.desk import PASSWORD, add_agent

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">你们这帮废物！！！'


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def log_in(page: Page, base: str, agent_id: str) -> None:
    await page.goto(f"{base}/console")
    await expect(page).to_have_url(f"{base}/console/login")  # no session: the login page
    await page.fill("#agent_id", agent_id)
    await page.fill("#password", PASSWORD)
    await page.click("#login-button")
    await expect(page).to_have_url(f"{base}/console")
    await expect(page.locator("#live-state")).to_have_text("实时更新中")


async def test_an_agent_works_a_ticket_in_the_console(
    world: World, http: aiohttp.ClientSession, browser: Browser
) -> None:
    await add_agent(world.redis, "5501")
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await log_in(page, base, "5501")

        citizen = world.citizen(url)
        reply = await citizen.send_text(http, XSS)
        assert reply and "工单号" in reply
        number = str(await world.redis.hget(keys.mode(citizen.openid), "ticket"))
        row = page.locator(f'tr[data-ticket="{number}"]')
        await expect(row).to_be_visible(timeout=15_000)  # live, without a reload
        await expect(row).to_contain_text("<script>window.__xss = 1</script>")

        await row.click()
        await expect(page.locator("#t-number")).to_have_text(number)
        await expect(page.locator("#t-transcript")).to_contain_text('<img src=x onerror="window.__xss = 2">')
        await expect(page.locator("#t-understanding")).to_contain_text("express_anger")
        await page.click("#claim")
        await expect(page.locator("#t-status")).to_have_text("处理中")

        await page.select_option("#canned", label="问候")
        await expect(page.locator("#reply-text")).to_have_value(
            "您好，我是12315工作人员，工号5501，很高兴为您服务。请问有什么可以帮您？"
        )
        await page.fill("#reply-text", "您好，请问是哪家店？")
        await page.click("#send")
        sends = await world.sends_to(citizen.openid, 2)
        assert [s["content"] for s in sends] == [agent_joined_message(number, "5501"), "您好，请问是哪家店？"]

        assert await citizen.send_text(http, "人民路的<b>华联超市</b>") is None
        await expect(page.locator("#t-messages")).to_contain_text("人民路的<b>华联超市</b>", timeout=15_000)

        await page.select_option("#resolution", "complaint_registered")
        await page.click("#close")
        await expect(page.locator("#t-status")).to_have_text("已关闭")
        reply = await citizen.send_text(http, "口罩怎么预约")
        assert reply and "每人每次可预约" in reply

        assert await page.evaluate("window.__xss") is None
        assert errors == []


async def test_the_console_needs_a_session_and_the_right_role(world: World, browser: Browser) -> None:
    from bot.storage.agents import Role

    await add_agent(world.redis, "5601", Role.MAINTAINER)
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        page = await browser.new_page()
        response = await page.goto(f"{base}/api/tickets")
        assert response is not None and response.status == 401
        await log_in_maintainer(page, base)
        await expect(page.locator("main.empty")).to_contain_text("不处理工单")
        response = await page.goto(f"{base}/api/tickets")
        assert response is not None and response.status == 403


async def log_in_maintainer(page: Page, base: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.fill("#agent_id", "5601")
    await page.fill("#password", PASSWORD)
    await page.click("#login-button")
    await expect(page).to_have_url(f"{base}/console")


async def test_an_unconfirmed_complaint_shows_as_such_with_its_evidence(
    world: World, http: aiohttp.ClientSession, browser: Browser
) -> None:
    await add_agent(world.redis, "5502")
    async with world.gateway(COMPLAINT_IDLE_SECONDS="2") as url:
        citizen = world.citizen(url)
        assert "登记" in (await citizen.send_text(http, "举报福满超市口罩一只卖35元") or "")
        assert "证据" in (await citizen.send_media(http, "image", "MEDIA_CONSOLE_1") or "")
        [notice] = await world.sends_to(citizen.openid, 1, timeout=20)
        number = notice["content"].split("工单号：")[1].split("。")[0]
        page = await browser.new_page()
        await log_in(page, url.removesuffix("/wechat"), "5502")
        await page.locator(f'tr[data-ticket="{number}"]').click()
        await expect(page.locator("#t-confirmed")).to_contain_text("未确认即离开")
        await expect(page.locator("#t-attachments")).to_contain_text("图片（MediaId MEDIA_CONSOLE_1）")
        await expect(page.locator("#t-details")).to_contain_text("福满超市")
