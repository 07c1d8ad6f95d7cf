"""Training time and parse latency of two pipeline configurations, measured in the same run.

The issue's limit is "training under 3 minutes on this machine", and a configuration change can move it by
a minute. Run in the Rasa environment (four full trainings from scratch, about ten minutes):

    git show HEAD~1:config.yml > /tmp/old-config.yml
    .venv-rasa/bin/python bench/training_time.py --baseline /tmp/old-config.yml

The two configurations train alternately (baseline, candidate, candidate, baseline, ... for --rounds
rounds), each with `rasa train --force` so Rasa's cache never shortens a run, on the project's own data.
For each: the whole `rasa train` wall time, DIETClassifier's share of it (from Rasa's log), and NLU parse
latency over the project's own training texts. It also reports how many of those texts get a different
intent from the two models: a speed-up that changes answers is not only a speed-up. Ratios are
candidate over baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the model names our components (nlu_components.*)
sys.path.insert(0, str(ROOT / "scripts"))
from evaluate_nlu import parse_all, percentile  # noqa: E402  (the same latency measure as `make eval`)

LOG_TIME = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) .*(Starting to train|Finished training) component 'DIETClassifier'"
)


def train(config: Path, out: Path, name: str) -> dict[str, float]:
    rasa = Path(sys.executable).parent / "rasa"
    env = os.environ | {
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    run = subprocess.run(
        [str(rasa), "train", "--force", "--config", str(config), "--domain", "domain.yml",
         "--data", "nlu_data", "--out", str(out), "--fixed-model-name", name],
        check=True, env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    stamps = [
        datetime.fromisoformat(m.group(1))
        for line in (run.stdout + run.stderr).splitlines()
        if (m := LOG_TIME.search(line))
    ]
    diet = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) == 2 else float("nan")
    return {"train_seconds": round(seconds, 1), "diet_seconds": diet}


def training_texts(limit: int) -> list[str]:
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data

    texts = []
    for path in sorted(get_data_files([str(ROOT / "nlu_data")], is_nlu_file)):
        texts.extend(example.get("text") for example in load_data(path).intent_examples)
    return texts[:: max(1, len(texts) // limit)][:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, required=True, help="the configuration to compare against")
    parser.add_argument("--candidate", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--rounds", type=int, default=2, help="each configuration trains this many times")
    parser.add_argument("--texts", type=int, default=400, help="training texts to parse with each model")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "training_time.json")
    args = parser.parse_args()
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one debug line per parse otherwise
    configs = {"baseline": args.baseline.resolve(), "candidate": args.candidate.resolve()}
    order = [
        name
        for i in range(args.rounds)
        for name in (("baseline", "candidate"), ("candidate", "baseline"))[i % 2]
    ]
    runs: dict[str, list[dict[str, float]]] = {"baseline": [], "candidate": []}
    texts = training_texts(args.texts)
    predictions: dict[str, list[tuple[str, float]]] = {}
    latencies: dict[str, list[float]] = {"baseline": [], "candidate": []}
    with tempfile.TemporaryDirectory() as tmp:
        for number, name in enumerate(order):
            row = train(configs[name], Path(tmp), f"{name}-{number}")
            runs[name].append(row)
            print(name, json.dumps(row), flush=True)
            if name not in predictions:  # parse with the first model of each configuration
                parsed, latencies[name] = asyncio.run(parse_all(Path(tmp) / f"{name}-{number}.tar.gz", texts))
                predictions[name] = [
                    (p["intent"]["name"], round(float(p["intent"]["confidence"]), 4)) for p in parsed
                ]
    result: dict[str, Any] = {
        "configs": {k: str(v) for k, v in configs.items()},
        "cpus": os.cpu_count(),
        "order": order,
        "runs": runs,
        "parsed_texts": len(texts),
    }
    for name, measured in runs.items():
        result[name] = {
            "train_seconds_mean": round(statistics.fmean(r["train_seconds"] for r in measured), 1),
            "diet_seconds_mean": round(statistics.fmean(r["diet_seconds"] for r in measured), 1),
            "parse_p50_ms": round(statistics.median(latencies[name]), 2),
            "parse_p99_ms": round(percentile(latencies[name], 0.99), 2),
        }
    base, cand = result["baseline"], result["candidate"]
    result["candidate_over_baseline"] = {k: round(cand[k] / base[k], 2) for k in base}
    pairs = list(zip(predictions["baseline"], predictions["candidate"], strict=True))
    result["different_intent"] = sum(a[0] != b[0] for a, b in pairs)
    result["max_confidence_difference"] = max(abs(a[1] - b[1]) for a, b in pairs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("candidate_over_baseline", "different_intent")}))


if __name__ == "__main__":
    main()
