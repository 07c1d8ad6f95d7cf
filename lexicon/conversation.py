"""The conversation cues (lexicon/conversation_cues.yml), compiled, with their example sentences."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lexicon.loader import Cue, load_cues

CUES_FILE = Path(__file__).with_name("conversation_cues.yml")


@cache
def cues(path: Path = CUES_FILE) -> dict[str, Cue]:
    return load_cues(path)


# A cue that another voids: a supposition asks the general rule, not the citizen's own case.
VOIDED_BY = {"individual_case": "hypothetical"}


def found(name: str, text: str) -> bool:
    voiding = VOIDED_BY.get(name)
    if voiding is not None and cues()[voiding].found_in(text):
        return False
    return cues()[name].found_in(text)
