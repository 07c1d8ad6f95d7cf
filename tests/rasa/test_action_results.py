"""The action server's answers, and events appended to a tracker, are validated as Rasa validates them: the
schema checked once, each event against its own type's branch (rasa_server/action_results.py)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("rasa")

import jsonschema
import rasa.server
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.server import EVENTS_SCHEMA

from rasa_server import action_results

GOOD = {"events": [{"event": "slot", "name": "district", "value": "滨江"}], "responses": [{"text": "好的"}]}
BAD = {"events": "not a list", "responses": []}


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(
        rasa.server, "validate_events_in_request_body", rasa.server.validate_events_in_request_body
    )
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


ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    1.5,
    "文本",
    [],
    [{"entity": "shop", "value": "x"}],
    {},
    {"name": "x"},
]


def events_to_judge() -> list[Any]:
    """For every event type: a bare event, and one with each property (its type's and the shared ones) set to
    each of several JSON values, right or wrong; then events no type accepts."""
    judged: list[Any] = []
    for branch in EVENTS_SCHEMA["items"]["oneOf"]:
        name = branch["properties"]["event"]["const"]
        bare: dict[str, Any] = {"event": name}
        if "name" in branch.get("required", []):
            bare["name"] = "slot_x"
        for required in branch.get("required", []):
            bare.setdefault(required, [] if required == "entities" else "v")
        judged.append(bare)
        shared = EVENTS_SCHEMA["items"]["properties"]
        for prop in [*branch.get("properties", {}), *shared]:
            if prop == "event":
                continue
            judged += [bare | {prop: value} for value in ODD_VALUES]
    judged += [{"event": "no_such_type"}, {"event": 3}, {}, "slot", None, {"name": "x"}]
    return judged


def rasa_accepts(schema: dict[str, Any], instance: Any) -> bool:
    try:
        jsonschema.validate(instance, schema)
    except ValidationError:
        return False
    return True


def ours_accept(validate: Any, instance: Any) -> bool:
    try:
        validate(instance)
    except ValidationError:
        return False
    return True


def test_every_event_type_and_wrong_value_is_judged_as_rasa_judges_it() -> None:
    events = events_to_judge()
    assert len(events) > 500
    ours = action_results.EventsValidator(EVENTS_SCHEMA)
    verdicts = [(rasa_accepts(EVENTS_SCHEMA, [e]), ours_accept(ours.validate, [e])) for e in events]
    assert [e for e, (theirs, mine) in zip(events, verdicts, strict=True) if theirs != mine] == []
    assert {theirs for theirs, _ in verdicts} == {
        True,
        False,
    }  # both verdicts occur: the comparison means something
    answers = [{"events": [e], "responses": [{"text": "好"}]} for e in events[:200]]
    answers += [{"events": "x"}, {"responses": "x"}, {"responses": [1]}, [], "x", {}, {"events": []}]
    whole = action_results.compiled_validator()
    spec = RemoteAction.action_response_format_spec()
    assert [a for a in answers if rasa_accepts(spec, a) != ours_accept(whole.validate, a)] == []


def test_the_tracker_events_endpoint_refuses_what_rasa_refuses(installed: RemoteAction) -> None:
    class Request:
        def __init__(self, body: Any) -> None:
            self.json = body

    rasa.server.validate_events_in_request_body(Request([{"event": "pause"}, {"event": "resume"}]))
    rasa.server.validate_events_in_request_body(Request({"event": "slot", "name": "x", "value": 1}))
    with pytest.raises(rasa.server.ErrorResponse):
        rasa.server.validate_events_in_request_body(Request([{"event": "slot"}]))  # a slot needs its name
    with pytest.raises(rasa.server.ErrorResponse):
        rasa.server.validate_events_in_request_body(Request({"event": "no_such_type"}))
