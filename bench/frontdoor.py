"""The capacity benchmark (issue 19): the front door under an open-loop WeChat rush, with baselines measured
in the same run. Run in the gateway environment:

    .venv/bin/python -m bench.frontdoor            # make bench: every step, about 30 minutes
    .venv/bin/python -m bench.frontdoor --quick    # make bench-quick: about 4 minutes
    options: --profile (py-spy every service), --gateways N, --rasa-workers N (scale-out on one machine)

1. The whole system as `make run` starts it (embedded Redis, Rasa with the trained model, the action
   server, the gateway, the local WeChat API), each process on its own ports under var/bench. Pushes from
   at least 2,000 citizens (more at high rates: about 4 texts a minute each; a fifth in safe mode) at stepped
   offered rates, each for `--seconds`, WeChat's way (a 5 s cut-off, three deliveries), with complaint forms
   and handoffs mixed in; after each step the benchmark waits for every deferred answer to be sent and reads
   what became of every message (bench/accounting.py).
   Then two bursts, at 3x and 10x the sustainable rate (the highest step with every push acknowledged in
   time and passive answers' p99 under 1 s), each followed by the wait until every deferred answer is sent.
   Each step records the CPU every service spent per push (/proc), which says where the time goes.
2. The gateway alone: the same pushes against a stand-in for Rasa that answers at once
   (bench/instant_rasa.py); and under it the floor (bench/floor.py): a server that answers `success` without
   reading the push, what this machine and load generator carry at all.
3. A default `rasa init` project at its REST channel (bench/rasa_init.py), the same message mix.

`bench/results/latest.json` gets every step and the headline figures; `bench/results/latest.png` plots latency
and acknowledgement against offered load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import redis.asyncio as aioredis
import uvloop

from bench import catalog, profile
from bench.accounting import (
    drain,
    filing_notices,
    forget_messages,
    lag_ms,
    order_violations,
    read_messages,
    refused_tally,
    sends_count,
    sends_since,
    summarise,
    tally_since,
    tickets_today,
    unconfirmed_filed,
)
from bench.wechat_load import Account, Citizens, OpenLoop, Step
from bot.launcher import ROOT, TRACKER_DB, Launcher, Ports
from bot.storage.embedded import free_port

RESULTS = ROOT / "bench" / "results"
PROFILES = RESULTS / "profile"
CITIZENS = 2000  # at least this many citizens at any rate
# A rush is many citizens writing a few times each, not a few writing often: at higher rates there are more
# citizens, about this many texts a minute each. With 2,000 at 700 pushes a second each wrote 21 a minute,
# over the gateway's flood limit of 20 (FLOOD_PER_MINUTE), and a 3x burst had one such text.
TEXTS_PER_CITIZEN_MINUTE = 4.0
SAFE_SHARE = 0.2
P99_LIMIT_MS = 1000.0


def citizens_for(rate: float) -> int:
    return max(CITIZENS, math.ceil(rate * 60 / TEXTS_PER_CITIZEN_MINUTE))


def rss_mb(pid: int | None) -> float:
    """Resident memory of a process and its children (Rasa may fork), from /proc."""
    if pid is None:
        return 0.0
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def cpu_seconds(pid: int | None, children: bool = True) -> float:
    """CPU time (user + system) a process (and its children) have used so far, from /proc."""
    if pid is None:
        return 0.0
    ticks = 0
    for candidate in [pid, *(_children(pid) if children else [])]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_by_service(pids: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds so far per service; the load generator ("load") without its children (py-spy)."""
    return {name: cpu_seconds(pid, children=name != "load") for name, pid in pids.items()}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found += [int(child), *_children(int(child))]
    except OSError:
        pass
    return found


