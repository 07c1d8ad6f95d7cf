"""The RulePolicy's rules matched against the end of the conversation only, as far as any rule reaches.

To find the rules that apply, Rasa 3.6's `RulePolicy._get_possible_keys` walks the conversation's states
from the latest back to the first and keeps, at each, the rules that agree with it. A rule agrees with
every state further back than its own length (`_is_rule_applicable` returns True there), so once the walk
is further back than the longest rule still in play, nothing can change; Rasa walks on to the conversation's
start anyway, asking every rule at every state. This model's longest rule is three states long, and the
walk cost grows with the conversation. Here the walk stops there, with the same rules found.

The policy also formats every state of the conversation as text for one debug log line
(`format_tracker_states`, used nowhere else), whatever the log level: the text is now made only when the
line is written.

tests/rasa/test_rule_keys.py compares both with Rasa's own.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import State

_rasa_get_possible_keys = RulePolicy._get_possible_keys
_rasa_format_tracker_states = Policy.format_tracker_states


def get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[State]) -> set[str]:
    """Rasa's `_get_possible_keys`, stopping where no rule in play reaches."""
    possible_keys = set(lookup.keys())
    reach = max((len(self._rule_key_to_state(key)) for key in possible_keys), default=0)
    for index, state in enumerate(reversed(states)):
        if index >= reach:
            break  # every rule left applies this far back: Rasa's walk would keep them all
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, index, state)}
    return possible_keys


class FormattedStates:
    """`format_tracker_states(states)`'s text, made when the log line is written."""

    def __init__(self, states: list[Any]) -> None:
        self._states = states

    def __str__(self) -> str:
        return _rasa_format_tracker_states(self._states)

    __repr__ = __str__

    def __deepcopy__(self, memo: Any) -> FormattedStates:
        return self  # Rasa deep-copies the log argument; its text is all that is ever read


def format_tracker_states(states: list[Any]) -> Any:
    return FormattedStates(states)


def install() -> None:
    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]
    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)  # type: ignore[method-assign,assignment]
