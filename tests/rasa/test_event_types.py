"""Event classes by name: remembered, and the same answers (and errors) as Rasa's own lookup."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa")

from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from rasa_server import event_types


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        Event, "resolve_by_type", Event.__dict__["resolve_by_type"]
    )  # the staticmethod itself
    event_types.install()


def test_names_resolve_to_the_same_classes(installed: None) -> None:
    for cls in (UserUttered, ActionExecuted, SlotSet):
        assert Event.resolve_by_type(cls.type_name) is cls
        assert Event.resolve_by_type(cls.type_name) is cls  # the second time from the memo
    assert set(Event.resolve_by_type.memo) >= {"user", "action", "slot"}  # type: ignore[attr-defined]


def test_unknown_names_keep_rasas_answers(installed: None) -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert "no_such_event" not in Event.resolve_by_type.memo  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_read_back_equal(installed: None) -> None:
    events = [
        UserUttered("你好", {"name": "greet"}),
        SlotSet("district", "滨江"),
        ActionExecuted("action_listen"),
    ]
    again = [Event.from_parameters(e.as_dict()) for e in events]
    assert [e.as_dict() for e in again] == [e.as_dict() for e in events]
