"""A conversation's dialogue states worked out once per prediction instead of once per policy.

Before each action Rasa asks its policies what to do next, and each works out the conversation's state at
every past action from scratch (`Domain.states_for_tracker_history`): it replays the tracker's events into
a fresh tracker and describes the state (the message, the slots, the previous action, the active form) at
each action. The RulePolicy does it twice right after a message (once reading its text, once its intent),
the MemoizationPolicy once more. The cost grows with the conversation: with a trained model, one prediction
took 0.55 ms on a fresh conversation and 4.8 ms after 50 turns, four fifths of it in this replay.

The three differ only in what they do with the states afterwards (hide turns only rules know, drop slots
only rules use). So, while one prediction runs (`one_prediction`, entered by
`rasa_server.graph_runner.SequentialGraphRunner`), the replay is done once per tracker and what each
policy asks for is built from it by Rasa's own steps, on fresh copies of the states, as Rasa builds them
(the policies change the last state in place). Outside a prediction, and for any tracker that has changed
since, Rasa's own code runs. tests/rasa/test_dialogue_states.py compares the two on conversations with
forms, rule-only turns, rewinds and every combination of the options.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from rasa.shared.core import constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass(frozen=True)
class _Step:
    """What Rasa's loop reads from the replayed tracker at one past action."""

    state: State  # `get_active_state`
    previous_action: Any  # `_get_prev_action_sub_state`
    followup_action: str | None
    latest_action_name: str | None
    active_loop_name: str | None
    hide_rule_turn: bool


_Replay = tuple[DialogueStateTracker, int, Any, list[_Step]]  # the tracker, its length and last event, steps
_replays: ContextVar[dict[tuple[int, int, bool], _Replay] | None] = ContextVar(
    "dialogue_replays", default=None
)
_rasa_states_for_tracker_history = Domain.states_for_tracker_history


@contextmanager
def one_prediction() -> Iterator[None]:
    """Within, a tracker's replay is shared by every policy that asks."""
    token = _replays.set({})
    try:
        yield
    finally:
        _replays.reset(token)


def _replay(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> list[_Step]:
    return [
        _Step(
            state=domain.get_active_state(prior, omit_unset_slots=omit_unset_slots),
            previous_action=domain._get_prev_action_sub_state(prior),
            followup_action=prior.followup_action,
            latest_action_name=prior.latest_action_name,
            active_loop_name=prior.active_loop_name,
            hide_rule_turn=hide_rule_turn,
        )
        for prior, hide_rule_turn in tracker.generate_all_prior_trackers()
    ]


def _steps(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> list[_Step] | None:
    replays = _replays.get()
    if replays is None:
        return None
    events = tracker.events
    last = events[-1] if events else None
    key = (id(domain), id(tracker), omit_unset_slots)
    kept = replays.get(key)
    if kept is not None and kept[0] is tracker and kept[1] == len(events) and kept[2] is last:
        return kept[3]
    steps = _replay(domain, tracker, omit_unset_slots)
    replays[key] = (tracker, len(events), last, steps)
    return steps


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa 3.6's `Domain.states_for_tracker_history`, its replay shared within a prediction."""
    steps = _steps(self, tracker, omit_unset_slots)
    if steps is None:
        return _rasa_states_for_tracker_history(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    # Rasa's loop from here on, reading each step where it read the replayed tracker
    states: list[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for step in steps:
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = step.previous_action
            if not step.followup_action and step.latest_action_name != step.active_loop_name:
                turn_was_hidden = step.hide_rule_turn
            if turn_was_hidden:
                continue
        # `get_active_state` makes new dictionaries every time, and the policies change them
        state: State = {kind: dict(sub_state) for kind, sub_state in step.state.items()}  # type: ignore[misc]
        if ignore_rule_only_turns:
            self._remove_rule_only_features(state, rule_only_data)
            if states:
                self._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[constants.PREVIOUS_ACTION] = dict(last_ml_action_sub_state)  # the replay's stays
        states.append(self._clean_state(state))
    return states


def install() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
