"""Is a change to the NLU better, worse, or within the noise? A paired bootstrap over messages and seeds.

    .venv-rasa/bin/python scripts/compare_runs.py BASELINE_DIR CANDIDATE_DIR --out reports/nlu/compare.json

Each directory is an `eval_seeds.py --out` folder (seed-*/report/real_messages.json). On 464 real messages
one retraining moves accuracy by about 2 points and human recall by about 3, even between near-identical
data, so a mean of three seeds is not enough to decide by eye. Each bootstrap round draws the messages
with replacement (the same draw for both sides: the comparison is paired) and, for each side, its seed runs
with replacement, so both the choice of messages and the training noise are in the interval. A difference
whose 95 % interval excludes zero is reported as `better` or `worse`; otherwise `within noise`.

Figures: accuracy (labelled intent or one in also_ok), human recall (a live handoff for a message labelled
`human`), false live handoffs (among messages labelled `none`) and fallbacks. For false handoffs and
fallbacks, lower is better.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROUNDS = 10_000
LOWER_IS_BETTER = {"false_live_handoff_rate", "fallback_rate"}


def load_runs(folder: Path) -> tuple[list[str], list[str], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Seed run names, message ids, per-figure 0/1 matrices [runs x messages], and per-figure masks of the
    messages each figure counts."""
    reports = sorted(folder.glob("seed-*/report/real_messages.json"))
    if not reports:
        raise SystemExit(f"no seed-*/report/real_messages.json under {folder}")
    runs = [json.loads(path.read_text(encoding="utf-8")) for path in reports]
    ids = [row["id"] for row in runs[0]]
    if any([row["id"] for row in run] != ids for run in runs):
        raise SystemExit(f"{folder}: the seed runs scored different messages")

    def per_run(test: Callable[[dict[str, Any]], bool]) -> np.ndarray:
        return np.array([[test(row) for row in run] for run in runs], dtype=float)

    # A live handoff is a hit for human recall and a false alarm among messages labelled `none`.
    live = per_run(lambda row: row["predicted_handoff"] == "human")
    hits = {
        "accuracy": per_run(lambda row: row["ok"]),
        "human_recall": live,
        "false_live_handoff_rate": live,
        "fallback_rate": per_run(lambda row: row["predicted"] == "nlu_fallback"),
    }
    every = np.ones(len(ids), dtype=bool)
    masks = {
        "accuracy": every,
        "human_recall": np.array([row["handoff"] == "human" for row in runs[0]]),
        "false_live_handoff_rate": np.array([row["handoff"] == "none" for row in runs[0]]),
        "fallback_rate": every,
    }
    return [path.parts[-3] for path in reports], ids, hits, masks


def paired_bootstrap(
    baseline: np.ndarray, candidate: np.ndarray, mask: np.ndarray, rounds: int = ROUNDS, seed: int = 12315
) -> dict[str, float]:
    """Mean figure of each side and the 95 % interval of candidate minus baseline.

    `baseline` and `candidate` are [runs x messages] 0/1 matrices over the same messages; `mask` picks the
    messages the figure counts (e.g. those labelled `human` for human recall)."""
    rng = np.random.default_rng(seed)
    base, cand = baseline[:, mask], candidate[:, mask]
    messages = base.shape[1]
    drawn = rng.integers(0, messages, size=(rounds, messages))
    base_runs = rng.integers(0, base.shape[0], size=(rounds, base.shape[0]))
    cand_runs = rng.integers(0, cand.shape[0], size=(rounds, cand.shape[0]))
    # Per round: each side's mean over its drawn runs of the figure on the drawn messages.
    differences = np.empty(rounds)
    for r in range(rounds):
        b = base[base_runs[r]].mean(axis=0)
        c = cand[cand_runs[r]].mean(axis=0)
        differences[r] = c[drawn[r]].mean() - b[drawn[r]].mean()
    low, high = np.percentile(differences, [2.5, 97.5])
    return {
        "baseline": round(float(base.mean()), 4),
        "candidate": round(float(cand.mean()), 4),
        "difference": round(float(cand.mean() - base.mean()), 4),
        "interval_95": [round(float(low), 4), round(float(high), 4)],
        "messages": int(messages),
    }


def verdict(figure: str, interval: list[float]) -> str:
    low, high = interval
    if low <= 0 <= high:
        return "within noise"
    up = low > 0
    return "worse" if up == (figure in LOWER_IS_BETTER) else "better"


def compare(baseline_dir: Path, candidate_dir: Path, rounds: int = ROUNDS) -> dict[str, Any]:
    base_seeds, base_ids, base_hits, masks = load_runs(baseline_dir)
    cand_seeds, cand_ids, cand_hits, _ = load_runs(candidate_dir)
    if base_ids != cand_ids:
        raise SystemExit("the two folders scored different messages")
    figures = {}
    for figure, mask in masks.items():
        result = paired_bootstrap(base_hits[figure], cand_hits[figure], mask, rounds)
        figures[figure] = result | {"verdict": verdict(figure, result["interval_95"])}
    return {
        "baseline": {"folder": str(baseline_dir), "runs": base_seeds},
        "candidate": {"folder": str(candidate_dir), "runs": cand_seeds},
        "bootstrap_rounds": rounds,
        "figures": figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = compare(args.baseline, args.candidate, args.rounds)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    for figure, row in result["figures"].items():
        low, high = row["interval_95"]
        print(
            f"{figure:24} {row['baseline']:.3f} -> {row['candidate']:.3f}  "
            f"({row['difference']:+.3f}, 95 % {low:+.3f} .. {high:+.3f})  {row['verdict']}"
        )


if __name__ == "__main__":
    main()
