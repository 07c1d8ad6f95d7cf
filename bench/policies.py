"""Dialogue policies measured: RulePolicy + MemoizationPolicy (ours) against the same plus TEDPolicy.

Run in the Rasa environment (it trains two full models, a few minutes):

    .venv-rasa/bin/python bench/policies.py --out bench/results/policies.json

Both models share the NLU pipeline of config.yml; only the policies differ. Each message is answered
in-process by `Agent.handle_text` (parse + policy predictions + responses), a fresh conversation per
message, so the difference is the policies' cost per turn. Messages are answered by static responses,
so no action server is involved. Figures are reported as ratios against our configuration, measured in
the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the model names our components (nlu_components.*)

MESSAGES = ["你好", "谢谢你", "再见", "你是机器人吗", "早上好", "多谢了", "拜拜", "你是真人吗"]
TED = {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "random_seed": 2020}


def config_with(policies: list[dict[str, Any]], target: Path) -> None:
    data = yaml.safe_load(Path("config.yml").read_text(encoding="utf-8"))
    data["policies"] = policies
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def train(name: str, config: Path, out: Path) -> float:
    rasa = Path(sys.executable).parent / "rasa"
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": "."}
    started = time.monotonic()
    subprocess.run(
        [str(rasa), "train", "--config", str(config), "--domain", "domain.yml", "--data", "nlu_data",
         "--out", str(out), "--fixed-model-name", name],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.monotonic() - started


async def latencies(model: Path, rounds: int) -> list[float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.handle_text("你好", sender_id="warm-up")
    measured = []
    for _ in range(rounds):
        for text in MESSAGES:
            started = time.perf_counter()
            await agent.handle_text(text, sender_id=uuid.uuid4().hex)
            measured.append((time.perf_counter() - started) * 1000)
    return measured


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("bench/results/policies.json"))
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    variants = {
        "rule_memo": [{"name": "RulePolicy"}, {"name": "MemoizationPolicy"}],
        "rule_memo_ted": [{"name": "RulePolicy"}, {"name": "MemoizationPolicy"}, TED],
    }
    results: dict[str, Any] = {"messages_per_variant": args.rounds * len(MESSAGES), "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, policies in variants.items():
            config = Path(tmp) / f"{name}.yml"
            config_with(policies, config)
            seconds = train(name, config, Path(tmp))
            measured = asyncio.run(latencies(Path(tmp) / f"{name}.tar.gz", args.rounds))
            results["variants"][name] = {"train_seconds": round(seconds, 1), **summary(measured)}
            print(name, json.dumps(results["variants"][name]), flush=True)
    base = results["variants"]["rule_memo"]
    ted = results["variants"]["rule_memo_ted"]
    results["ted_over_ours"] = {k: round(ted[k] / base[k], 2) for k in ("p50_ms", "p99_ms", "mean_ms")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results["ted_over_ours"]))


if __name__ == "__main__":
    main()
