"""The arbiter that lets a concrete question outrank venting, run in the Rasa environment."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.arbiter import ConcreteAskOverAnger, asks_concretely


@pytest.mark.parametrize(
    ("text", "concrete"),
    [
        ("啥时候才能约上口罩啊！！！", True),
        ("口罩到底在哪领？？等了三天了", True),
        ("你们这帮废物，什么都管不了！！！", False),  # an insult keeps the anger
        ("tmd哪里都买不到口罩？", False),
        ("气死我了", False),  # no question
        ("你们还管不管了？", False),  # a question about nothing we answer
    ],
)
def test_what_counts_as_a_concrete_question(text: str, concrete: bool) -> None:
    assert asks_concretely(text) is concrete


def classified(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={TEXT: text})
    top = {"name": ranking[0][0], "confidence": ranking[0][1]}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)
    return message


def test_anger_with_a_concrete_question_becomes_the_question() -> None:
    arbiter = ConcreteAskOverAnger()
    message = classified(
        "啥时候才能约上口罩啊！！！",
        [
            ("express_anger", 0.97),
            ("greet", 0.02),
            ("ask_booking_result", 0.008),
            ("ask_mask_booking", 0.002),
        ],
    )
    arbiter.process([message])
    assert message.get(INTENT) == {"name": "ask_booking_result", "confidence": 0.97}
    assert [(r["name"], r["confidence"]) for r in message.get(INTENT_RANKING_KEY)] == [
        ("ask_booking_result", 0.97),
        ("greet", 0.02),
        ("express_anger", 0.008),  # the two swap confidences: the fallback still sees a clear winner
        ("ask_mask_booking", 0.002),
    ]


@pytest.mark.parametrize(
    ("text", "top"),
    [("你们这帮废物！！！口罩呢？", "express_anger"), ("口罩怎么预约？", "ask_mask_booking")],
)
def test_other_messages_are_left_alone(text: str, top: str) -> None:
    message = classified(
        text, [(top, 0.9), ("ask_mask_booking" if top != "ask_mask_booking" else "greet", 0.1)]
    )
    ConcreteAskOverAnger().process([message])
    assert message.get(INTENT)["name"] == top
