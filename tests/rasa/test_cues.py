"""Each cue's example sentences are its tests (lexicon/cues.yml, lexicon/conversation_cues.yml): every
`match` is found, no `no_match` is."""

from __future__ import annotations

from pathlib import Path

import pytest

from lexicon.conversation import found
from lexicon.loader import load_cues, word_pattern

LEXICON = Path(__file__).resolve().parents[2] / "lexicon"
FILES = ("cues.yml", "conversation_cues.yml")
CUES = {f"{file}:{name}": cue for file in FILES for name, cue in load_cues(LEXICON / file).items()}
CASES = [
    (name, sentence, should)
    for name, cue in CUES.items()
    for should, sentences in ((True, cue.match), (False, cue.no_match))
    for sentence in sentences
]


@pytest.mark.parametrize(("name", "sentence", "should"), CASES)
def test_cue_examples(name: str, sentence: str, should: bool) -> None:
    file, cue = name.split(":")
    # the conversation rules read their cues through `found`, where a cue may void another
    finds = (lambda text: found(cue, text)) if file == "conversation_cues.yml" else CUES[name].found_in
    assert finds(sentence) is should, f"{name}: {sentence}"


def test_every_cue_has_a_reason_and_examples_both_ways() -> None:
    for name, cue in CUES.items():
        assert cue.reason and len(cue.match) >= 2 and len(cue.no_match) >= 2, name


def test_a_word_with_exceptions_groups_its_look_behinds_by_width() -> None:
    pattern = word_pattern("垃圾", ["[扔倒]", "属于什么", "丢个"], ["桶", "分类"])
    assert pattern == "(?<![扔倒])(?<!丢个)(?<!属于什么)垃圾(?!桶|分类)"


def test_a_fragment_may_name_fragments_at_any_depth(tmp_path: Path) -> None:
    cues = tmp_path / "cues.yml"
    cues.write_text(
        "fragments:\n  SHOP: '<<DRUG>>|超市'\n  DRUG: '<<PLACE>>'\n  PLACE: '药[店房]'\n"
        "cues:\n  shop:\n    patterns: ['(<<SHOP>>)卖']\n",
        encoding="utf-8",
    )
    assert load_cues(cues)["shop"].pattern.pattern == "(药[店房]|超市)卖"


def test_a_fragment_that_names_itself_is_refused(tmp_path: Path) -> None:
    cues = tmp_path / "cues.yml"
    cues.write_text(
        "fragments:\n  A: 'x<<B>>'\n  B: 'y<<A>>'\ncues:\n  loop:\n    patterns: ['<<A>>']\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="names itself"):
        load_cues(cues)
