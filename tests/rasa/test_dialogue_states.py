"""The policies' dialogue states from one shared replay equal Rasa's own, option by option."""

from __future__ import annotations

import copy
import gc
from typing import Any

import pytest

pytest.importorskip("rasa")

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_server import dialogue_states

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, ask_booking, complain, inform, affirm]
entities: [shop]
slots:
  shop:
    type: text
    influence_conversation: true
    mappings: [{type: from_entity, entity: shop}]
  urgency:
    type: categorical
    values: [low, high]
    influence_conversation: true
    mappings: [{type: custom}]
  note:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
forms:
  complaint_form:
    required_slots: [shop]
responses:
  utter_greet: [{text: "你好"}]
  utter_booking: [{text: "预约方法"}]
actions: [action_answer, action_submit]
"""
)


def said(intent: str, text: str = "消息", entities: list[dict[str, Any]] | None = None) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": text}
    return UserUttered(text, parse["intent"], entities or [], parse_data=parse)


def start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def answered(intent: str, action: str, hidden: bool = False) -> list[Event]:
    return [
        said(intent),
        ActionExecuted(action, hide_rule_turn=hidden),
        BotUttered("答"),
        ActionExecuted("action_listen", hide_rule_turn=hidden),
    ]


CONVERSATIONS: dict[str, list[Event]] = {
    "empty": [],
    "one message": [*start(), said("greet")],
    "routine turns": [
        *start(),
        *answered("greet", "utter_greet"),
        *answered("ask_booking", "utter_booking"),
        said("ask_booking"),
    ],
    "rule-only turns hidden": [
        *start(),
        *answered("greet", "utter_greet", hidden=True),
        *answered("ask_booking", "action_answer"),
        *answered("greet", "utter_greet", hidden=True),
        said("ask_booking"),
    ],
    "a form with slots": [
        *start(),
        said("complain", entities=[{"entity": "shop", "value": "某药店"}]),
        ActionExecuted("complaint_form", hide_rule_turn=True),
        ActiveLoop("complaint_form"),
        SlotSet("requested_slot", "shop"),
        ActionExecuted("action_listen", hide_rule_turn=True),
        said("inform", entities=[{"entity": "shop", "value": "某药店"}]),
        SlotSet("shop", "某药店"),
        SlotSet("urgency", "high"),
        SlotSet("note", "x"),
        ActionExecuted("complaint_form", hide_rule_turn=True),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        ActionExecuted("action_submit"),
        ActionExecuted("action_listen"),
        said("affirm"),
    ],
    "a form that loops": [
        *start(),
        said("complain"),
        ActionExecuted("complaint_form"),
        ActiveLoop("complaint_form"),
        ActionExecuted("action_listen"),
        said("ask_booking"),
        ActionExecuted("utter_booking"),
        ActionExecuted("complaint_form"),
        ActionExecuted("action_listen"),
        said("inform"),
    ],
    "a message taken back": [
        *start(),
        *answered("greet", "utter_greet"),
        said("complain"),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        said("ask_booking"),
    ],
    "a follow-up action": [
        *start(),
        said("greet"),
        FollowupAction("action_answer"),
        ActionExecuted("action_answer"),
        ActionExecuted("action_listen"),
        said("greet"),
    ],
    "after an action": [
        *start(),
        *answered("greet", "utter_greet"),
        said("ask_booking"),
        ActionExecuted("action_answer"),
    ],
}
RULE_ONLY = [
    None,
    {"rule_only_slots": ["urgency"], "rule_only_loops": ["complaint_form"]},
    {"rule_only_slots": []},
]


def tracker_of(events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("citizen", events, DOMAIN.slots)


def rasa_states(tracker: DialogueStateTracker, **options: Any) -> list[Any]:
    return dialogue_states._rasa_states_for_tracker_history(DOMAIN, tracker, **options)


def shared_states(tracker: DialogueStateTracker, **options: Any) -> list[Any]:
    return dialogue_states.states_for_tracker_history(DOMAIN, tracker, **options)


OPTIONS = [
    {"omit_unset_slots": omit, "ignore_rule_only_turns": ignore, "rule_only_data": rule_only}
    for omit in (False, True)
    for ignore in (False, True)
    for rule_only in RULE_ONLY
]


def counted_replays(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gains an item at each whole replay."""
    replays: list[int] = []
    replay = dialogue_states._replay

    def counted(*args: Any) -> Any:
        replays.append(1)
        return replay(*args)

    monkeypatch.setattr(dialogue_states, "_replay", counted)
    return replays


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_every_option_gives_rasas_states_from_one_replay(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = tracker_of(CONVERSATIONS[name])
    expected = [rasa_states(tracker, **options) for options in OPTIONS]
    replays = counted_replays(monkeypatch)
    with dialogue_states.one_prediction():
        for options, wanted in zip(OPTIONS, expected, strict=True):
            got = shared_states(tracker, **options)
            assert got == wanted, options
            for state in got:  # the policies change what they are given (the last message's features)
                state.clear()
    assert len(replays) == 2  # once with unset slots, once without


# events a turn adds; True: they only add to what Rasa replays (carried on), False: they take some back
GAINED: list[tuple[str, list[Event], bool]] = [
    ("an action", [ActionExecuted("utter_booking")], True),
    ("its answer and listening", [BotUttered("答"), ActionExecuted("action_listen")], True),
    ("a message", [said("complain", entities=[{"entity": "shop", "value": "某店"}])], True),
    (
        "a form starting",
        [
            ActionExecuted("complaint_form"),
            ActiveLoop("complaint_form"),
            SlotSet("requested_slot", "shop"),
            ActionExecuted("action_listen"),
        ],
        True,
    ),
    ("a form's answer", [said("inform"), SlotSet("shop", "某店"), SlotSet("urgency", "low")], True),
    ("the form again", [ActionExecuted("complaint_form")], False),  # Rasa drops the form's earlier run
    ("a message taken back", [ActionExecuted("action_listen"), said("greet"), UserUtteranceReverted()], True),
    ("an older message taken back", [UserUtteranceReverted()], False),
    ("nothing new", [], True),
    ("a follow-up", [FollowupAction("action_answer"), ActionExecuted("action_answer")], True),
    ("a restart", [Restarted(), ActionExecuted("action_listen"), said("greet")], False),
]


def test_a_tracker_that_gains_events_is_carried_on_and_equals_rasas(monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = tracker_of(CONVERSATIONS["routine turns"])
    replays = counted_replays(monkeypatch)
    with dialogue_states.one_prediction():
        shared_states(tracker, omit_unset_slots=False)
        shared_states(tracker, omit_unset_slots=True)
    for name, events, carried_on in GAINED:
        tracker.update_with_events(events, DOMAIN)
        before = len(replays)
        for options in OPTIONS:
            with dialogue_states.one_prediction():  # a turn's next prediction
                got = shared_states(tracker, **options)
            assert got == rasa_states(tracker, **options), (name, options)
        full_replays = len(replays) - before
        assert full_replays == (0 if carried_on else 2), name  # with and without unset slots
    assert len(replays) == 2 + 2 * sum(not carried_on for _, _, carried_on in GAINED)


def test_the_latest_message_changed_in_place_after_a_kept_state_is_replayed_whole() -> None:
    # an action logged after a message without a prediction, then the message's featurization decided
    tracker = tracker_of([*start(), said("greet"), ActionExecuted("action_listen")])
    with dialogue_states.one_prediction():
        shared_states(tracker)
    tracker.update(DefinePrevUserUtteredFeaturization(False))
    with dialogue_states.one_prediction():
        assert shared_states(tracker) == rasa_states(tracker)


def test_a_turns_second_prediction_is_carried_on_past_the_message_featurization(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracker = tracker_of([*start(), *answered("greet", "utter_greet"), said("ask_booking")])
    replays = counted_replays(monkeypatch)
    with dialogue_states.one_prediction():
        shared_states(tracker)
    # what the first prediction logs: how the message was read, then the action it chose
    tracker.update_with_events(
        [DefinePrevUserUtteredFeaturization(True), ActionExecuted("action_answer")], DOMAIN
    )
    with dialogue_states.one_prediction():
        for options in OPTIONS[:6]:
            assert shared_states(tracker, **options) == rasa_states(tracker, **options)
    assert len(replays) == 1


def test_a_replay_goes_with_its_tracker() -> None:
    tracker = tracker_of(CONVERSATIONS["routine turns"])
    with dialogue_states.one_prediction():
        shared_states(tracker)
    key = (id(DOMAIN), id(tracker), False)
    assert key in dialogue_states._replays
    del tracker
    gc.collect()
    assert key not in dialogue_states._replays


def test_another_tracker_of_the_same_conversation_is_replayed_for_itself() -> None:
    events = CONVERSATIONS["a form with slots"]
    first, second = tracker_of(events), tracker_of(events)
    with dialogue_states.one_prediction():
        shared_states(first)
        second.update(ActionExecuted("action_answer"), DOMAIN)
        assert shared_states(second) == rasa_states(second)


def test_outside_a_prediction_rasa_replays_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialogue_states, "_replay", None)  # would fail if called
    tracker = tracker_of(CONVERSATIONS["a form with slots"])
    assert shared_states(tracker) == rasa_states(tracker)


def test_states_shared_between_policies_are_not_changed_by_one_of_them() -> None:
    tracker = tracker_of(CONVERSATIONS["rule-only turns hidden"])
    options = {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY[1]}
    wanted = copy.deepcopy(rasa_states(tracker, **options))
    with dialogue_states.one_prediction():
        first = shared_states(tracker, **options)
        for state in first:
            for sub_state in state.values():
                sub_state.clear()
        assert shared_states(tracker, **options) == wanted
