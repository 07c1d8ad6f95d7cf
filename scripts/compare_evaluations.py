"""Did a change to the training data help? Per-intent F1 of a new cross-validation against the previous one,
with the noise beside each difference.

    .venv-rasa/bin/python scripts/compare_evaluations.py reports/nlu/previous/cv reports/nlu/cv

Each folder is a `scripts/cross_validate.py --out` folder (cv_predictions.json: every example with its fold
and the intent served). The noise of an intent's F1 is the spread of its F1 over the five folds of one run
(the standard error of their mean); retraining the same data moves F1 by about that much, so a difference
within twice the combined standard error is called "within noise" (make eval-seeds measures seed noise on
the shared set the same way, with a paired bootstrap: scripts/compare_runs.py).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path
from typing import Any


def f1(rows: list[dict[str, Any]], intent: str) -> float:
    true_pos = sum(1 for r in rows if r["intent"] == intent and r["served"] == intent)
    predicted = sum(1 for r in rows if r["served"] == intent)
    actual = sum(1 for r in rows if r["intent"] == intent)
    if not predicted or not actual or not true_pos:
        return 0.0
    precision, recall = true_pos / predicted, true_pos / actual
    return 2 * precision * recall / (precision + recall)


def per_intent(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Each intent's F1 over all folds, and the standard error of its per-fold F1."""
    folds = sorted({r["fold"] for r in rows})
    result = {}
    for intent in sorted({r["intent"] for r in rows}):
        by_fold = [f1([r for r in rows if r["fold"] == fold], intent) for fold in folds]
        spread = statistics.stdev(by_fold) / math.sqrt(len(by_fold)) if len(by_fold) > 1 else 0.0
        result[intent] = (f1(rows, intent), spread)
    return result


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    old, new = per_intent(before), per_intent(after)
    rows = []
    for intent in sorted(set(old) | set(new)):
        (f_old, se_old), (f_new, se_new) = old.get(intent, (0.0, 0.0)), new.get(intent, (0.0, 0.0))
        noise = 2 * math.hypot(se_old, se_new)
        change = f_new - f_old
        verdict = "within noise" if abs(change) <= noise else ("up" if change > 0 else "down")
        rows.append({"intent": intent, "before": round(f_old, 3), "after": round(f_new, 3),
                     "change": round(change, 3), "noise": round(noise, 3), "verdict": verdict})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("previous", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load = lambda folder: json.loads((folder / "cv_predictions.json").read_text(encoding="utf-8"))  # noqa: E731
    rows = compare(load(args.previous), load(args.new))
    print(f"{'intent':24} {'before':>7} {'after':>7} {'change':>7} {'±noise':>7}  verdict")
    for row in rows:
        print(f"{row['intent']:24} {row['before']:7.3f} {row['after']:7.3f} {row['change']:+7.3f} "
              f"{row['noise']:7.3f}  {row['verdict']}")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
