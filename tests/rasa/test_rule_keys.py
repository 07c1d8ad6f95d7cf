"""The rules found by the shortened walk are Rasa's, and the debug text is Rasa's when it is written."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

pytest.importorskip("rasa")

from rasa.core.policies.rule_policy import RulePolicy

from rasa_server import rule_keys

INTENTS = ["greet", "ask_mask_booking", "ask_booking_result", "request_human", "express_anger"]
ACTIONS = ["action_listen", "utter_greet", "action_answer_content", "action_handoff", "complaint_form"]


def a_state(rng: random.Random, start: bool = False) -> dict[str, Any]:
    if start:
        return {}  # a conversation's first state (a rule with `conversation_start: true` begins with it)
    state: dict[str, Any] = {"prev_action": {"action_name": rng.choice(ACTIONS)}}
    if state["prev_action"]["action_name"] == "action_listen" or rng.random() < 0.3:
        state["user"] = {"intent": rng.choice(INTENTS)}
    if rng.random() < 0.2:
        state["active_loop"] = {"name": rng.choice(["complaint_form", "should_not_be_set"])}
    if rng.random() < 0.2:
        state["slots"] = {"handed_over": rng.choice([[1.0], "should_not_be_set"])}
    return state


def rules(rng: random.Random, count: int) -> dict[str, str]:
    found = {}
    for _ in range(count):
        length = rng.randint(1, 4)
        states = [a_state(rng, start=index == 0 and rng.random() < 0.2) for index in range(length)]
        found[json.dumps(states, sort_keys=True)] = rng.choice(ACTIONS)
    return found


def a_conversation(rng: random.Random, lookup: dict[str, str]) -> list[dict[str, Any]]:
    states = [a_state(rng, start=True)] + [a_state(rng) for _ in range(rng.randint(0, 25))]
    if rng.random() < 0.5 and lookup:  # end on a rule's own states, so that rules do match
        key = rng.choice(sorted(lookup))
        states = [*states, *[state for state in json.loads(key) if state]]
    return states


def test_the_same_rules_are_found_as_by_rasas_whole_walk() -> None:
    rng = random.Random(19)
    policy = RulePolicy.__new__(RulePolicy)  # the walk reads no state of the policy
    found_some = 0
    for _ in range(300):
        lookup = rules(rng, rng.randint(0, 40))
        states = a_conversation(rng, lookup)
        expected = rule_keys._rasa_get_possible_keys(policy, lookup, states)
        assert rule_keys.get_possible_keys(policy, lookup, states) == expected
        found_some += bool(expected) and expected != set(lookup)
    assert found_some > 50  # the cases are not all trivial


def test_the_debug_text_is_rasas_when_written() -> None:
    states = [{}, {"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    lazy = rule_keys.format_tracker_states(states)
    expected = rule_keys._rasa_format_tracker_states(states)
    assert str(lazy) == expected and repr(lazy) == expected and expected.strip()
    assert copy.deepcopy(lazy) is lazy  # Rasa deep-copies it for the log line, with or without log_copies


def test_install_replaces_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RulePolicy, "_get_possible_keys", rule_keys._rasa_get_possible_keys)
    monkeypatch.setattr(
        RulePolicy, "format_tracker_states", staticmethod(rule_keys._rasa_format_tracker_states)
    )
    rule_keys.install()
    assert RulePolicy._get_possible_keys is rule_keys.get_possible_keys
    assert isinstance(RulePolicy.format_tracker_states([]), rule_keys.FormattedStates)
