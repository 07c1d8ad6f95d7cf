"""Train the NLU model with several seeds and report the mean and spread of the real-message figures.

One training run swings accuracy by several points and human recall by up to ten, even with a fixed
seed, so a single run cannot tell a better configuration from a lucky one. Run in the Rasa environment:

    .venv-rasa/bin/python scripts/eval_seeds.py --seeds 1 2 3 --out reports/nlu/seeds

Each seed gets its own copy of config.yml with DIET's `random_seed` replaced; models and per-seed reports go
under --out, and `seeds.json` there holds every run plus mean, min and max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

FIGURES = ("accuracy", "human_recall", "false_live_handoff_rate", "fallback_rate")


def seeded_config(config: Path, seed: int, target: Path) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in data["pipeline"]:
        if component["name"] == "DIETClassifier":
            component["random_seed"] = seed
    target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run(seed: int, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    folder = args.out / f"seed-{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yml"
    seeded_config(args.config, seed, config)
    rasa = Path(sys.executable).parent / "rasa"
    started = time.monotonic()
    subprocess.run(
        [str(rasa), "train", "nlu", "--config", str(config), "--nlu", str(args.nlu),
         "--out", str(folder), "--fixed-model-name", "model"],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    train_seconds = time.monotonic() - started
    subprocess.run(
        [sys.executable, "scripts/evaluate_nlu.py", "--model", str(folder / "model.tar.gz"),
         "--messages", str(args.messages), "--out", str(folder / "report")],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    summary = json.loads((folder / "report" / "summary.json").read_text(encoding="utf-8"))
    row = {"seed": seed, "train_seconds": round(train_seconds, 1)} | {k: summary[k] for k in FIGURES}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--nlu", type=Path, default=Path("nlu_data/nlu"))
    parser.add_argument("--messages", type=Path, default=Path("../shared/eval/real_messages.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("reports/nlu/seeds"))
    args = parser.parse_args()
    if not args.messages.exists():
        print(f"{args.messages} not found: nothing to measure")
        return
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": "."}
    rows = [run(seed, args, env) for seed in args.seeds]
    spread = {
        k: {
            "mean": round(statistics.fmean(r[k] for r in rows), 4),
            "min": min(r[k] for r in rows),
            "max": max(r[k] for r in rows),
        }
        for k in FIGURES
    }
    result = {"config": str(args.config), "nlu": str(args.nlu), "runs": rows, "spread": spread}
    (args.out / "seeds.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(spread, indent=2))


if __name__ == "__main__":
    main()
