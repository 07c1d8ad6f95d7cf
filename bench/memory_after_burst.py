"""The gateway's memory after a rush: the whole system, a short steady step, then a 10x burst.

    .venv/bin/python -m bench.memory_after_burst      # writes bench/results/memory_after_burst.json

Reads the gateway's resident size before, at the end of the burst's drain (when every deferred answer has
been sent) and a while after it, with the burst's own figures. `make bench` reads the size only once, at its
very end; this isolates what a rush leaves behind (bot/workers/memory.py says what gives it back and what
does not). Run it alone: the burst is as chaotic as in `make bench`, and another process's CPU changes it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.frontdoor import RESULTS, redis_pid, rss_mb, run_steps, service_pids_of, start_stack

KEPT = ("offered_per_s", "pushes", "acked_within_5s_pct", "lost", "drain_seconds")


def measure(steady: float, burst: float, seconds: float, settle: float) -> dict[str, Any]:
    launcher = start_stack(Path("var/bench/memory"))
    try:
        pids = service_pids_of(launcher)
        gateway = next(pid for name, pid in pids.items() if name.startswith("gateway"))
        before = rss_mb(gateway)
        steps = asyncio.run(
            run_steps(f"{launcher.gateway_url}/wechat", launcher.wechat_api_url, launcher.redis_url,
                      [steady, burst], seconds, seed=31500,
                      service_pids=pids | {"redis": redis_pid(launcher)}, drain_limit=300.0)
        )  # fmt: skip
        drained = rss_mb(gateway)
        time.sleep(settle)
        settled = rss_mb(gateway)
        return {
            "gateway_rss_mb": {"before": before, "after_drain": drained, f"after_{settle:g}s": settled},
            "steps": [{k: step[k] for k in KEPT} for step in steps],
        }
    finally:
        launcher.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steady", type=float, default=30.0, help="pushes a second before the burst")
    parser.add_argument("--burst", type=float, default=700.0, help="pushes a second in the burst")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each step")
    parser.add_argument("--settle", type=float, default=45.0, help="seconds from drain to last look")
    parser.add_argument("--out", type=Path, default=RESULTS / "memory_after_burst.json")
    args = parser.parse_args()
    result = measure(args.steady, args.burst, args.seconds, args.settle)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result["gateway_rss_mb"]))


if __name__ == "__main__":
    main()
