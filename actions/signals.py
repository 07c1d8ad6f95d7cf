"""Pure rules the actions apply: anger score, repeated questions, consecutive fallbacks. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lexicon.cues import CURSE, INSULT
from lexicon.intents import REQUESTS

_EXCLAMATION_RUN = re.compile(r"[!！]{2,}")
_QUESTION_RUN = re.compile(r"[?？]{2,}")


def anger_score(text: str, intent: str, confidence: float, repeats: int = 0) -> float:
    """0-1: the model's belief in anger, plus cues in the text and in repeating oneself."""
    score = 0.55 * confidence if intent == "express_anger" else 0.0
    score += min(0.2, 0.1 * len(_EXCLAMATION_RUN.findall(text)))
    score += min(0.1, 0.05 * len(_QUESTION_RUN.findall(text)))
    score += min(0.3, 0.15 * len(INSULT.findall(text)))
    score += min(0.2, 0.1 * repeats)
    return round(min(1.0, score), 2)


def sounds_angry(text: str, guesses: list[str]) -> bool:
    """Whether a message we did not understand is angry: it curses, or the classifier's best guess was anger,
    and neither of its two best guesses is a concrete request ("口罩到底哪天到？？" torn between anger and a
    question, or "黑心商家他妈的" between anger and a report, is asked again: the answer or the form, not a
    person). Such a citizen is offered a person at once, not asked to rephrase."""
    if any(guess in REQUESTS for guess in guesses[:2]):
        return False
    return bool(CURSE.search(text)) or guesses[:1] == ["express_anger"]


def guesses_behind_fallback(ranking: Iterable[dict[str, Any]]) -> list[str]:
    """The classifier's intents behind a fallback, best first (`nlu_fallback` itself comes first)."""
    return [str(r.get("name")) for r in ranking if r.get("name") != "nlu_fallback"]


def session_messages(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The citizen's `user` events in this session, oldest first."""
    messages: list[dict[str, Any]] = []
    for event in events:
        if event.get("event") == "session_started":
            messages = []
        elif event.get("event") == "user":
            messages.append(event)
    return messages


def intent_of(event: dict[str, Any]) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def user_intents(events: Iterable[dict[str, Any]]) -> list[str]:
    """The intents of the citizen's messages in this session, oldest first."""
    return [intent_of(event) for event in session_messages(events)]


def trailing_repeats(intents: list[str]) -> int:
    """How many times in a row the latest intent was asked before, e.g. [a, b, b, b] -> 2."""
    if not intents:
        return 0
    latest, count = intents[-1], 0
    for intent in reversed(intents[:-1]):
        if intent != latest:
            break
        count += 1
    return count
