"""Redis that does not grow forever: the whole system at a steady rate for ten minutes, memory sampled.

    .venv/bin/python -m bench.soak --rate 15 --seconds 600     # writes bench/results/soak.json

What Redis keeps is bounded by retention settings, each with a default documented in the README:
per message (MESSAGE_RETENTION_SECONDS: the contract's record and the outbox's sent markers; answered
messages leave the inbox at once) and per citizen (TRACKER_RETENTION_SECONDS for Rasa's tracker, which
holds the latest session only). So Redis grows for one retention period and then stays level: steady
traffic x retention x size. Ten minutes cannot show an hour's level, so this run sets both retentions to
two minutes (`--retention`) and samples Redis's `used_memory`, its key counts and every service's RSS every
15 s. Citizens are drawn from 20,000, as a city's rush brings many citizens with a few messages each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import uvloop

from bench import catalog
from bench.accounting import drain, read_messages, refused_tally, sends_count, summarise, tally_since
from bench.frontdoor import RESULTS, SAFE_SHARE, redis_pid, rss_mb, service_pids_of, start_stack
from bench.wechat_load import Account, Citizens, OpenLoop, Step
from bot.launcher import ROOT, TRACKER_DB

SOAK_CITIZENS = 20000


async def sample_memory(redis_url: str, pids: dict[str, int | None], started: float) -> dict[str, Any]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        info = await client.info("memory")
        keyspace = await client.info("keyspace")
    finally:
        await client.aclose()
    return {
        "t": round(time.monotonic() - started),
        "redis_used_mb": round(int(info["used_memory"]) / 2**20, 2),
        "gateway_keys": int((keyspace.get("db0") or {}).get("keys", 0)),
        "tracker_keys": int((keyspace.get(f"db{TRACKER_DB}") or {}).get("keys", 0)),
        **{f"{name}_rss_mb": rss_mb(pid) for name, pid in pids.items()},
    }


async def soak(url: str, api_url: str, redis_url: str, pids: dict[str, int | None], rate: float,
               seconds: float) -> dict[str, Any]:  # fmt: skip
    account = Account.development(url)
    citizens = Citizens(account, SOAK_CITIZENS, SAFE_SHARE, seed=600)
    samples: list[dict[str, Any]] = []
    started = time.monotonic()

    async def sampler() -> None:
        while True:
            samples.append(await sample_memory(redis_url, pids, started))
            await asyncio.sleep(15)

    client = aioredis.Redis.from_url(redis_url)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sends_before = await sends_count(session, api_url)
        refused_before = await refused_tally(client)
        watcher = asyncio.create_task(sampler())
        step = await OpenLoop(citizens, catalog.messages(), seed=601).run(session, Step(rate, seconds))
        drained = await drain(client, session, api_url, limit=120.0)
        watcher.cancel()
        samples.append(await sample_memory(redis_url, pids, started))
        # sends and refusals before the records (see bench/frontdoor.py: a step not drained yet)
        sends = await sends_count(session, api_url) - sends_before
        refused = tally_since(refused_before, await refused_tally(client))
        summary = summarise(rate, step.results, await read_messages(client), sends, drained, refused=refused)
    await client.aclose()
    # A message's record expires with the retention this run shortens, so whether an early message was
    # answered is no longer in Redis: count only what the deliveries themselves saw.
    summary["lost"] = None
    summary["unanswered"] = sum(r.outcome == "failed" for r in step.results)
    return {"step": summary, "samples": samples}


def level(samples: list[dict[str, Any]], key: str, after: float) -> dict[str, float]:
    """Mean of `key` in the first and the last third of the samples taken after `after` seconds."""
    values = [s[key] for s in samples if s["t"] >= after]
    third = max(1, len(values) // 3)
    first, last = values[:third], values[-third:]
    return {"first_third": round(sum(first) / len(first), 2), "last_third": round(sum(last) / len(last), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=15.0, help="pushes per second (the sustainable rate)")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--retention", type=int, default=120, help="both retentions, in seconds")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    retention = str(args.retention)
    launcher = start_stack(
        ROOT / "var" / "bench" / "soak",
        {"MESSAGE_RETENTION_SECONDS": retention, "TRACKER_RETENTION_SECONDS": retention},
    )
    try:
        pids = service_pids_of(launcher) | {"redis": redis_pid(launcher)}
        result = asyncio.run(
            soak(f"{launcher.gateway_url}/wechat", launcher.wechat_api_url, launcher.redis_url, pids,
                 args.rate, args.seconds)
        )  # fmt: skip
    finally:
        launcher.stop()
    settle = 2 * args.retention  # one retention to fill, one more to be sure
    result |= {
        "rate": args.rate, "seconds": args.seconds, "retention_seconds": args.retention,
        "citizens": SOAK_CITIZENS,
        "after_settling": {key: level(result["samples"], key, settle)
                           for key in ("redis_used_mb", "gateway_keys", "tracker_keys", "gateway_rss_mb",
                                       "rasa_rss_mb")},
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
