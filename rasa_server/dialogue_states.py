"""A conversation's dialogue states worked out once per turn instead of once per policy and prediction.

Before each action Rasa asks its policies what to do next, and each works out the conversation's state at
every past action from scratch (`Domain.states_for_tracker_history`): it replays the tracker's events into
a fresh tracker and describes the state (the message, the slots, the previous action, the active form) at
each action. The RulePolicy does it twice right after a message (once reading its text, once its intent),
the MemoizationPolicy once more, and again at each of the turn's two to four predictions. The cost grows
with the conversation: with a trained model, one prediction took 0.55 ms on a fresh conversation and
4.8 ms after 50 turns, four fifths of it in this replay.

The policies differ only in what they do with the states afterwards (hide turns only rules know, drop
slots only rules use). So, while a prediction runs (`one_prediction`, entered by
`rasa_server.graph_runner.SequentialGraphRunner`), a tracker's replay is kept and shared, and at the
turn's next prediction it is carried on with the events the tracker has gained since, when those only add
to what Rasa replays (`applied_events`: the same event objects, then new ones). When events were taken
back (a rewind, a form's happy path dropping its earlier run, a restart), or when an event changes the
latest message in place after a kept state described it, it is replayed whole. What each
policy asks for is then built from the kept states by Rasa's own steps, on fresh copies (the policies
change the last state in place). A replay lives as long as its tracker (a turn). Outside a prediction,
Rasa's own code runs. tests/rasa/test_dialogue_states.py compares the two under every option on
conversations with forms, rule-only turns, rewinds, restarts and follow-ups, gaining events step by step.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from rasa.shared.core import constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass(frozen=True)
class _Step:
    """What Rasa's loop reads from the replayed tracker at one past action."""

    state: State  # `get_active_state` (its previous action is `_get_prev_action_sub_state`'s, when set)
    followup_action: str | None
    latest_action_name: str | None
    active_loop_name: str | None
    hide_rule_turn: bool


@dataclass
class _Replay:
    """A tracker's applied events replayed: the replaying tracker where it stopped, and the steps so far."""

    tracker: weakref.ref[DialogueStateTracker]
    seen: tuple[int, Event | None]  # the tracker's length and last event when replayed: unchanged since?
    applied: list[Event]
    replaying: DialogueStateTracker
    steps: list[_Step]  # one at each action, and a last one for the state after every event


# Events whose `apply_to` changes the tracker's latest `UserUttered` object itself, which the real tracker
# and every replay share: a kept step that described that message before them is out of date.
_CHANGES_LATEST_MESSAGE = (DefinePrevUserUtteredFeaturization, EntitiesAdded)
_inside_prediction: ContextVar[bool] = ContextVar("inside_prediction", default=False)
_replays: dict[tuple[int, int, bool], _Replay] = {}  # by domain, tracker and omit_unset_slots
MAX_REPLAYS = 64  # trackers of turns in flight; an ended turn's tracker takes its replay with it
_rasa_states_for_tracker_history = Domain.states_for_tracker_history


@contextmanager
def one_prediction() -> Iterator[None]:
    """Within, a tracker's replay is shared by every policy that asks, and carried on from the last one."""
    token = _inside_prediction.set(True)
    try:
        yield
    finally:
        _inside_prediction.reset(token)


def _step(domain: Domain, prior: DialogueStateTracker, hide_rule_turn: bool, omit_unset_slots: bool) -> _Step:
    return _Step(
        state=domain.get_active_state(prior, omit_unset_slots=omit_unset_slots),
        followup_action=prior.followup_action,
        latest_action_name=prior.latest_action_name,
        active_loop_name=prior.active_loop_name,
        hide_rule_turn=hide_rule_turn,
    )


def _play(
    domain: Domain, replaying: DialogueStateTracker, events: list[Event], steps: list[_Step], omit: bool
) -> None:
    """`DialogueStateTracker.generate_all_prior_trackers` from where `replaying` stands, into `steps`."""
    for event in events:
        if isinstance(event, ActionExecuted):
            steps.append(_step(domain, replaying, event.hide_rule_turn, omit))
        replaying.update(event)
    steps.append(_step(domain, replaying, False, omit))


def _replay(domain: Domain, tracker: DialogueStateTracker, applied: list[Event], omit: bool) -> _Replay:
    """The whole replay, as Rasa does it."""
    replaying = tracker.init_copy()
    steps: list[_Step] = []
    _play(domain, replaying, applied, steps, omit)
    return _Replay(weakref.ref(tracker), _seen(tracker), applied, replaying, steps)


def _seen(tracker: DialogueStateTracker) -> tuple[int, Event | None]:
    return len(tracker.events), tracker.events[-1] if tracker.events else None


def _carried_on(domain: Domain, kept: _Replay, tracker: DialogueStateTracker, omit: bool) -> _Replay | None:
    """The replay of a tracker that has only gained events since, carried on from where it stopped."""
    seen = _seen(tracker)
    if seen[0] == kept.seen[0] and seen[1] is kept.seen[1]:
        return kept  # the other policies of the same prediction: not even `applied_events` again
    applied = tracker.applied_events()
    done = len(kept.applied)
    if len(applied) < done or any(
        new is not old for new, old in zip(applied[:done], kept.applied, strict=True)
    ):
        return None  # events taken back (a rewind, a form's happy path), or another tracker
    if len(applied) == done:
        return _Replay(kept.tracker, seen, applied, kept.replaying, kept.steps)
    if _changes_a_kept_message(kept.applied, applied[done:]):
        return None
    steps = kept.steps[:-1]  # the last state is now followed by more events
    _play(domain, kept.replaying, applied[done:], steps, omit)
    return _Replay(kept.tracker, seen, applied, kept.replaying, steps)


def _changes_a_kept_message(kept: list[Event], gained: list[Event]) -> bool:
    """Whether a gained event changes the latest message in place (its featurization, its entities) after
    a kept step already described it: an action logged after the message without a prediction."""
    if not any(isinstance(event, _CHANGES_LATEST_MESSAGE) for event in gained):
        return False
    for event in reversed(kept):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted):
            return any(isinstance(earlier, UserUttered) for earlier in kept)
    return False


def _forget(key: tuple[int, int, bool]) -> Callable[[object], None]:
    return lambda _: _replays.pop(key, None)


def _steps(domain: Domain, tracker: DialogueStateTracker, omit_unset_slots: bool) -> list[_Step] | None:
    if not _inside_prediction.get():
        return None
    key = (id(domain), id(tracker), omit_unset_slots)
    kept = _replays.pop(key, None)  # out while carried on: a failure part-way must not leave it behind
    replay = None
    if kept is not None and kept.tracker() is tracker:
        replay = _carried_on(domain, kept, tracker, omit_unset_slots)
    if replay is None:
        replay = _replay(domain, tracker, tracker.applied_events(), omit_unset_slots)
        replay.tracker = weakref.ref(tracker, _forget(key))
    while len(_replays) >= MAX_REPLAYS:
        _replays.pop(next(iter(_replays)))
    _replays[key] = replay
    return replay.steps


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa 3.6's `Domain.states_for_tracker_history`, its replay shared by a prediction's policies and
    carried on at the turn's next prediction."""
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
                last_ml_action_sub_state = step.state.get(constants.PREVIOUS_ACTION)
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
