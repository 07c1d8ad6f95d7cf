"""The floor under the gateway-alone figure: what this machine carries when the server does nothing.

An aiohttp server (uvloop, as the gateway runs) answers `success` to every push without reading it: no
signature check, no Redis, no Rasa. The same WeChat-style open loop as bench/frontdoor.py offers it pushes at
rising rates. Whatever rate it stops carrying is the ceiling of the measurement itself on this machine (the
load generator and the server share its cores): no gateway can be shown faster here than this floor.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp

from bench import catalog
from bench.accounting import lag_ms, percentile
from bench.wechat_load import Account, Citizens, OpenLoop, Step
from bot.storage.embedded import free_port

CITIZENS = 2000
SAFE_SHARE = 0.2

_SERVER = """
import asyncio, sys
import uvloop
from aiohttp import web

async def push(request):
    await request.read()
    return web.Response(text="success")

app = web.Application()
app.router.add_post("/wechat", push)
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


async def _steps(url: str, rates: list[float], seconds: float, server_pid: int) -> list[dict[str, Any]]:
    from bench.frontdoor import cpu_seconds

    account = Account.development(url)
    citizens = Citizens(account, CITIZENS, SAFE_SHARE, seed=7)
    steps: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for number, rate in enumerate(rates):
            before = cpu_seconds(server_pid), cpu_seconds(os.getpid(), children=False)
            step = await OpenLoop(citizens, catalog.messages(), seed=number).run(
                session, Step(rate=rate, seconds=seconds)
            )
            after = cpu_seconds(server_pid), cpu_seconds(os.getpid(), children=False)
            pushes = max(1, len(step.results))
            acked = [r for r in step.results if r.outcome != "failed"]
            summary = {
                "offered_per_s": rate,
                "pushes": len(step.results),
                "acked_within_5s_pct": round(100 * len(acked) / pushes, 2),
                "p99_ms": round(percentile([r.latency * 1000 for r in acked], 0.99), 1),
                "generator_lag_ms": lag_ms(step.lags),
                "generator_offered_in_s": round(step.offered_in, 1),
                "cpu_ms_per_push": {
                    "server": round(1000 * (after[0] - before[0]) / pushes, 3),
                    "load": round(1000 * (after[1] - before[1]) / pushes, 3),
                },
            }
            steps.append(summary)
            print(summary, flush=True)
            if summary["acked_within_5s_pct"] < 100.0 or summary["p99_ms"] >= 1000:
                break
    return steps


def measure(quick: bool) -> dict[str, Any]:
    rates = [1000, 2000] if quick else [1000, 2000, 3000, 4000]
    seconds = 5.0 if quick else 10.0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(port)])
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        steps = asyncio.run(_steps(f"http://127.0.0.1:{port}/wechat", rates, seconds, server.pid))
    finally:
        server.terminate()
        server.wait()
    carried = [s["offered_per_s"] for s in steps if s["acked_within_5s_pct"] == 100.0 and s["p99_ms"] < 1000]
    return {"floor_steps": steps, "floor_msgs_per_s": max(carried, default=0)}


if __name__ == "__main__":
    import json

    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    print(json.dumps(measure(quick="--quick" in sys.argv), indent=2))
