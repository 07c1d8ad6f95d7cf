"""The real stack for end-to-end tests: embedded Redis, action server, Rasa with the trained model, the
local WeChat API and the gateway, started once per session through the same Launcher `make run` uses.

Tests of the 5-second contract also run their own gateways (in-process or as processes) on their own Redis
database, with Rasa behind a proxy that can make it slow; Rasa and Redis stay real.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from bot.app import create_app
from bot.dev.wechat_api import FakeWeChat
from bot.launcher import MODEL, ROOT, Launcher, Ports, model_is_current
from bot.settings import DEVELOPMENT_DEFAULTS, Settings, load_settings
from bot.storage.embedded import free_port
from bot.wechat.crypto import MessageCrypto
from bot.wechat.simulator import Mode, WeChatSimulator
from tests.fakes.rasa_proxy import RasaProxy
from tests.fakes.servers import serving

TOKEN = DEVELOPMENT_DEFAULTS["WECHAT_TOKEN"]
APPID = DEVELOPMENT_DEFAULTS["WECHAT_APPID"]
SECRET = DEVELOPMENT_DEFAULTS["WECHAT_SECRET"]
AES_KEY = DEVELOPMENT_DEFAULTS["WECHAT_AES_KEY"]
IDLE_SECONDS = 5.0
_databases = itertools.count()  # db 0: the stack's gateway; db 1: Rasa's trackers; 2-15: tests


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    if not model_is_current():
        pytest.fail(f"{MODEL} is missing, stale or damaged: run `make train` (make test does it first)")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "RASA_URL", "WECHAT_APPID", "WECHAT_API_BASE", "WECHAT_TOKEN")
    }
    # A complaint form left idle this long is filed (600 s in production): the tests wait for it.
    env |= {
        "BOT_ENV": "development",
        "RASA_TOKEN": "it-rasa-token",
        "COMPLAINT_IDLE_SECONDS": str(IDLE_SECONDS),
    }
    launcher = Launcher(
        ports=Ports(
            gateway=free_port(),
            rasa=free_port(),
            actions=free_port(),
            redis=free_port(),
            wechat_api=free_port(),
        ),
        var_dir=Path(tmp_path_factory.mktemp("var")),
        env=env,
    )
    launcher.start()
    yield launcher
    launcher.stop()


@pytest.fixture(scope="session")
def wechat_token() -> str:
    return TOKEN


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session


def new_openid() -> str:
    return f"o_it_{os.urandom(8).hex()}"


class World:
    """A private corner of the stack for one test: its own Redis database, a WeChat API fake, a Rasa proxy."""

    def __init__(self, stack: Launcher, redis_url: str, fake: FakeWeChat, api_url: str, proxy: RasaProxy,
                 proxy_url: str) -> None:  # fmt: skip
        self.stack = stack
        self.redis_url = redis_url
        self.fake = fake
        self.api_url = api_url
        self.proxy = proxy
        self.proxy_url = proxy_url
        self.redis = aioredis.Redis.from_url(redis_url, decode_responses=True)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "BOT_ENV": "development",
            "REDIS_URL": self.redis_url,
            "RASA_URL": self.proxy_url,
            "RASA_TOKEN": self.stack.env["RASA_TOKEN"],
            "WECHAT_API_BASE": self.api_url,
            "MENU_PATH": str(ROOT / "content" / "menu.yml"),
            "CONTENT_PATH": str(ROOT / "content" / "answers.yml"),
        } | extra

    def settings(self, **extra: str) -> Settings:
        return load_settings(self.env(**extra))

    @asynccontextmanager
    async def gateway(self, **extra: str) -> AsyncIterator[str]:
        """An in-process gateway with its workers; yields its /wechat URL."""
        async with serving(create_app(self.settings(**extra))) as base:
            yield f"{base}/wechat"

    def citizen(self, url: str, mode: Mode = Mode.PLAIN, **kwargs: Any) -> WeChatSimulator:
        crypto = MessageCrypto(TOKEN, AES_KEY, APPID) if mode is not Mode.PLAIN else None
        return WeChatSimulator(url=url, token=TOKEN, openid=new_openid(), mode=mode, crypto=crypto, **kwargs)

    async def tracker_events(self, openid: str) -> list[dict[str, Any]]:
        """The citizen's events in Rasa's tracker, read from the real Rasa server."""
        params = {"token": self.stack.env["RASA_TOKEN"]}
        async with aiohttp.ClientSession() as session:
            url = f"{self.stack.rasa_url}/conversations/{openid}/tracker"
            async with session.get(url, params=params) as response:
                return list((await response.json())["events"])

    async def sends_to(self, openid: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until the WeChat API fake recorded `count` sends to `openid` (or the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            sends = [s for s in self.fake.sends if s["touser"] == openid]
            if len(sends) >= count or time.monotonic() > deadline:
                return sends
            await asyncio.sleep(0.1)

    async def answered(
        self, openid: str, fragments: list[str], timeout: float = 60.0
    ) -> list[dict[str, Any]]:
        """Wait until the sends to `openid` hold every fragment, in this order (deferred answers may travel
        together: a carried answer goes in its citizen's later send); returns the sends."""
        deadline = time.monotonic() + timeout
        while True:
            sends = [s for s in self.fake.sends if s["touser"] == openid]
            if in_order("\n".join(s["content"] for s in sends), fragments) or time.monotonic() > deadline:
                return sends
            await asyncio.sleep(0.1)


def in_order(text: str, fragments: list[str]) -> bool:
    """Every fragment is in `text`, each after the one before."""
    at = 0
    for fragment in fragments:
        found = text.find(fragment, at)
        if found < 0:
            return False
        at = found + len(fragment)
    return True


@pytest.fixture
async def world(stack: Launcher) -> AsyncIterator[World]:
    db = 2 + next(_databases) % 14  # Redis has 16 databases; each test flushes its own first
    redis_url = stack.redis_url.rsplit("/", 1)[0] + f"/{db}"
    fake = FakeWeChat(APPID, SECRET)
    proxy = RasaProxy(stack.rasa_url)
    async with serving(fake.app()) as api_url, serving(proxy.app()) as proxy_url:
        w = World(stack, redis_url, fake, api_url, proxy, proxy_url)
        await w.redis.flushdb()
        try:
            yield w
        finally:
            await w.redis.aclose()


class GatewayProcess:
    """A gateway as its own OS process, for tests of several gateways sharing one Redis."""

    def __init__(self, env: dict[str, str], log_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/wechat"
        self.log_file = log_file
        full_env = dict(os.environ) | env | {"BOT_PORT": str(self.port), "BOT_HOST": "127.0.0.1"}
        with log_file.open("ab") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                cwd=ROOT,
                env=full_env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, http: aiohttp.ClientSession, timeout: float = 30.0) -> None:
        """Wait without blocking the loop: the test's own fakes serve this gateway from the same loop."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gateway process did not start; see {self.log_file}")
            await asyncio.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
