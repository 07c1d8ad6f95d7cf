"""What the bot did not understand, grouped for maintainers, and the labelled examples as Rasa NLU YAML.
Pure, no I/O.

Sources: messages the model fell back on or was unsure of (the turn log), the citizens' words on tickets
handed over as unresolved, and agents' corrections (on a ticket, what the citizen really wanted). Similar
messages are grouped greedily by the overlap of their character pairs, which suits Chinese short texts
without a tokenizer; a maintainer labels a group with an intent and exports the examples for training.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

# The intents of domain.yml a maintainer can label with (tests/unit/test_misunderstood.py keeps them equal).
INTENTS = (
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "ask_mask_booking", "ask_booking_result",
    "ask_mask_pickup", "ask_announcement", "report_price_gouging", "report_fake_goods", "complain_other",
    "request_human", "express_anger", "out_of_scope",
)  # fmt: skip
INTENT_NAMES = {
    "greet": "问候", "goodbye": "告别", "thank": "感谢", "affirm": "肯定", "deny": "否定",
    "bot_challenge": "问是不是机器人", "ask_mask_booking": "如何预约口罩", "ask_booking_result": "预约结果",
    "ask_mask_pickup": "领取地点", "ask_announcement": "最新公告", "report_price_gouging": "举报哄抬价格",
    "report_fake_goods": "举报假冒伪劣", "complain_other": "其他投诉", "request_human": "要人工",
    "express_anger": "发泄不满", "out_of_scope": "超出业务范围",
}  # fmt: skip
LOW_CONFIDENCE = 0.5
SIMILAR = 0.45  # Jaccard overlap of character pairs at which two messages count as one question
MAX_EXAMPLE_CHARS = 200
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Sample:
    text: str
    source: str  # fallback, low_confidence, unresolved, correction
    intent: str = ""  # what the model said (or, for a correction, what the agent said it was)
    at: float = 0.0


@dataclass
class Group:
    key: str  # the normalised text of its first member: stable while its members are
    text: str  # a representative message (the most frequent)
    count: int = 0
    examples: list[str] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    corrected: Counter[str] = field(default_factory=Counter)
    label: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key, "text": self.text, "count": self.count, "examples": self.examples[:10],
            "sources": dict(self.sources), "predicted": _top(self.predicted),
            "corrected": _top(self.corrected), "label": self.label,
        }  # fmt: skip


def _top(counts: Counter[str]) -> str:
    return counts.most_common(1)[0][0] if counts else ""


def normalise(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def pairs(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(max(len(text) - 1, 1)))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def group(samples: Iterable[Sample], labels: dict[str, str] | None = None) -> list[Group]:
    """Groups of similar messages, the largest first. `labels`: a maintainer's intent per normalised text."""
    groups: list[tuple[Group, frozenset[str], Counter[str]]] = []
    for sample in samples:
        norm = normalise(sample.text)
        if not norm:
            continue
        shape = pairs(norm)
        best = max(groups, key=lambda g: similarity(g[1], shape), default=None)
        if best is None or similarity(best[1], shape) < SIMILAR:
            best = (Group(key=norm, text=sample.text), shape, Counter())
            groups.append(best)
        found, _shape, texts = best
        found.count += 1
        texts[sample.text] += 1
        if sample.text not in found.examples:
            found.examples.append(sample.text)
        found.sources[sample.source] += 1
        if sample.source == "correction" and sample.intent:
            found.corrected[sample.intent] += 1
        elif sample.intent:
            found.predicted[sample.intent] += 1
    for found, _shape, texts in groups:
        found.text = texts.most_common(1)[0][0]
        found.label = (labels or {}).get(found.key, "")
    return sorted((g for g, _s, _t in groups), key=lambda g: (-g.count, g.key))


def nlu_yaml(labelled: dict[str, str]) -> str:
    """Rasa 3 NLU training data from {example text: intent}, intents and examples in a stable order."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in sorted(labelled.items()):
        clean = " ".join(text.split())[:MAX_EXAMPLE_CHARS]
        if intent in INTENTS and clean and clean not in by_intent.get(intent, []):
            by_intent.setdefault(intent, []).append(clean)
    nlu = [
        {"intent": intent, "examples": "".join(f"- {_example(t)}\n" for t in texts)}
        for intent, texts in sorted(by_intent.items())
    ]
    return yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False
    )


def _example(text: str) -> str:
    # Rasa reads `[x](entity)` and `{...}` in examples as annotations: a citizen's brackets stay text.
    return text.replace("[", "【").replace("]", "】").replace("{", "（").replace("}", "）")


class _LiteralDumper(yaml.SafeDumper):
    pass


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal)
