"""Fold the cross-validation report into reports/nlu/summary.json (macro F1 and per-intent scores)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    cv_dir, summary_path = Path(sys.argv[1]), Path(sys.argv[2])
    report = json.loads((cv_dir / "intent_report.json").read_text(encoding="utf-8"))
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "f1-score" in v and "avg" not in k}
    summary["cross_validation"] = {
        "folds": 5,
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "weighted_f1": round(report["weighted avg"]["f1-score"], 4),
        "per_intent": {
            k: {m: round(v[m], 3) for m in ("precision", "recall", "f1-score")} | {"support": v["support"]}
            for k, v in sorted(intents.items())
        },
        "confusion_matrix_png": str(cv_dir / "intent_confusion_matrix.png"),
    }
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(summary["cross_validation"], ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
