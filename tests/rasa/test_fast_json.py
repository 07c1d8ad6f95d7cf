"""The faster JSON writer writes what the standard one reads back, and falls back where ujson refuses."""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("rasa")

from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from rasa_server import fast_json


def test_a_stored_tracker_reads_back_the_same() -> None:
    intent = {"name": "ask_mask_booking", "confidence": 0.9876543210123457}
    parse = {"intent": intent, "entities": [{"entity": "shop", "value": "某/药店"}], "text": "口罩怎么约？\n",
             "intent_ranking": [intent, {"name": "greet", "confidence": 1e-07}]}  # fmt: skip
    events = [
        ActionExecuted("action_session_start", timestamp=1796548875.8125718), SessionStarted(),
        UserUttered("口罩怎么约？\n", intent, parse["entities"], parse_data=parse, metadata={"sent_at": 17.5}),
        SlotSet("complaint_shop", None), SlotSet("count", 3), BotUttered("请在“预约”页面…", {"buttons": []}),
    ]  # fmt: skip
    document = Dialogue("o_citizen", events).as_dict()
    text = fast_json.dumps(document)
    assert text.isascii()  # as json.dumps writes it
    assert json.loads(text) == json.loads(json.dumps(document))
    assert Dialogue.from_parameters(json.loads(text)).as_dict() == document


def test_edge_values_read_back_as_the_standard_module_writes_them() -> None:
    for value in ({"big": 2**70, 1: "a"}, [math.inf, -math.inf, 0.1 + 0.2]):
        assert json.loads(fast_json.dumps(value)) == json.loads(json.dumps(value))
    assert math.isnan(json.loads(fast_json.dumps({"nan": math.nan}))["nan"])


def test_what_ujson_refuses_the_standard_module_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: object, **options: object) -> str:
        raise OverflowError("refused")

    monkeypatch.setattr(fast_json.ujson, "dumps", refuse)
    assert fast_json.dumps({"a": [1, 2.5]}) == json.dumps({"a": [1, 2.5]})
