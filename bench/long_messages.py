"""Parse time of long messages: the encoders reading the first MAX_CHARS characters (ours) against reading
every character (the baseline), measured in the same run on the served model.

Run in the Rasa environment after `make train`:

    .venv-rasa/bin/python bench/long_messages.py --out bench/results/long_messages.json

Each length is parsed `--repeats` times in-process (`Agent.parse_message`, the whole NLU pipeline); the
median is reported, and the ratio baseline / ours. A message longer than WeChat's retry window (about 15 s
for three deliveries) could only be answered through the outbox, and it holds the Rasa server meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the model names our components (nlu_components.*)

LENGTHS = (50, 500, 2000, 10_000)
# A citizen's long complaint, repeated to length: punctuation and words, not one character.
PARAGRAPH = (
    "我在人民路的惠民大药房买了两盒口罩，一盒卖八十块钱，比上周贵了一倍多，店员说进价涨了，我觉得是哄抬物价。"
)


async def median_seconds(agent: Any, text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await agent.parse_message(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(model: Path, repeats: int) -> dict[str, Any]:
    from rasa.core.agent import Agent

    from nlu_components import encoders

    agent = Agent.load(str(model))
    await agent.parse_message("预热")
    capped = encoders.MAX_CHARS
    rows = []
    for length in LENGTHS:
        text = (PARAGRAPH * (length // len(PARAGRAPH) + 1))[:length]
        encoders.MAX_CHARS = 10**9  # the baseline: the encoders read everything
        baseline = await median_seconds(agent, text, repeats)
        encoders.MAX_CHARS = capped
        ours = await median_seconds(agent, text, repeats)
        rows.append({
            "characters": length, "baseline_seconds": round(baseline, 3), "ours_seconds": round(ours, 3),
            "speedup": round(baseline / ours, 2),
        })  # fmt: skip
        print(rows[-1], flush=True)
    shown = model.relative_to(ROOT) if model.is_relative_to(ROOT) else model
    return {
        "model": str(shown), "max_chars": capped, "repeats": repeats, "cpus": os.cpu_count(), "rows": rows,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "current.tar.gz")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "long_messages.json")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    result = asyncio.run(measure(args.model, args.repeats))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
