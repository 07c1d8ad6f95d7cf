"""Checking events against Rasa's schema at a fraction of the cost: the action server's answers, and the
events the gateway appends to a tracker.

Rasa checks each custom action's response with `jsonschema.validate(result, schema)`, which first checks the
schema itself against the JSON Schema meta-schema and builds a new validator: on every action of every turn.
py-spy on the Rasa server under load put half of its time there. The first change kept one compiled
validator. It still cost about 1.5 ms an answer (10.8 % of the Rasa server's samples at 50 msg/s): an event
is checked against `oneOf` 24 event-type branches, so every event is validated 24 times, 23 of them to
fail.

Every branch of that `oneOf` fixes `event` to its own constant (`{"const": "slot"}` ...), all different, so
an event can match no branch but its own type's. "Exactly one branch matches" is therefore "the branch of
this event's type matches", and that is what `EventsValidator` checks: the shared part of the event schema,
then its type's branch alone. Same verdicts (tests/rasa/test_action_results.py compares them with
`jsonschema.validate` on every event type and wrong values of every property), about a tenth of the time.
A bad answer still raises `ValidationError` with Rasa's explanation appended.

The tracker-events endpoint (`POST /conversations/<id>/tracker/events`: a form's reset, a handoff's pause)
validated its body with `jsonschema.validate` too, schema check included: it gets the same validator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


class EventsValidator:
    """Rasa's EVENTS_SCHEMA (an array of events, each one of 24 types), one type's branch per event."""

    def __init__(self, events_schema: dict[str, Any]) -> None:
        cls = validator_for(events_schema)
        cls.check_schema(events_schema)  # once, as `jsonschema.validate` does on every call
        items = events_schema["items"]
        branches: dict[str, list[dict[str, Any]]] = {}
        for branch in items["oneOf"]:
            branches.setdefault(branch["properties"]["event"]["const"], []).append(branch)
        self._array = cls({key: value for key, value in events_schema.items() if key != "items"})
        self._shared = cls({key: value for key, value in items.items() if key != "oneOf"})
        # Two branches of one type would have to disagree for `oneOf` to pass: a `oneOf` of their own.
        self._by_type = {name: cls({"oneOf": group}) for name, group in branches.items()}

    def validate(self, events: Any) -> None:
        self._array.validate(events)
        for event in events:
            self._shared.validate(event)  # an object whose `event` is a string
            typed = self._by_type.get(event["event"])
            if typed is None:
                raise ValidationError(f"{event['event']!r} is not one of Rasa's event types")
            typed.validate(event)


class ActionResultValidator:
    """`RemoteAction.action_response_format_spec()`: the answer's shape, then its events by type."""

    def __init__(self, schema: dict[str, Any]) -> None:
        cls = validator_for(schema)
        cls.check_schema(schema)
        events_schema = schema["properties"]["events"]
        self._events = EventsValidator(events_schema)
        properties = dict(schema["properties"]) | {"events": {"type": events_schema["type"]}}
        self._shape = cls(schema | {"properties": properties})

    def validate(self, result: Any) -> None:
        self._shape.validate(result)
        if isinstance(result, dict) and "events" in result:
            self._events.validate(result["events"])


def compiled_validator() -> ActionResultValidator:
    return ActionResultValidator(RemoteAction.action_response_format_spec())


def events_request_validator(events_validator: EventsValidator) -> Callable[[Any], None]:
    """`rasa.server.validate_events_in_request_body`, with `events_validator` for jsonschema.validate."""
    from rasa.server import ErrorResponse, HTTPStatus, _docs

    def validate_events_in_request_body(request: Any) -> None:
        events = request.json if isinstance(request.json, list) else [request.json]
        try:
            events_validator.validate(events)
        except ValidationError as error:
            raise ErrorResponse(
                HTTPStatus.BAD_REQUEST,
                "BadRequest",
                f"Failed to validate the events format. "
                f"For more information about the format visit the docs. Error: {error}",
                help_url=_docs("/pages/http-api"),
            ) from error

    return validate_events_in_request_body


def install() -> None:
    """Replace `RemoteAction._validate_action_result` and the tracker-events endpoint's check with
    validators built once (see the module's docstring)."""
    if getattr(RemoteAction._validate_action_result, "compiled", False):
        return
    import rasa.server

    validator = compiled_validator()

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    validate_action_result.compiled = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    rasa.server.validate_events_in_request_body = events_request_validator(  # type: ignore[assignment]
        EventsValidator(rasa.server.EVENTS_SCHEMA)
    )
