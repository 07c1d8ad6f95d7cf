"""The complaint form's learned reading of a reply: does it confirm the report as it stands, or cancel it?

The rules in actions/complaint.py know the plain wordings and decide first. Citizens confirm and cancel in
far more words than rules can list ("没毛病 交吧", "唔使喇，唔投诉喇", "qr"); each new set of conversations
written apart brought new ones. So where the rules are undecided, a character n-gram model learned from
the examples in lexicon/form_replies.yml reads the reply. It is small and fitted when the action server starts
(about a second with scikit-learn's import): the examples are its only input, so the same file always gives
the same model.

Cancelling a report the citizen meant to keep loses it, while filing one they meant to drop costs an agent a
minute: so a cancellation needs more belief than a confirmation, and a question never confirms.

A second, yes-or-no model tells an aside from an answer at a question: a citizen asking the form to wait
("等下 我翻翻付款记录"), asking about the process ("必须写店名吗") or chatting has not answered, and the form
should not store those words as the shop or the price. It is its own model because a sixth class in the
first took belief from confirmations and cancellations (cross-validated recall 0.87 -> 0.82 and 0.69 ->
0.64)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions import complaint

log = logging.getLogger(__name__)
EXAMPLES = Path(__file__).resolve().parent.parent / "lexicon" / "form_replies.yml"
# Chosen on five-fold cross-validation of the examples: no example cancelled that was not a cancellation (at
# 0.6 two were, and a held-out conversation's sigh "反正我是不敢戴了 唉" read 0.60 and dropped its report),
# and most of the confirmations the rules miss found (eval/README.md, "Replies to the form").
CONFIRM_AT = 0.5
CANCEL_AT = 0.7
# Five-fold cross-validation of the examples at questions: asides found 0.78, no answer or other reply taken
# for one (at 0.5, "哄抬物价" answering "what" was). An answer taken for an aside is asked for again.
ASIDE_AT = 0.6
ASIDE = "aside"
# what the first model tells apart; an answer or an aside leaves the decision to the form's other rules
DECISIONS = ("confirm", "cancel", "correct", "skip")
OTHER = "other"
_SUMMARY_MARK, _QUESTION_MARK = "§", "¤"  # the reply's place, as a character the n-grams see


@dataclass(frozen=True)
class Reading:
    """The models' belief that a reply confirms or cancels, or (at a question) is an aside, and whether it
    asks something."""

    confirm: float
    cancel: float
    asks: bool
    aside: float = 0.0

    def confirms(self) -> bool:
        return not self.asks and self.confirm >= CONFIRM_AT and self.confirm > self.cancel

    def cancels(self) -> bool:
        return self.cancel >= CANCEL_AT and self.cancel > self.confirm

    def sets_aside(self) -> bool:
        return self.aside >= ASIDE_AT and not (self.confirms() or self.cancels())


@dataclass(frozen=True)
class Reader:
    """The two fitted models."""

    decisions: Any
    aside: Any


def load_examples(path: Path = EXAMPLES) -> list[tuple[str, bool, str]]:
    """(text, at the summary, label) for every example of the file; an answer is OTHER."""
    data: dict[str, dict[str, list[str]]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (str(text), place == "summary", label if label in (*DECISIONS, ASIDE) else OTHER)
        for place, labels in data.items()
        for label, texts in labels.items()
        for text in texts
    ]


def document(text: str, at_summary: bool) -> str:
    # emoji and WeChat's emoticon codes stay: a reply of "👌" or "[OK]" says yes, "[疑问]" does not
    return (_SUMMARY_MARK if at_summary else _QUESTION_MARK) + complaint.clean(text).lower()


def _pipeline() -> Any:
    """A tf-idf of character 1-3-grams and a balanced logistic regression (scikit-learn, from Rasa's own
    environment)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
        LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced"),
    )


def fit(examples: list[tuple[str, bool, str]]) -> Reader:
    """Both models from the examples: the decisions (an aside is OTHER there) and aside-or-not."""
    documents = [document(t, s) for t, s, _ in examples]
    decisions = _pipeline().fit(documents, [label if label != ASIDE else OTHER for *_, label in examples])
    aside = _pipeline().fit(documents, [label == ASIDE for *_, label in examples])
    return Reader(decisions, aside)


@lru_cache(maxsize=1)
def _model() -> Reader:
    return fit(load_examples())


def warm() -> None:
    """Fit the model now (at the action server's start), not on a citizen's first reply. A model that cannot
    be fitted (a broken examples file) is logged, and the rules read alone: the form still works."""
    try:
        _model()
    except Exception:
        log.exception("the form's learned reading is unavailable; the rules read replies alone")


def _beliefs(model: Any, doc: str) -> dict[Any, float]:
    """The model's belief in each of its classes, by class (not by index)."""
    return {k: float(v) for k, v in zip(model.classes_, model.predict_proba([doc])[0], strict=True)}


def read_reply(text: str, at_summary: bool, reader: Reader | None = None) -> Reading:
    if reader is None:
        return _read_with_served_model(text, at_summary)
    doc = document(text, at_summary)
    believed = _beliefs(reader.decisions, doc)
    # at the summary an aside changes nothing: a reply that neither confirms nor corrects is asked again
    # anyway
    aside = 0.0 if at_summary else _beliefs(reader.aside, doc).get(True, 0.0)
    return Reading(believed.get("confirm", 0.0), believed.get("cancel", 0.0), _asks(text), aside)


@lru_cache(maxsize=256)  # the form reads one reply up to three times in a turn (intake.read, validation)
def _read_with_served_model(text: str, at_summary: bool) -> Reading:
    try:
        model = _model()
    except Exception:  # logged by warm(); the rules decide alone
        return Reading(confirm=0.0, cancel=0.0, asks=_asks(text))
    return read_reply(text, at_summary, model)


def _asks(text: str) -> bool:
    return bool(complaint.ASKS.search(complaint.plain(text)))  # a question never confirms
