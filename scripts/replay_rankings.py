"""Try a change to the decision layer in seconds, without retraining (runs in the Rasa environment).

The served intent is decided in three steps after the classifiers: SemanticVote's blended ranking, the
CatalogArbiter's rules (nlu_components/arbiter.py) and the FallbackClassifier's thresholds (config.yml).
`capture` parses message sets once with a trained model and keeps, for each message, the ranking and the
text as the arbiter received them. `replay` runs the arbiter and the fallback on disk over those rankings,
optionally after a prior on some intents (what SemanticVote's blend would serve with it), and prints per set
the counts behind `scripts/evaluate_nlu.py`'s figures (accuracy, live handoffs of the human messages, false
live handoffs of the others, fallbacks). Other fallback thresholds: `--config` a copy of config.yml. With no prior and the same code, a replay gives the served model's
verdicts exactly (`unlike_capture` counts the messages where it does not).

    PYTHONPATH=. .venv-rasa/bin/python scripts/replay_rankings.py capture --out /tmp/rankings.json \
        eval/boundary_messages.jsonl eval/dev_messages_2026-12-06.jsonl
    PYTHONPATH=. .venv-rasa/bin/python scripts/replay_rankings.py replay /tmp/rankings.json \
        --prior express_anger=1.5 --prior express_anger=2.0

Use it on our own sets to choose; the shared set only reports, once, at the end of a change.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from evaluate_nlu import handoff_class  # the evaluation's own classes, not a copy


def with_prior(ranking: list[dict[str, Any]], prior: dict[str, float]) -> list[dict[str, Any]]:
    """The ranking with each named intent's confidence multiplied by its prior, renormalised, best first.
    No prior: the ranking as captured, to the last bit (a renormalisation could move a confidence at a
    threshold)."""
    if not prior:
        return ranking
    weighted = [
        {"name": r["name"], "confidence": float(r["confidence"]) * prior.get(r["name"], 1.0)} for r in ranking
    ]
    total = sum(r["confidence"] for r in weighted) or 1.0
    return sorted(
        ({"name": r["name"], "confidence": r["confidence"] / total} for r in weighted),
        key=lambda r: -r["confidence"],
    )


def fallback_thresholds(config: Path) -> tuple[float, float]:
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
    step = next(s for s in pipeline if s["name"] == "FallbackClassifier")
    return float(step.get("threshold", 0.3)), float(step.get("ambiguity_threshold", 0.1))


def served(text: str, ranking: list[dict[str, Any]], threshold: float, ambiguity: float) -> str:
    """The intent the arbiter on disk and the FallbackClassifier's thresholds make of a blended ranking."""
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_components.arbiter import CatalogArbiter

    if not ranking:
        return "nlu_fallback"
    message = Message(data={TEXT: text, INTENT: dict(ranking[0]), INTENT_RANKING_KEY: ranking})
    CatalogArbiter._arbitrate(message)
    ranked = message.get(INTENT_RANKING_KEY)
    first = float(ranked[0]["confidence"])
    # FallbackClassifier: below the threshold, or the best two closer than the ambiguity threshold (a ranking
    # of one is never ambiguous)
    ambiguous = len(ranked) > 1 and first - float(ranked[1]["confidence"]) < ambiguity
    if first < threshold or ambiguous:
        return "nlu_fallback"
    return str(ranked[0]["name"])


def figures(rows: Iterable[dict[str, Any]], predicted: Iterable[str]) -> dict[str, Any]:
    rows, predicted = list(rows), list(predicted)
    ok = [p == r["intent"] or p in r.get("also_ok", []) for r, p in zip(rows, predicted, strict=True)]
    pairs = list(zip(rows, predicted, strict=True))
    human = [handoff_class(p) == "human" for r, p in pairs if r["handoff"] == "human"]
    none = [handoff_class(p) == "human" for r, p in pairs if r["handoff"] == "none"]
    return {
        "messages": len(rows),
        "accuracy": round(sum(ok) / max(1, len(rows)), 4),
        "human": f"{sum(human)}/{len(human)}",
        "false_live": f"{sum(none)}/{len(none)}",
        "fallbacks": sum(p == "nlu_fallback" for p in predicted),
    }


