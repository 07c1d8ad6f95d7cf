"""Event classes found by name once, not by walking every subclass of `Event` for every stored event.

Reading a tracker turns each stored event's name into its class with `Event.resolve_by_type`, which walks the
whole tree of `Event` subclasses (and checks each for abstractness) per event: for a conversation of a few
dozen events, read and written each turn, py-spy found it at about a tenth of the Rasa server's time under
load. A class found for a name stays the class for that name (classes are only ever added), so it is
remembered; a name not found is looked up again each time, as before, with Rasa's errors and defaults.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event


def install() -> None:
    """Wrap `Event.resolve_by_type` with a memo of the classes it has found."""
    resolve = Event.resolve_by_type
    if getattr(resolve, "memo", None) is not None:
        return
    found: dict[str, type[Event]] = {}

    def resolve_remembered(type_name: str, default: type[Event] | None = None) -> Any:
        known = found.get(type_name)
        if known is not None:
            return known
        cls = resolve(type_name, default)
        if cls is not None and cls is not default and getattr(cls, "type_name", None) == type_name:
            found[type_name] = cls
        return cls

    resolve_remembered.memo = found  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_remembered)  # type: ignore[method-assign,assignment]
