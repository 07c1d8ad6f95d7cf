"""The custom actions, run without a server: rasa_sdk's Tracker and CollectingDispatcher.

Runs in the Rasa environment only (`.venv-rasa`); in the gateway environment rasa_sdk is
absent and the module is skipped. Nothing here imports `bot/`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa_sdk")

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.actions import ActionHandoff

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def make_tracker(intent: dict[str, Any] | None, text: str = "我要人工") -> Tracker:
    latest_message: dict[str, Any] = {"text": text, "entities": []}
    if intent is not None:
        latest_message["intent"] = intent
        latest_message["intent_ranking"] = [intent]
    return Tracker(
        sender_id="openid-test",
        slots={},
        latest_message=latest_message,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_handoff(tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionHandoff().run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def test_handoff_is_named_as_in_the_rules() -> None:
    assert ActionHandoff().name() == "action_handoff"


def test_handoff_tells_the_citizen_then_signals_the_gateway() -> None:
    tracker = make_tracker({"name": "request_human", "confidence": 0.97})

    events, messages = run_handoff(tracker)

    assert events == []
    assert [m["response"] for m in messages] == ["utter_handoff", None]
    assert messages[0]["custom"] == {}
    assert messages[1]["custom"] == {
        "handoff": {"reason": "request_human", "intent": "request_human", "confidence": 0.97}
    }


def test_handoff_payload_carries_the_intent_actually_understood() -> None:
    tracker = make_tracker({"name": "nlu_fallback", "confidence": 0.31}, text="人攻")

    _, messages = run_handoff(tracker)

    handoff = messages[1]["custom"]["handoff"]
    assert handoff["intent"] == "nlu_fallback"
    assert handoff["confidence"] == pytest.approx(0.31)
    assert isinstance(handoff["confidence"], float)


def test_handoff_without_parsed_intent_still_signals() -> None:
    # e.g. triggered through the API or a rule after a non-text event
    _, messages = run_handoff(make_tracker(None))

    assert messages[1]["custom"]["handoff"] == {
        "reason": "request_human",
        "intent": None,
        "confidence": 0.0,
    }


def test_action_server_finds_handoff_in_the_actions_package() -> None:
    # The same lookup `rasa run actions --actions actions` does, and the wire format Rasa receives.
    executor = ActionExecutor()
    executor.register_package("actions")
    action_call = {
        "next_action": "action_handoff",
        "sender_id": "openid-test",
        "tracker": {
            "sender_id": "openid-test",
            "slots": {},
            "latest_message": {
                "text": "转人工",
                "intent": {"name": "request_human", "confidence": 0.88},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }

    result = asyncio.run(executor.run(action_call))

    assert result is not None
    assert result["events"] == []
    responses = result["responses"]
    assert responses[0]["response"] == "utter_handoff"
    assert responses[1]["custom"]["handoff"]["confidence"] == pytest.approx(0.88)


def test_domain_declares_the_action_and_its_response() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))

    assert "action_handoff" in domain["actions"]
    assert domain["responses"]["utter_handoff"][0]["text"].startswith("正在为您转接人工客服")
