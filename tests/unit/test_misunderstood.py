"""Grouping what the bot did not understand, and the labelled examples as Rasa NLU YAML (pure)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.misunderstood import INTENT_NAMES, INTENTS, Sample, group, nlu_yaml, normalise

ROOT = Path(__file__).resolve().parents[2]


def test_the_intents_to_label_with_are_the_domains() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert list(INTENTS) == list(domain["intents"])
    assert set(INTENT_NAMES) == set(INTENTS)


def test_similar_messages_form_one_group_counted_and_others_stay_apart() -> None:
    samples = [
        Sample("口罩可以退货吗", "fallback", "out_of_scope"),
        Sample("口罩可以退货吗？", "low_confidence", "ask_mask_booking"),
        Sample("买的口罩可以退货吗", "fallback", "out_of_scope"),
        Sample("今天天气怎么样", "fallback"),
        Sample("口罩可以退货吗", "correction", "complain_other"),
        Sample("  ？？ ", "fallback"),  # nothing left after normalising: not a question
    ]
    groups = group(samples, labels={normalise("口罩可以退货吗"): "complain_other"})
    assert [g.count for g in groups] == [4, 1]
    returns, weather = groups
    assert returns.text == "口罩可以退货吗"  # the most frequent wording represents the group
    assert returns.examples == ["口罩可以退货吗", "口罩可以退货吗？", "买的口罩可以退货吗"]
    assert dict(returns.sources) == {"fallback": 2, "low_confidence": 1, "correction": 1}
    assert returns.as_json()["predicted"] == "out_of_scope"
    assert returns.as_json()["corrected"] == "complain_other"
    assert returns.label == "complain_other" and weather.label == ""


def test_the_export_is_rasa_nlu_yaml_with_citizens_brackets_kept_as_text() -> None:
    text = nlu_yaml(
        {"口罩可以退货吗": "complain_other", "预约[成功]了吗": "ask_booking_result", "随便": "no_such_intent"}
    )
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert data["nlu"] == [
        {"intent": "ask_booking_result", "examples": "- 预约【成功】了吗\n"},
        {"intent": "complain_other", "examples": "- 口罩可以退货吗\n"},
    ]
    assert "examples: |" in text  # Rasa's own layout: a literal block of "- example" lines
