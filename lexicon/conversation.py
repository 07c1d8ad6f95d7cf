"""The conversation cues (lexicon/conversation_cues.yml), compiled, with their example sentences."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lexicon.loader import Cue, load_cues

CUES_FILE = Path(__file__).with_name("conversation_cues.yml")


@cache
def cues(path: Path = CUES_FILE) -> dict[str, Cue]:
    return load_cues(path)


def found(name: str, text: str) -> bool:
    return cues()[name].found_in(text)
