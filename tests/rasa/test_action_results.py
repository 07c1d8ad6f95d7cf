"""The action server's answers are validated against Rasa's schema, compiled once rather than every turn."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("rasa")

import jsonschema
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from rasa_server import action_results

GOOD = {"events": [{"event": "slot", "name": "district", "value": "滨江"}], "responses": [{"text": "好的"}]}
BAD = {"events": "not a list", "responses": []}


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    action_results.install()
    return RemoteAction("action_answer_faq", None)


def test_good_and_bad_answers_are_judged_as_rasa_judges_them(installed: RemoteAction) -> None:
    assert installed._validate_action_result(GOOD)
    with pytest.raises(ValidationError) as rasas:
        jsonschema.validate(BAD, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as ours:
        installed._validate_action_result(BAD)
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_the_schema_is_checked_once_not_per_answer(
    installed: RemoteAction, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[Any] = []
    cls = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, schema, **kw: checks.append(schema)))
    for _ in range(5):
        installed._validate_action_result(GOOD)
    assert checks == []


def test_installing_twice_keeps_one_validator(installed: RemoteAction) -> None:
    first = RemoteAction._validate_action_result
    action_results.install()
    assert RemoteAction._validate_action_result is first
