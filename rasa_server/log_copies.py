"""No deep copies of debug-log arguments on every turn.

Rasa 3.6 passes deep copies to its debug log lines in the turn's hot path, for instance
`structlogger.debug("processor.actions.log", rasa_events=copy.deepcopy(events))`. Python evaluates the
arguments before structlog can drop the line, so each turn deep-copies its events, its parse and the
policies' featurised states whatever the log level: py-spy on a warm Rasa server put `copy.deepcopy` at
7.5 % of its time. structlog renders a line during the call, before the logged object can change, so the
copies buy nothing even when debug is logged.

In the modules below every `copy.deepcopy` call is such an argument (tests/rasa/test_log_copies.py reads
their source and fails if one is not, e.g. after a Rasa upgrade). `install` gives those modules a `copy`
whose `deepcopy` hands its argument back; `copy.copy` and everything else is the standard module's.
"""

from __future__ import annotations

import copy as standard_copy
import importlib
from types import ModuleType
from typing import Any

# Modules whose `copy.deepcopy` calls are all arguments of structlog calls (checked by the tests).
MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.memoization",
    "rasa.core.policies.rule_policy",
)


def _as_logged(value: Any, memo: Any = None) -> Any:
    return value


class _LoggingCopy(ModuleType):
    """The `copy` module as those modules see it: `deepcopy` is the identity, the rest is `copy`'s."""

    def __getattr__(self, name: str) -> Any:
        return getattr(standard_copy, name)


def logging_copy() -> ModuleType:
    module = _LoggingCopy("copy")
    module.deepcopy = _as_logged  # type: ignore[attr-defined]
    return module


def install() -> None:
    shim = logging_copy()
    for name in MODULES:
        module = importlib.import_module(name)
        if getattr(module, "copy", None) is standard_copy:
            module.copy = shim  # type: ignore[attr-defined]
