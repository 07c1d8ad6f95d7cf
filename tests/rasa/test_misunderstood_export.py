"""The not-understood page's export is training data Rasa itself reads (Rasa's own YAML reader)."""

from __future__ import annotations

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.core.misunderstood import nlu_yaml


def test_rasa_reads_the_exported_examples_with_their_intents() -> None:
    exported = nlu_yaml(
        {
            "口罩可以退货吗": "complain_other",
            "买的口罩能退吗": "complain_other",
            "预约[成功]了吗 {x}": "ask_booking_result",
        }
    )
    data = RasaYAMLReader().reads(exported)
    examples = {(m.get("text"), m.get("intent")) for m in data.intent_examples}
    assert examples == {
        ("口罩可以退货吗", "complain_other"),
        ("买的口罩能退吗", "complain_other"),
        ("预约【成功】了吗 （x）", "ask_booking_result"),
    }
    assert data.entity_examples == [] or all(not m.get("entities") for m in data.entity_examples)
