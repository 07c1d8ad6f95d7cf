"""Reading what redis-py returns: the client decodes responses, but its types do not say so."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_text(raw: Mapping[Any, Any] | None) -> dict[str, str]:
    """A hash or stream entry as str -> str."""
    return {str(k): str(v) for k, v in (raw or {}).items()}