def sustainable(steps: list[dict[str, Any]]) -> float:
    """The highest offered rate with every push acknowledged in time, every passive answer's p99 under 1 s,
    nothing lost and nothing answered twice (and every lower step too: a rate above a failing one does not
    count)."""
    best = 0.0
    for step in sorted(steps, key=lambda s: s["offered_per_s"]):
        ok = (
            step["failed"] == 0
            and step["p99_ms"] < P99_LIMIT_MS
            and step["lost"] == 0
            and step["duplicate_answers"] == 0
            and step["success_then_outbox"] == 0
        )
        if not ok:
            break
        best = step["offered_per_s"]
    return best


def machine() -> dict[str, Any]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


async def run_steps(
    url: str,
    api_url: str,
    redis_url: str,
    rates: list[float],
    seconds: float,
    seed: int,
    profile_pids: dict[str, int | None] | None = None,
    service_pids: dict[str, int | None] | None = None,
    drain_limit: float = 90.0,
    stop_when_failing: bool = False,
) -> list[dict[str, Any]]:
    """One open-loop step per rate; with `profile_pids`, py-spy samples those processes during each step."""
    account = Account.development(url)
    messages = catalog.messages()
    client = aioredis.Redis.from_url(redis_url)
    trackers = aioredis.Redis.from_url(urlparse(redis_url)._replace(path=f"/{TRACKER_DB}").geturl())
    connector = aiohttp.TCPConnector(limit=0)
    steps: list[dict[str, Any]] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        try:
            for number, rate in enumerate(rates):
                await forget_messages(client)
                sends_before = await sends_count(session, api_url)
                refused_before = await refused_tally(client)
                tickets_before = await tickets_today(client)
                citizens = Citizens(account, citizens_for(rate), SAFE_SHARE, seed)
                loop = OpenLoop(citizens, messages, seed=seed + number)
                samplers = profile.start(profile_pids or {}, seconds, PROFILES, f"{rate:g}")

                pids = service_pids or {}
                cpu_before = cpu_by_service(pids)
                began = time.time()
                step = await loop.run(session, Step(rate=rate, seconds=seconds))
                cpu_in_step = cpu_by_service(pids)
                for sampler in samplers:
                    await asyncio.to_thread(sampler.wait)
                drained = await drain(client, session, api_url, limit=drain_limit)
                # CPU each service spent per push of the step (drain included: deferred answers cost too).
                cpu_after = cpu_by_service(pids)
                cpu_ms = {
                    name: round(1000 * (cpu_after[name] - cpu_before[name]) / max(1, len(step.results)), 2)
                    for name in pids
                }
                filed = await unconfirmed_filed(client, tickets_before, await tickets_today(client))
                # Sends and refusals first, the message records last: a text is counted on its message when it
                # is put on the outbox, before it is sent or refused, so in a step not drained yet (the outbox
                # still sending) a send counted after the records read as a duplicate (99 in one 10x step).
                sends = await sends_since(session, api_url, sends_before)
                refused = tally_since(refused_before, await refused_tally(client))
                records = await read_messages(client)  # (`messages` is the catalog)
                notices, notices_repeated = filing_notices(sends)
                summary = summarise(
                    rate, step.results, records, len(sends), drained, notices, refused, notices_repeated
                )
                summary["citizens"] = len(citizens.openids)
                # the generator's own saturation (WeChat's servers are not on our cores): see `Step.lags`
                summary["generator_lag_ms"] = lag_ms(step.lags)
                summary["generator_offered_in_s"] = round(step.offered_in, 1)
                summary["tickets_filed_unconfirmed"] = filed
                summary["cpu_ms_per_push"] = cpu_ms
                # the part spent while pushes were offered and delivered (the acknowledgements' own cost),
                # before the drain sends the deferred answers
                summary["cpu_ms_per_push_in_step"] = {
                    name: round(1000 * (cpu_in_step[name] - cpu_before[name]) / max(1, len(step.results)), 2)
                    for name in pids
                }
                examples: list[dict[str, Any]] = []
                summary["conversations_out_of_order"] = await order_violations(
                    trackers, step.results, examples, since=began
                )
                if examples:
                    summary["out_of_order_examples"] = examples
                summary["repeat_share"] = round(
                    catalog.repeat_share([_as_message(r) for r in step.results]), 3
                )
                steps.append(summary)
                print(json.dumps(summary, ensure_ascii=False), flush=True)
                if stop_when_failing and summary["acked_within_5s_pct"] < 100.0:
                    break  # past what it carries: a higher rate only queues more
        finally:
            await client.aclose()
            await trackers.aclose()
    return steps


