"""The baseline: a default `rasa init` project at its REST channel, under the same open-loop load.

`rasa init --no-prompt` writes and trains the moodbot (once; kept under var/bench/rasa-init), and `rasa run`
serves it with its default settings. The same message mix is posted to /webhooks/rest/webhook at the same
offered rates from as many senders; a message counts as answered when the reply comes within WeChat's 5 s.
The REST channel has no retries, so one post per message.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import catalog
from bench.accounting import percentile
from bench.wechat_load import CUT_OFF
from bot.launcher import RASA_BIN, rasa_env, stop_process, wait_until_ready
from bot.storage.embedded import free_port


def ensure_project(folder: Path) -> Path:
    model_dir = folder / "models"
    if not any(model_dir.glob("*.tar.gz")):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(RASA_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(folder)],
            check=True, env=rasa_env(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return max(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)


async def _step(url: str, rate: float, seconds: float, seed: int) -> list[tuple[bool, float]]:
    rng = random.Random(seed)
    messages = [m for m in catalog.messages() if m.kind == "text"]
    outcomes: list[tuple[bool, float]] = []

    async def post(session: aiohttp.ClientSession, sender: str, text: str) -> None:
        started = time.monotonic()
        try:
            async with (
                asyncio.timeout(CUT_OFF),
                session.post(url, json={"sender": sender, "message": text}) as response,
            ):
                await response.read()
                outcomes.append((response.status == 200, time.monotonic() - started))
        except (TimeoutError, aiohttp.ClientError):
            outcomes.append((False, time.monotonic() - started))

    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        began = time.monotonic()
        sent = 0
        while sent / rate < seconds:
            due = began + sent / rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            [message] = catalog.draw(messages, rng, 1)
            sender = f"o_init_{rng.randrange(2000):05d}"
            task = asyncio.create_task(post(session, sender, message.body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
        if tasks:
            await asyncio.gather(*tasks)
    return outcomes


def measure(folder: Path, rates: list[float], seconds: float) -> dict[str, Any]:
    from bench.frontdoor import rss_mb

    model = ensure_project(folder)
    port = free_port()
    log = (folder / "rasa.log").open("ab")
    process = subprocess.Popen(
        [str(RASA_BIN / "rasa"), "run", "--model", str(model), "--port", str(port),
         "--interface", "127.0.0.1"],
        cwd=folder, env=rasa_env(os.environ), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    steps: list[dict[str, Any]] = []
    try:
        wait_until_ready(
            "rasa init's server",
            process,
            f"http://127.0.0.1:{port}/",
            time.monotonic() + 180,
            folder / "rasa.log",
        )
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        for number, rate in enumerate(rates):
            outcomes = asyncio.run(_step(url, rate, seconds, seed=number))
            answered = [latency * 1000 for ok, latency in outcomes if ok]
            steps.append(
                {
                    "offered_per_s": rate,
                    "messages": len(outcomes),
                    "failed": len(outcomes) - len(answered),
                    "p50_ms": round(percentile(answered, 0.5), 1),
                    "p99_ms": round(percentile(answered, 0.99), 1),
                }
            )
            print({"rasa_init": steps[-1]}, flush=True)
            if steps[-1]["failed"] > len(outcomes) // 2:
                break  # far past saturation: higher rates only queue more
        rss = rss_mb(process.pid)
    finally:
        stop_process(process)
        log.close()
    best = 0.0
    for step in steps:
        if step["failed"] or step["p99_ms"] >= 1000:
            break
        best = step["offered_per_s"]
    return {"rasa_init_steps": steps, "rasa_init_msgs_per_s": best, "rasa_init_rss_mb": rss}
