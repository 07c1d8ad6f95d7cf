"""How the complaint form reads replies, on a labelled set (eval/form_replies_*.jsonl): the rules alone
(actions/complaint.py) against the rules with the learned reading (actions/form_reader.py), through the
form's own decision code (actions/intake.py `read` and the summary's confirmation). Writes a JSON report.

Run in Rasa's environment: `.venv-rasa/bin/python scripts/evaluate_form_replies.py --replies FILE --out FILE`.
Each line: {"asked": "summary"|"what"|"shop"|"address"|"price"|"time", "text", "label"}; an answer counts as
"other" (the form's other rules decide it), and so does an aside at the summary (asked again either way); an
aside at a question is scored: the form stores nothing and asks again."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions import form_reader, intake

DECIDED = ("confirm", "cancel", "aside")
# a report the form holds when the reply comes: the reply decides what happens to it
HELD = {"complaint_what": "药店把口罩价格翻了好几倍", "complaint_shop": "某药店"}


def gold(label: str, asked: str) -> str:
    if label == form_reader.ASIDE:
        return form_reader.ASIDE if asked != "summary" else form_reader.OTHER
    return label if label in form_reader.DECISIONS else form_reader.OTHER


def decide(asked: str, text: str, learned: bool) -> str:
    """What the form does with the reply: confirm (file it), cancel, aside (store nothing, ask again), or
    other (take the answer, or ask again at the summary)."""
    at_summary = asked == "summary"
    requested = "complaint_confirm" if at_summary else f"complaint_{asked}"
    reading = form_reader.read_reply(text, at_summary) if learned else None
    message = intake.Message(text=text, intent="", confidence=0.0, entities=())
    found = intake.read(message, requested, HELD, reading)
    if found.get("complaint_confirm") == "cancel":
        return "cancel"
    if found.get("complaint_confirm") == "yes":
        return "confirm"
    if intake.set_aside(found, requested):
        return "aside"
    if not at_summary:
        return "other"
    decision, _ = intake.confirmation(text, HELD, reading)  # as validate_complaint_confirm
    return {"yes": "confirm", "cancel": "cancel"}.get(decision or "", "other")


def score(rows: list[dict[str, Any]], decisions: list[str]) -> dict[str, Any]:
    golds = [gold(r["label"], r["asked"]) for r in rows]
    result: dict[str, Any] = {}
    for label in DECIDED:
        tp = sum(g == label and d == label for r, g, d in zip(rows, golds, decisions, strict=True))
        fp = sum(g != label and d == label for r, g, d in zip(rows, golds, decisions, strict=True))
        fn = sum(g == label and d != label for r, g, d in zip(rows, golds, decisions, strict=True))
        result[label] = {
            "precision": round(tp / max(1, tp + fp), 3),
            "recall": round(tp / max(1, tp + fn), 3),
            "found": tp,
            "wrongly": fp,
            "missed": fn,
        }
    # the costly mistakes: a report dropped that the citizen meant to keep, or filed when they meant to drop it
    result["kept_report_cancelled"] = sum(
        d == "cancel" and g != "cancel" for r, g, d in zip(rows, golds, decisions, strict=True)
    )
    result["dropped_report_filed"] = sum(
        d == "confirm" and g == "cancel" for r, g, d in zip(rows, golds, decisions, strict=True)
    )
    # an answer not stored: the citizen is asked for it again
    result["answer_set_aside"] = sum(
        d == "aside" and r["label"] == "answer" for r, g, d in zip(rows, golds, decisions, strict=True)
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = [
        json.loads(line) for line in args.replies.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    report: dict[str, Any] = {"replies": str(args.replies), "messages": len(rows)}
    misses: list[dict[str, str]] = []
    golds = [gold(r["label"], r["asked"]) for r in rows]
    for name, learned in (("rules", False), ("rules_and_learned", True)):
        decisions = [decide(r["asked"], r["text"], learned) for r in rows]
        report[name] = score(rows, decisions)
        if learned:
            misses = [
                {"asked": r["asked"], "text": r["text"], "label": g, "decided": d}
                for r, g, d in zip(rows, golds, decisions, strict=True)
                if d != g and (d in DECIDED or g in DECIDED)
            ]
    report["misses_with_learned"] = misses
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for name in ("rules", "rules_and_learned"):
        r = report[name]
        print(
            f"{name:18s} confirm P {r['confirm']['precision']} R {r['confirm']['recall']} | cancel P "
            f"{r['cancel']['precision']} R {r['cancel']['recall']} | kept report cancelled "
            f"{r['kept_report_cancelled']} | dropped report filed {r['dropped_report_filed']} | aside P "
            f"{r['aside']['precision']} R {r['aside']['recall']} | answer set aside {r['answer_set_aside']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