def _as_message(result: Any) -> catalog.Message:
    return catalog.Message(result.kind, result.body, 1.0)


def start_stack(var_dir: Path, extra_env: dict[str, str] | None = None) -> Launcher:
    """The system as `make run` starts it, on free ports, with an empty Redis (the embedded one keeps an
    AOF: a run stopped half-way would leave its backlog to the next)."""
    shutil.rmtree(var_dir / "redis", ignore_errors=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "RASA_URL", "WECHAT_APPID", "WECHAT_API_BASE")
    } | (extra_env or {})
    launcher = Launcher(
        ports=Ports(gateway=free_port(), rasa=free_port(), actions=free_port(), redis=free_port(),
                    wechat_api=free_port()),
        var_dir=var_dir, env=env | {"BOT_ENV": "development"},
    )  # fmt: skip
    launcher.start()
    return launcher


def service_pids_of(launcher: Launcher) -> dict[str, int | None]:
    """The gateway process(es), Rasa and the action server (not the WeChat API stand-in: it is WeChat)."""
    return {
        service.name: service.process.pid
        for service in launcher.services
        if service.process is not None and service.name != "wechat-api"
    }


def redis_pid(launcher: Launcher) -> int | None:
    process = getattr(getattr(launcher, "redis", None), "_process", None)
    return process.pid if process is not None else None


