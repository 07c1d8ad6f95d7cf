"""The WeChat simulator page (development only) in a real headless Chromium, beside the agent console in
another browser context, against the real stack (Redis, Rasa with the trained model, the action server):
a citizen asks about masks from the menu, reports a shop with a picture, gets angry, is handed to an agent,
gets the agent's reply, is handed back and rates the help. Pushes go through the gateway's real /wechat,
signed and encrypted (safe mode); the agent's messages arrive through the outbox and the WeChat API fake.

With SCREENSHOTS_DIR set (`make screenshots`), the two pages are saved side by side for the README.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Browser, Locator, Page, expect

from bot.app import create_app
from bot.report.render import CJK_FONT_FILE
from bot.storage import keys
from tests.fakes.servers import serving
from tests.integration.conftest import World
from tests.integration.desk import add_agent
from tests.integration.test_console_browser import browser, log_in

__all__ = ["browser"]
VIEWPORT = {"width": 1000, "height": 820}
CONSOLE_VIEWPORT = {"width": 1280, "height": 820}


def pushes(page: Page, kind: str = "text") -> Locator:
    """The delivery log's lines for pushes of one kind (the outbox's messages are logged there too)."""
    return page.locator("#log li", has_text=f" {kind}: ")


async def say(page: Page, text: str) -> None:
    """Type and send one message; wait until the gateway's answer (or `success`) came back."""
    before = await pushes(page).count()
    await page.fill("#text", text)
    await page.click("#send")
    await expect(pushes(page)).to_have_count(before + 1, timeout=20_000)


async def last_bot_text(page: Page) -> str:
    return await page.locator("#chat li.bot .bubble").last.inner_text()


async def test_a_whole_story_through_the_simulator_beside_the_console(
    world: World, browser: Browser, tmp_path: Path
) -> None:
    await add_agent(world.redis, "7001")
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        phone = await (await browser.new_context(viewport=VIEWPORT)).new_page()
        console = await (await browser.new_context(viewport=CONSOLE_VIEWPORT)).new_page()
        errors: list[str] = []
        for page in (phone, console):
            page.on("pageerror", lambda exc: errors.append(str(exc)))

        await phone.goto(f"{base}/simulator")
        await expect(phone.locator("#chat li.bot")).to_have_count(1, timeout=15_000)  # the welcome
        openid = await phone.locator("#openid").inner_text()
        assert openid.startswith("o_sim_")
        await expect(pushes(phone, "subscribe")).to_contain_text("被动回复")

        # the menu: 口罩服务 → 如何预约口罩, answered from the live content
        await phone.get_by_role("button", name="口罩服务").click()
        await phone.get_by_role("button", name="如何预约口罩").click()
        await expect(phone.locator("#chat li.bot")).to_have_count(2, timeout=15_000)
        assert "每人每次可预约" in await last_bot_text(phone)

        # a report with a picture, confirmed: a complaint ticket
        await say(phone, "我要举报惠民大药房，N95口罩卖80元一个，太黑心了")
        assert "登记" in await last_bot_text(phone)
        picture = tmp_path / "receipt.png"
        Image.new("RGB", (120, 90), (200, 60, 60)).save(picture)
        await phone.set_input_files("#image", str(picture))
        await expect(pushes(phone, "image")).to_have_count(1, timeout=20_000)
        await expect(phone.locator("#chat li.me img")).to_have_count(1)
        assert "证据" in await last_bot_text(phone)
        for _ in range(6):
            if "请核对" in await last_bot_text(phone):
                break
            await say(phone, "跳过")
        await say(phone, "确认")
        filed = await last_bot_text(phone)
        assert "已提交" in filed and "工单号：12315-" in filed
        complaint = re.search(r"12315-\d{8}-\d{4}", filed).group(0)  # type: ignore[union-attr]
        ticket = await world.redis.hgetall(keys.ticket(complaint))
        assert ticket["openid"] == openid and ticket["reason"] == "complaint"
        assert ticket["attachments"].count("sim-") == 1  # the picture's MediaId is on the ticket

        # anger: handed to a person
        await say(phone, "你们这帮废物，口罩天天约不上，一点作为都没有！！！")
        handed = await last_bot_text(phone)
        assert "工单号" in handed
        live = str(await world.redis.hget(keys.mode(openid), "ticket"))
        assert live and live != complaint

        # the agent, in the console: claims and replies; the reply reaches the phone through the outbox
        await log_in(console, base, "7001")
        row = console.locator(f'tr[data-ticket="{live}"]')
        await expect(row).to_be_visible(timeout=15_000)
        await row.click()
        await console.click("#claim")
        await expect(console.locator("#t-status")).to_have_text("处理中")
        await console.fill(
            "#reply-text", "您好，我是12315工作人员。您反映的情况我们记下了，今天会联系药店核实。"
        )
        await console.click("#send")
        outbox = phone.locator("#chat li.outbox")
        await expect(outbox.last).to_contain_text("今天会联系药店核实", timeout=20_000)

        # the citizen answers the person, not the bot
        await say(phone, "好的，谢谢你们")
        await expect(console.locator("#t-messages")).to_contain_text("好的，谢谢你们", timeout=15_000)
        await side_by_side(phone, console, tmp_path)  # the README's picture: a person helping, both sides
        await expect(pushes(phone).first).to_contain_text("success")  # no bot answer: a person's turn

        # handed back: the agent closes, the phone is asked to rate, the citizen rates
        await console.select_option("#resolution", "complaint_registered")
        await console.click("#close")
        await expect(console.locator("#t-status")).to_have_text("已关闭")
        await expect(outbox.last).to_contain_text("请为本次服务打分", timeout=20_000)
        await say(phone, "5")
        assert "感谢您的评价" in await last_bot_text(phone)
        assert (await world.redis.hget(keys.ticket(live), "rating")) == "5"
        # and the bot answers again
        await say(phone, "口罩在哪里领取")
        assert "领取" in await last_bot_text(phone)

        assert errors == []


