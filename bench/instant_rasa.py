"""The gateway alone: what it carries when Rasa answers at once (a baseline for bench/frontdoor.py).

A stand-in for Rasa's HTTP API (`--serve PORT`, its own process) answers every REST message immediately with
one text and serves /status and the tracker routes the gateway calls. The gateway, an embedded Redis and the
local WeChat API are real, each its own process, as in `make run`. The same WeChat-style open loop offers
pushes at rising rates; the load generator shares the 2 cores with them, so the figure is a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.launcher import ROOT, stop_process, wait_until_ready
from bot.settings import DEVELOPMENT_DEFAULTS
from bot.storage.embedded import EmbeddedRedis, free_port

ANSWER = [{"recipient_id": "x", "text": "口罩预约办理方式：请在本公众号菜单“口罩服务”进入预约页面。"}]


def app(delay: float = 0.0) -> web.Application:
    """`delay`: seconds each answer takes without using the CPU (a Rasa that is slow, not busy), so that the
    inbox falls behind and the gateway's admission path can be measured alone."""

    async def rest(request: web.Request) -> web.Response:
        await request.read()
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(ANSWER)

    async def status(_request: web.Request) -> web.Response:
        return web.json_response({"model_file": "instant.tar.gz", "model_id": "instant"})

    async def tracker(_request: web.Request) -> web.Response:
        return web.json_response({"events": []})

    application = web.Application()
    application.router.add_post("/webhooks/rest/webhook", rest)
    application.router.add_get("/status", status)
    application.router.add_get("/conversations/{sender}/tracker", tracker)
    application.router.add_post("/conversations/{sender}/tracker/events", tracker)
    return application


def measure(var_dir: Path, quick: bool) -> dict[str, Any]:
    from bench.frontdoor import rss_mb, run_steps, sustainable

    var_dir.mkdir(parents=True, exist_ok=True)
    rates = [200, 400] if quick else [100, 200, 300, 400, 600, 800, 1200, 2000, 3000]
    seconds = 5.0 if quick else 10.0
    redis = EmbeddedRedis(var_dir / "redis", appendonly=False)
    redis.start()
    rasa_port, api_port, gateway_port = free_port(), free_port(), free_port()
    env = dict(os.environ) | {
        "BOT_ENV": "development", "REDIS_URL": redis.url, "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "WECHAT_API_BASE": f"http://127.0.0.1:{api_port}", "BOT_PORT": str(gateway_port),
        "BOT_HOST": "127.0.0.1", "BOT_VAR_DIR": str(var_dir),
        "RASA_TOKEN": DEVELOPMENT_DEFAULTS["RASA_TOKEN"],
    }  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    log = (var_dir / "processes.log").open("ab")
    try:
        for args in (
            [sys.executable, "-m", "bench.instant_rasa", "--serve", str(rasa_port)],
            [sys.executable, "-m", "bot.dev.wechat_api", "--port", str(api_port)],
            [sys.executable, "-m", "bot", "serve"],
        ):
            processes.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 30
        log_file = var_dir / "processes.log"
        for name, process, url in zip(
            ("instant rasa", "wechat api", "gateway"),
            processes,
            (f"http://127.0.0.1:{rasa_port}/status", f"http://127.0.0.1:{api_port}/_fake/stats",
             f"http://127.0.0.1:{gateway_port}/healthz"),
            strict=True,
        ):  # fmt: skip
            wait_until_ready(name, process, url, deadline, log_file)
        steps = asyncio.run(
            run_steps(f"http://127.0.0.1:{gateway_port}/wechat", f"http://127.0.0.1:{api_port}", redis.url,
                      rates, seconds, seed=2020, stop_when_failing=True)
        )  # fmt: skip
        gateway_rss = rss_mb(processes[2].pid)
    finally:
        for process in reversed(processes):
            stop_process(process)
        redis.stop()
        log.close()
    return {
        "gateway_only_steps": steps,
        "gateway_only_msgs_per_s": sustainable(steps),
        "gateway_only_rss_mb": gateway_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", type=int, required=True, help="port of the stand-in Rasa")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds each answer takes (no CPU)")
    args = parser.parse_args()
    web.run_app(app(args.delay), host="127.0.0.1", port=args.serve, print=None, access_log=None)


if __name__ == "__main__":
    main()