def measure_frontdoor(
    rates: list[float], seconds: float, burst_seconds: float, with_profile: bool, scale: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The whole system: the stepped rates, then the bursts; returns the steps and the other figures."""
    result: dict[str, Any] = {}
    launcher = start_stack(ROOT / "var" / "bench" / "frontdoor", scale)
    try:
        pids = service_pids_of(launcher)
        steps = asyncio.run(
            run_steps(f"{launcher.gateway_url}/wechat", launcher.wechat_api_url, launcher.redis_url, rates,
                      seconds, seed=12315, profile_pids=pids if with_profile else None,
                      service_pids=pids | {"redis": redis_pid(launcher), "load": os.getpid()})
        )  # fmt: skip
        # The promise under overload: bursts at 3x and 10x the sustainable rate (the lowest step's rate when
        # none was sustainable), each followed by the wait until every deferred answer has been sent.
        base = sustainable(steps) or min(rates)
        bursts = [] if not burst_seconds else asyncio.run(
            run_steps(f"{launcher.gateway_url}/wechat", launcher.wechat_api_url, launcher.redis_url,
                      [3 * base, 10 * base], burst_seconds, seed=31500,
                      service_pids=pids | {"redis": redis_pid(launcher), "load": os.getpid()},
                      drain_limit=600.0)
        )  # fmt: skip
        for burst, times in zip(bursts, (3, 10), strict=False):
            burst["times_sustainable"] = times
            burst["all_answered_within_60s_after"] = burst["lost"] == 0 and burst["drain_seconds"] <= 60
        result["burst_steps"] = bursts
        if with_profile:
            result["profile"] = {
                found.stem: profile.summarise(found, top=30) for found in sorted(PROFILES.glob("*.txt"))
            }
        result["gateway_processes"] = sum(name.startswith("gateway") for name in pids)
        result["gateway_rss_mb"] = max(
            rss_mb(pid) for name, pid in pids.items() if name.startswith("gateway")
        )
        result["rasa_rss_mb"] = rss_mb(pids.get("rasa"))
        result["actions_rss_mb"] = rss_mb(pids.get("actions"))
    finally:
        launcher.stop()
    return steps, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer, shorter steps: under 4 minutes")
    parser.add_argument("--rates", type=float, nargs="*", help="offered pushes per second, one step each")
    parser.add_argument("--seconds", type=float, help="length of each step")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the gateway, Rasa and the action server in each step"
    )
    parser.add_argument("--skip-bursts", action="store_true", help="no 3x and 10x bursts after the steps")
    parser.add_argument("--gateways", type=int, default=1, help="gateway processes (GATEWAY_PROCESSES)")
    parser.add_argument("--rasa-workers", type=int, default=1, help="Rasa server workers (SANIC_WORKERS)")
    args = parser.parse_args()
    # The load generator shares the cores with what it measures: libuv's loop makes it cost less per push.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    # 85 tells where between 70 and 100 it stops; 120 and 150 are there since the Rasa turn got cheaper (at
    # 2a9b238 one run carried 120 with p99 467 ms, another failed 100 on p99: this machine's speed swings).
    # The "p99 under 1 s at 100 msg/s" is reported from the 100 step.
    rates = args.rates or ([10, 20] if args.quick else [5, 10, 15, 20, 30, 50, 70, 85, 100, 120, 150])
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    burst_seconds = 0.0 if args.skip_bursts else 10.0 if args.quick else 60.0
    started = time.time()
    result: dict[str, Any] = {
        "machine": machine(), "citizens": CITIZENS, "texts_per_citizen_minute": TEXTS_PER_CITIZEN_MINUTE,
        "safe_mode_share": SAFE_SHARE, "step_seconds": seconds,
        "catalog_distinct_messages": len(catalog.messages()),
    }  # fmt: skip
    scale = {"GATEWAY_PROCESSES": str(args.gateways), "SANIC_WORKERS": str(args.rasa_workers)}
    result["rasa_workers"] = args.rasa_workers
    steps, measured = measure_frontdoor(rates, seconds, burst_seconds, args.profile, scale)
    result |= measured
    result["frontdoor_steps"] = steps
    result["frontdoor_msgs_per_s"] = sustainable(steps)
    if not args.skip_baselines:
        from bench import floor, instant_rasa, rasa_init

        result |= instant_rasa.measure(ROOT / "var" / "bench" / "gateway-only", quick=args.quick)
        result |= floor.measure(quick=args.quick)
        result |= rasa_init.measure(ROOT / "var" / "bench" / "rasa-init", rates, seconds)
        init = float(result.get("rasa_init_msgs_per_s") or 0.0)
        result["ratio"] = round(result["frontdoor_msgs_per_s"] / init, 2) if init else None
    overall = steps + result.get("burst_steps", [])
    result["acked_within_5s_pct"] = min((s["acked_within_5s_pct"] for s in overall), default=0.0)
    at_best = [s for s in steps if s["offered_per_s"] == result["frontdoor_msgs_per_s"]] or steps[:1]
    result["p50_ms"] = at_best[0]["p50_ms"] if at_best else None
    result["p99_ms"] = at_best[0]["p99_ms"] if at_best else None
    at_100 = [s for s in steps if s["offered_per_s"] == 100]
    result["p99_ms_at_100"] = at_100[0]["p99_ms"] if at_100 else None
    result["lost"] = sum(s["lost"] for s in overall)
    result["duplicate_answers"] = sum(s["duplicate_answers"] for s in overall)
    result["conversations_out_of_order"] = sum(s.get("conversations_out_of_order", 0) for s in overall)
    result["seconds"] = round(time.time() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    try:
        from bench.chart import plot

        plot(result, args.out.with_suffix(".png"))
    except ImportError as exc:  # matplotlib lives in the gateway environment; say so rather than fail the run
        print(f"no chart: {exc}")
    print(
        json.dumps({k: v for k, v in result.items() if not isinstance(v, list)}, ensure_ascii=False, indent=2)
    )


if __name__ == "__main__":
    main()
