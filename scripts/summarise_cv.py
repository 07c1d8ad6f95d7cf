"""Fold the cross-validation report (scripts/cross_validate.py) into reports/nlu/summary.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    cv_dir, summary_path = Path(sys.argv[1]), Path(sys.argv[2])
    report = json.loads((cv_dir / "cv_report.json").read_text(encoding="utf-8"))
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    summary["cross_validation"] = {
        "folds": report["folds"],
        "split_seed": report["split_seed"],
        "examples": report["examples"],
        # As citizens are served: a fallback ("请换个说法") is a miss, never a guessed intent.
        "macro_f1": report["served"]["macro_f1"],
        "weighted_f1": report["served"]["weighted_f1"],
        "fallbacks": report["served"]["fallbacks"],
        # Rasa's own reading (`rasa test nlu --cross-validation` undoes every fallback), for comparison.
        "classifier_macro_f1": report["classifier"]["macro_f1"],
        "per_intent": report["served"]["per_intent"],
        "confusion_matrix_png": report["confusion_matrix_png"],
    }
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(summary["cross_validation"], ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
