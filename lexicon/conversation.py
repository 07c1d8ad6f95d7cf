"""The conversation cues (lexicon/conversation_cues.yml), compiled, with their example sentences."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lexicon.loader import Cue, load_cues

CUES_FILE = Path(__file__).with_name("conversation_cues.yml")


@cache
def cues(path: Path = CUES_FILE) -> dict[str, Cue]:
    return load_cues(path)


# A cue that another voids: a supposition asks the general rule, not the citizen's own case.
VOIDED_BY = {"individual_case": "hypothetical"}


def pattern(name: str) -> re.Pattern[str]:
    """A cue's compiled pattern, for a search that starts where another cue's match ended."""
    return cues()[name].pattern


def found(name: str, text: str) -> bool:
    """The cue is in the text, unless a cue that voids it comes before it ("如果选错网点了怎么办"; not
    "我身份证号填错了一位，如果改不了怎么办", where the case comes first)."""
    match = pattern(name).search(text)
    if match is None:
        return False
    voiding = VOIDED_BY.get(name)
    void = pattern(voiding).search(text) if voiding is not None else None
    return void is None or void.start() >= match.end()
