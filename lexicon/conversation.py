"""The conversation cues (lexicon/conversation_cues.yml) compiled, with their example sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CUES_FILE = Path(__file__).with_name("conversation_cues.yml")


@dataclass(frozen=True)
class Cue:
    name: str
    reason: str
    pattern: re.Pattern[str]
    match: tuple[str, ...]  # sentences the cue must find
    no_match: tuple[str, ...]  # sentences it must not

    def found_in(self, text: str) -> bool:
        return bool(self.pattern.search(text))


def _cue(name: str, entry: dict[str, object]) -> Cue:
    patterns = [str(p) for p in entry.get("patterns") or []]  # type: ignore[attr-defined]
    if not patterns:
        raise ValueError(f"cue {name!r} has no patterns")
    return Cue(
        name=name,
        reason=str(entry.get("reason") or ""),
        pattern=re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE),
        match=tuple(str(s) for s in entry.get("match") or []),  # type: ignore[attr-defined]
        no_match=tuple(str(s) for s in entry.get("no_match") or []),  # type: ignore[attr-defined]
    )


@cache
def cues(path: Path = CUES_FILE) -> dict[str, Cue]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: _cue(name, entry) for name, entry in data.items()}


def found(name: str, text: str) -> bool:
    return cues()[name].found_in(text)
