"""Checking the action server's answers against Rasa's schema once compiled, not recompiled on every turn.

Rasa checks each custom action's response with `jsonschema.validate(result, schema)`, which first checks the
schema itself against the JSON Schema meta-schema and builds a new validator: on every action of every turn.
py-spy on the Rasa server under load put half of its time there (bench/results/latest.json, `profile`):
more than the whole NLU pipeline. The schema is a constant (`RemoteAction.action_response_format_spec`), so
it is checked once and its validator kept; every response is still validated against it, and a bad one
still raises the same `ValidationError` with Rasa's explanation appended.
"""

from __future__ import annotations

from typing import Any

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


def compiled_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as `jsonschema.validate` does on every call
    return cls(schema)


def install() -> None:
    """Replace `RemoteAction._validate_action_result` with one that reuses a compiled validator."""
    if getattr(RemoteAction._validate_action_result, "compiled", False):
        return
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
