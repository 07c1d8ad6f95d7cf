"""The cue words of the understanding rules (lexicon/cues.yml), compiled: abuse in any context (CURSE), the
milder insults whose words need their context (INSULT), accusations (ACCUSATION) and the arbiter's cues.
Each cue's reason, its exceptions and the sentences that test it are in the YAML file."""

from __future__ import annotations

from pathlib import Path

from lexicon.loader import Cue, load_cues

CUES: dict[str, Cue] = load_cues(Path(__file__).with_name("cues.yml"))

CURSE = CUES["curse"].pattern
INSULT = CUES["insult"].pattern
ACCUSATION = CUES["accusation"].pattern
REPROACH = CUES["reproach"].pattern
RHETORICAL = CUES["rhetorical"].pattern
ESCALATION = CUES["escalation_threat"].pattern
ANGRY_FACE = CUES["angry_face"].pattern
SARCASTIC_THANKS = CUES["sarcastic_thanks"].pattern
SUPPOSES = CUES["supposes"].pattern
INTENSIFIER = CUES["swear_word"].pattern
JOY = CUES["joy"].pattern
QUESTION = CUES["question"].pattern
TOPIC = CUES["topic"].pattern
FAILED_BOOKING = CUES["failed_booking"].pattern
ASKS_FOR_PERSON = CUES["asks_for_person"].pattern
ASKS_IF_PERSON = CUES["asks_if_person"].pattern
DECLINES_PERSON = CUES["declines_person"].pattern


def asks_for_person(text: str) -> bool:
    """A request for a person: not declined (不用转人工), nor asking whether one is there (是人工客服吗).
    The NLU arbiter decides with it, and the gateway when Rasa is down (a person needs no understanding)."""
    if DECLINES_PERSON.search(text) or ASKS_IF_PERSON.search(text):
        return False
    return bool(ASKS_FOR_PERSON.search(text))
