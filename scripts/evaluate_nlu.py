"""Measure understanding on labelled real messages (runs in the Rasa environment).

    .venv-rasa/bin/python scripts/evaluate_nlu.py --model models/current.tar.gz \
        --messages ../shared/eval/real_messages.jsonl --out reports/nlu

Writes `real_messages.json` (all predictions), `errors.md` (the misses, for review) and `summary.json`
(accuracy, human-handoff recall, false live handoffs, parse latency p50/p99) under --out.
The messages are only read, never copied into the project.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

LIVE_HANDOFF = {"express_anger", "request_human"}
TICKET = {"report_price_gouging", "report_fake_goods", "complain_other"}


def handoff_class(intent: str) -> str:
    if intent in LIVE_HANDOFF:
        return "human"
    if intent in TICKET:
        return "ticket"
    return "none"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("预热")  # the first parse builds lazy state; not a citizen's latency
    results, latencies = [], []
    for text in texts:
        started = time.perf_counter()
        results.append(await agent.parse_message(text))
        latencies.append((time.perf_counter() - started) * 1000)
    return results, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=Path("models/current.tar.gz"))
    parser.add_argument("--messages", type=Path, default=Path("../shared/eval/real_messages.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("reports/nlu"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.messages.exists():
        print(f"{args.messages} not found: skipping the real-message evaluation")
        return
    records = [
        json.loads(line) for line in args.messages.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    parsed, latencies = asyncio.run(parse_all(args.model, [r["text"] for r in records]))

    rows, errors = [], []
    per_intent: Counter[str] = Counter()
    per_intent_ok: Counter[str] = Counter()
    for record, result in zip(records, parsed, strict=True):
        intent = (result.get("intent") or {}).get("name") or "nlu_fallback"
        confidence = float((result.get("intent") or {}).get("confidence") or 0.0)
        if intent == "nlu_fallback":  # the classifier's own best guess, for the error list
            ranking = result.get("intent_ranking") or []
            guess = next((r["name"] for r in ranking if r["name"] != "nlu_fallback"), "nlu_fallback")
        else:
            guess = intent
        ok = intent == record["intent"] or intent in record.get("also_ok", [])
        per_intent[record["intent"]] += 1
        per_intent_ok[record["intent"]] += ok
        row = {
            "id": record["id"], "label": record["intent"], "also_ok": record.get("also_ok", []),
            "predicted": intent, "guess": guess, "confidence": round(confidence, 3), "ok": ok,
            "handoff": record["handoff"], "predicted_handoff": handoff_class(intent),
        }  # fmt: skip
        rows.append(row)
        if not ok:
            errors.append((row, record["text"]))

    human = [r for r in rows if r["handoff"] == "human"]
    none = [r for r in rows if r["handoff"] == "none"]
    summary = {
        "messages": len(rows),
        "accuracy": round(sum(r["ok"] for r in rows) / len(rows), 4),
        "human_recall": round(sum(r["predicted_handoff"] == "human" for r in human) / max(1, len(human)), 4),
        "false_live_handoff_rate": round(
            sum(r["predicted_handoff"] == "human" for r in none) / max(1, len(none)), 4
        ),
        "fallback_rate": round(sum(r["predicted"] == "nlu_fallback" for r in rows) / len(rows), 4),
        "per_intent_accuracy": {k: round(per_intent_ok[k] / n, 3) for k, n in sorted(per_intent.items())},
        "parse_latency_ms": {
            "p50": round(statistics.median(latencies), 2),
            "p99": round(percentile(latencies, 0.99), 2),
        },
        "model": str(args.model),
    }
    # Written by `python -m bot train` next to the model it trained (bot/launcher.py).
    training = args.model.parent / args.model.name.replace(".tar.gz", ".training.json")
    if training.exists():
        summary["training"] = json.loads(training.read_text(encoding="utf-8"))
    (args.out / "real_messages.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (args.out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    lines = [
        f"# Misread messages: {args.messages.name}",
        "",
        "| id | label | predicted (guess) | conf | text |",
        "|---|---|---|---|---|",
    ]
    for row, text in errors:
        short = text.replace("|", "/").replace("\n", " ")[:80]
        lines.append(
            f"| {row['id']} | {row['label']} | {row['predicted']} ({row['guess']}) | {row['confidence']} | {short} |"
        )
    (args.out / "errors.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
