"""Each conversation cue's example sentences are its tests: every `match` is found, no `no_match` is."""

from __future__ import annotations

import pytest

from lexicon.conversation import cues

CASES = [
    (name, sentence, should)
    for name, cue in cues().items()
    for should, sentences in ((True, cue.match), (False, cue.no_match))
    for sentence in sentences
]


@pytest.mark.parametrize(("name", "sentence", "should"), CASES)
def test_cue_examples(name: str, sentence: str, should: bool) -> None:
    assert cues()[name].found_in(sentence) is should, f"{name}: {sentence}"


def test_every_cue_has_a_reason_and_examples_both_ways() -> None:
    for name, cue in cues().items():
        assert cue.reason and len(cue.match) >= 3 and len(cue.no_match) >= 3, name
