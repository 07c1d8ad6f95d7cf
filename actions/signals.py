"""Pure rules the actions apply: anger score, repeated questions, consecutive fallbacks. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_CLAUSE = r"[^,，。;；?？!！]"  # characters within one clause
# Abuse that is abuse in any context. Not 畜生 in 家畜生病, 饭桶 in 电饭桶, 无能 in 无能为力, 滚 in 滚动 (only
# 滚蛋, 给我滚, or a message that is nothing but 滚 or 呸); 蠢 only said of someone else ("我真是蠢哭了").
CURSE = re.compile(
    r"他妈|她妈|妈的|尼玛|特么|卧槽|废物|混蛋|去死|吃屎|不要脸|白痴|智障|脑残|傻逼|傻[xX叉]|狗官|狗东西|狗日"
    r"|王八蛋|人渣|(?<![家牲禽])畜生|(?<!电)饭桶|混[账帐]|无能(?!为力)|蠢(?:货|猪|材)"
    r"|滚蛋|滚开|滚远点|滚犊子|给我滚|^\W*(?:滚|呸)+[吧啊]?\W*$|[🤬🖕]"
    rf"|(?:你们?|他们?|系统|机器人|客服|政府|领导){_CLAUSE}{{0,4}}(?:愚)?蠢(?!哭)",
    re.IGNORECASE,
)
# Curses and the milder insults, whose words need their context: 垃圾 but not 垃圾分类, 有病 said to someone
# ("你有病吧") but not of a sick parent ("老人有病"), 狗屁 but not 热狗, tmd but not ATM.
INSULT = re.compile(
    CURSE.pattern + r"|垃圾(?!桶|分类|袋|站|箱|车|场|处理|回收|短信|邮件|食品)|骗子|黑心|蛀虫|什么玩意|神经病"
    r"|(?<![a-z])tm(?:d|的)|(?:你|您|脑子)有病|有病(?:吧|啊|呀)|傻子|傻[帽缺]|狗屁|狗腿子",
    re.IGNORECASE,
)
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