def recorder(
    seen: list[tuple[str, list[dict[str, Any]]]], arbitrate: Callable[[Any], None]
) -> Callable[[Any], None]:
    """The arbiter's step, noting first the text and the ranking it receives."""
    from rasa.shared.nlu.constants import INTENT_RANKING_KEY, TEXT

    def recording(message: Any) -> None:
        ranking = [
            {"name": str(r["name"]), "confidence": float(r["confidence"])}
            for r in message.get(INTENT_RANKING_KEY) or []
        ]
        seen.append((str(message.get(TEXT) or ""), ranking))
        arbitrate(message)

    return recording


async def capture(model: Path, files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    from rasa.core.agent import Agent

    from nlu_components.arbiter import CatalogArbiter

    seen: list[tuple[str, list[dict[str, Any]]]] = []
    arbitrate = CatalogArbiter._arbitrate
    CatalogArbiter._arbitrate = staticmethod(recorder(seen, arbitrate))  # type: ignore[method-assign]
    try:
        agent = Agent.load(str(model))
        captured: dict[str, list[dict[str, Any]]] = {}
        for file in files:
            lines = file.read_text(encoding="utf-8").splitlines()
            rows = []
            for record in (json.loads(line) for line in lines if line.strip()):
                seen.clear()
                result = await agent.parse_message(record["text"])
                # a message the arbiter never saw (no ranking) keeps an empty one: the check counts it
                text, ranking = seen[-1] if seen else (record["text"], [])
                served_as = str((result.get("intent") or {}).get("name") or "nlu_fallback")
                rows.append({**record, "seen": text, "ranking": ranking, "served": served_as})
            captured[file.stem] = rows
        return captured
    finally:
        CatalogArbiter._arbitrate = staticmethod(arbitrate)  # type: ignore[method-assign]


def parse_prior(values: list[str]) -> list[dict[str, float]]:
    """`--prior a=2 --prior a=3,b=1.5`: one replay per option, each a set of intent multipliers."""
    priors: list[dict[str, float]] = [{}]
    for value in values:
        prior = {}
        for part in value.split(","):
            name, _, weight = part.partition("=")
            prior[name.strip()] = float(weight)
        priors.append(prior)
    return priors


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    take = sub.add_parser("capture")
    take.add_argument("files", type=Path, nargs="+")
    take.add_argument("--model", type=Path, default=Path("models/current.tar.gz"))
    take.add_argument("--out", type=Path, required=True)
    again = sub.add_parser("replay")
    again.add_argument("capture", type=Path)
    again.add_argument("--prior", action="append", default=[])
    again.add_argument("--config", type=Path, default=Path("config.yml"))
    args = parser.parse_args()
    if args.command == "capture":
        captured = asyncio.run(capture(args.model, args.files))
        args.out.write_text(json.dumps(captured, ensure_ascii=False), encoding="utf-8")
        return
    threshold, ambiguity = fallback_thresholds(args.config)
    captured = json.loads(args.capture.read_text(encoding="utf-8"))
    every = [row for rows in captured.values() for row in rows]
    sets = {**captured, "all": every} if len(captured) > 1 else captured
    for prior in parse_prior(args.prior):
        print(f"prior {prior or 'none'}")
        for name, rows in sets.items():
            predicted = [
                served(r["seen"], with_prior(r["ranking"], prior), threshold, ambiguity) for r in rows
            ]
            result = figures(rows, predicted)
            if not prior:  # the replay's own check: the code on disk serves what the model served
                result["unlike_capture"] = sum(p != r["served"] for r, p in zip(rows, predicted, strict=True))
            print(f"  {name}: {result}")


if __name__ == "__main__":
    main()
