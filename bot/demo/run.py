"""`python -m bot demo-data`: a realistic day in a running system, through the real code paths.

Citizens push signed messages to the gateway (a bounded number at once, each one's messages in order, the
hour of the day in WeChat's CreateTime); demo agents work their tickets through the console's API. Nothing is
written to Redis directly except the demo agents' accounts, made through the account store as
`python -m bot agents add` makes them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

import aiohttp

from bot.demo.agents import DEFAULT_PASSWORD, DEMO_AGENTS, AgentClient, DemoError, ensure_agents
from bot.demo.citizens import Citizen, Tally
from bot.demo.day import Day
from bot.demo.desk import Desk, DeskTally
from bot.demo.plans import Expect, Plan, draw_plans
from bot.settings import SettingsError, load_settings
from bot.wechat.crypto import MessageCrypto
from bot.wechat.simulator import Mode, WeChatSimulator

CONCURRENT_CITIZENS = 6  # a 2-core machine runs the whole system beside the demo
SETTLE_SECONDS = 3.0  # after the last citizen, how long agents wait for tickets still being opened


@dataclass(frozen=True)
class DemoConfig:
    url: str  # the gateway's base URL (make run: http://127.0.0.1:8080)
    citizens: int
    seed: int
    redis_url: str  # the running system's Redis, for the demo agents' accounts
    token: str  # the official account's server token, to sign pushes
    crypto: MessageCrypto | None  # safe mode for some citizens, when the account has an AES key
    timezone: tzinfo
    password: str = DEFAULT_PASSWORD
    concurrency: int = CONCURRENT_CITIZENS
    settle: float = SETTLE_SECONDS


@dataclass(frozen=True)
class Summary:
    config: DemoConfig
    day: Day
    plans: tuple[Plan, ...]
    openids: tuple[str, ...]  # the citizens of this run, in plan order
    citizens: Tally
    desk: DeskTally
    agents_created: tuple[str, ...]
    seconds: float

    def lines(self) -> list[str]:
        c, d, cfg = self.citizens, self.desk, self.config
        unconfirmed = sum(p.expects is Expect.UNCONFIRMED for p in self.plans)
        first, last = DEMO_AGENTS[0][0], DEMO_AGENTS[-1][0]
        return [
            f"演示数据已生成：种子 {cfg.seed}，模拟日期 {self.day.label}，用时 {self.seconds:.0f} 秒",
            f"  群众 {len(self.plans)} 人，发送消息 {c.sent} 条（图片 {c.images}）：被动回复 {c.passive}，"
            f"延后（success，答复经客服消息发送）{c.deferred}，发给坐席 {c.to_agent}，失败 {c.failed}",
            f"  投诉表单：确认提交 {c.forms_confirmed}，未确认离开 {c.forms_left}"
            f"（计划 {unconfirmed} 位；网关在表单闲置 COMPLAINT_IDLE_SECONDS 后登记为未确认工单）",
            f"  工单：出现在队列 {len(d.opened)}，认领 {d.claimed}，关闭 {d.closed}"
            f"（其中转派 {d.transferred}），处理中 {d.in_progress}，留在队列 {d.left_queued}，"
            f"被他人处理 {d.taken_elsewhere}，出错 {d.failed}",
            f"  满意度评价 {c.ratings} 条",
            f"坐席工作台：{cfg.url}/console  工号 {first}–{last}，密码 {cfg.password}"
            + (f"（本次新建 {', '.join(self.agents_created)}）" if self.agents_created else ""),
            "  主管工号 5001 的密码见 make run 的输出（或环境变量 CONSOLE_DEMO_PASSWORD）",
            f"每日投诉热点报告：.venv/bin/python -m bot report --date {self.day.label}",
        ]


def simulator_for(config: DemoConfig, plan: Plan, run: str) -> WeChatSimulator:
    safe = plan.safe and config.crypto is not None
    return WeChatSimulator(
        url=f"{config.url}/wechat",
        token=config.token,
        openid=f"o_demo_{run}_{plan.index:04d}",
        mode=Mode.SAFE if safe else Mode.PLAIN,
        crypto=config.crypto if safe else None,
    )


async def check_gateway(session: aiohttp.ClientSession, url: str) -> None:
    try:
        async with session.get(f"{url}/healthz") as response:
            if response.status == 200:
                return
            problem = f"HTTP {response.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        problem = str(exc) or type(exc).__name__
    raise DemoError(f"网关 {url} 未就绪（{problem}）：请先在另一个终端运行 make run")


async def run_demo(config: DemoConfig, say: Callable[[str], None] = print) -> Summary:
    started = time.monotonic()
    day = Day.of(datetime.now(UTC), config.timezone)
    plans = draw_plans(config.citizens, config.seed, day, safe_mode=config.crypto is not None)
    run = secrets.token_hex(3)  # a run's citizens are new ones, whatever ran before with the same seed
    tally = Tally()
    citizens = [Citizen(plan, simulator_for(config, plan, run), day, tally) for plan in plans]
    slots = asyncio.Semaphore(config.concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await check_gateway(session, config.url)
        created = await ensure_agents(config.redis_url, config.password)
        agents = [AgentClient(config.url, agent_id) for agent_id, _ in DEMO_AGENTS]
        try:
            for agent in agents:
                await agent.login(config.password)
            say(f"模拟 {day.label} 的 {len(plans)} 位群众（同时 {config.concurrency} 位），坐席 "
                f"{', '.join(a.agent_id for a in agents)} 处理工单 ...")  # fmt: skip
            desk = Desk(agents, {c.openid: c for c in citizens}, session, slots)
            done = asyncio.Event()
            working = asyncio.create_task(desk.run(done, config.settle))
            # In the order of the simulated day, so the console fills as the day would.
            await asyncio.gather(
                *(c.play(session, slots) for c in sorted(citizens, key=lambda c: c.plan.start))
            )
            done.set()
            await working
        finally:
            for agent in agents:
                await agent.close()
    return Summary(
        config=config, day=day, plans=tuple(plans), openids=tuple(c.openid for c in citizens),
        citizens=tally, desk=desk.tally, agents_created=tuple(created), seconds=time.monotonic() - started,
    )  # fmt: skip


def demo_command(url: str, citizens: int, seed: int) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(os.environ | {"BOT_ENV": os.environ.get("BOT_ENV", "development")})
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    redis_url = settings.redis_url or f"redis://127.0.0.1:{os.environ.get('EMBEDDED_REDIS_PORT') or 6380}/0"
    aes_key = settings.wechat_aes_key
    password = os.environ.get("DEMO_AGENT_PASSWORD") or DEFAULT_PASSWORD
    idle = settings.complaint_idle_seconds
    config = DemoConfig(
        url=url.rstrip("/"), citizens=citizens, seed=seed, redis_url=redis_url, token=settings.wechat_token,
        crypto=MessageCrypto(settings.wechat_token, aes_key, settings.wechat_appid) if aes_key else None,
        timezone=ZoneInfo(settings.timezone), password=password,
        # A short idle time (a test setup) files unconfirmed complaints soon enough to wait for them.
        settle=idle + 5 if idle <= 60 else SETTLE_SECONDS,
    )  # fmt: skip
    try:
        summary = asyncio.run(run_demo(config))
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        print(f"error: 与网关 {config.url} 的连接中断（{exc or type(exc).__name__}）", file=sys.stderr)
        return 1
    print("\n".join(summary.lines()))
    return 0