async def side_by_side(phone: Page, console: Page, folder: Path) -> None:
    """One picture of the two tabs; copied to SCREENSHOTS_DIR when set (`make screenshots`)."""
    assert CJK_FONT_FILE.exists(), "fonts-noto-cjk is missing: every Chinese character would be a box"
    left, right = folder / "simulator.png", folder / "console.png"
    await console.evaluate("window.scrollTo(0, 0)")
    await phone.screenshot(path=str(left))
    await console.screenshot(path=str(right))
    with Image.open(left) as a, Image.open(right) as b:
        both = Image.new("RGB", (a.width + b.width + 16, max(a.height, b.height)), (255, 255, 255))
        both.paste(a, (0, 0))
        both.paste(b, (a.width + 16, 0))
    target = os.environ.get("SCREENSHOTS_DIR")
    for path in [folder] + ([Path(target)] if target else []):
        path.mkdir(parents=True, exist_ok=True)
        both.save(path / "simulator-and-console.png", optimize=True)


async def test_the_simulator_is_never_served_in_production(world: World, http: aiohttp.ClientSession) -> None:
    production = world.settings(
        BOT_ENV="production", WECHAT_TOKEN="prod-token", WECHAT_APPID="wx1234567890abcdef", WECHAT_SECRET="s"
    )
    async with serving(create_app(production)) as b:
        for path in ("/simulator", "/simulator/static/simulator.js", "/simulator/api/menu"):
            async with http.get(f"{b}{path}") as response:
                assert response.status == 404, path
        async with http.post(f"{b}/simulator/api/push", json={"openid": "o_x_12345678", "kind": "text"}) as r:
            assert r.status in (404, 405)


@pytest.mark.parametrize(
    "body",
    [
        {"openid": "o_sim_0123456789", "kind": "text", "text": ""},
        {"openid": "o_sim_0123456789", "kind": "text", "text": "长" * 2001},
        {"openid": "short", "kind": "text", "text": "你好"},
        {"openid": "o_sim_0123456789", "kind": "dance"},
        {"openid": "o_sim_0123456789", "kind": "click"},
        ["not", "an", "object"],
    ],
)
async def test_the_simulator_refuses_bad_pushes_clearly(
    world: World, http: aiohttp.ClientSession, body: object
) -> None:
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        async with http.post(f"{base}/simulator/api/push", json=body) as response:
            assert response.status == 400
            assert (await response.json())["error"]
        async with http.post(f"{base}/simulator/api/push", data=b"{not json",
                             headers={"Content-Type": "application/json"}) as response:  # fmt: skip
            assert response.status == 400
        # another site's page can post text/plain without asking first: refused
        plain = b'{"openid": "o_sim_0123456789", "kind": "text", "text": "hi"}'
        async with http.post(f"{base}/simulator/api/push", data=plain,
                             headers={"Content-Type": "text/plain"}) as response:  # fmt: skip
            assert response.status == 400
