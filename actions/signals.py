"""Pure rules the actions apply: anger score, repeated questions, consecutive fallbacks. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

INSULTS = ("垃圾", "废物", "滚", "他妈", "妈的", "tm", "狗", "骗子", "无能", "混蛋", "傻", "去死", "有病",
           "什么玩意", "吃屎", "不要脸", "黑心", "蛀虫", "尼玛", "特么", "卧槽", "她妈",
           "白痴", "智障", "脑残", "蠢")  # fmt: skip
_EXCLAMATION_RUN = re.compile(r"[!！]{2,}")
_QUESTION_RUN = re.compile(r"[?？]{2,}")


def anger_score(text: str, intent: str, confidence: float, repeats: int = 0) -> float:
    """0-1: the model's belief in anger, plus cues in the text and in repeating oneself."""
    score = 0.55 * confidence if intent == "express_anger" else 0.0
    score += min(0.2, 0.1 * len(_EXCLAMATION_RUN.findall(text)))
    score += min(0.1, 0.05 * len(_QUESTION_RUN.findall(text)))
    lowered = text.lower()
    score += min(0.3, 0.15 * sum(1 for word in INSULTS if word in lowered))
    score += min(0.2, 0.1 * repeats)
    return round(min(1.0, score), 2)


def user_intents(events: Iterable[dict[str, Any]]) -> list[str]:
    """The intents of the citizen's messages in this session, oldest first."""
    intents: list[str] = []
    for event in events:
        if event.get("event") == "session_started":
            intents = []
        elif event.get("event") == "user":
            intents.append(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
    return intents


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
