"""Debug-log arguments are not deep-copied, and only where every deep copy is a log argument."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect

import pytest

pytest.importorskip("rasa")

from rasa_server import log_copies


def _deepcopy_calls_outside_log_lines(source: str) -> list[int]:
    """Lines of `copy.deepcopy(...)` calls that are not inside a `structlogger.<level>(...)` call."""
    tree = ast.parse(source)
    inside_log: set[int] = set()
    for call in ast.walk(tree):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "structlogger"
        ):
            inside_log.update(id(child) for child in ast.walk(call))
    return [
        call.lineno
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "deepcopy"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "copy"
        and id(call) not in inside_log
    ]


@pytest.mark.parametrize("name", log_copies.MODULES)
def test_every_deep_copy_in_the_patched_modules_is_a_log_argument(name: str) -> None:
    module = importlib.import_module(name)
    source = inspect.getsource(module)
    assert "copy.deepcopy(" in source  # the module still copies for its logs (else drop it from MODULES)
    assert _deepcopy_calls_outside_log_lines(source) == []


def test_the_scan_finds_a_deep_copy_that_is_not_logged() -> None:
    source = "import copy\nx = copy.deepcopy(y)\nstructlogger.debug('a', b=copy.deepcopy(y))\n"
    assert _deepcopy_calls_outside_log_lines(source) == [2]


def test_install_gives_those_modules_a_copy_without_deep_copies_and_leaves_the_rest() -> None:
    log_copies.install()
    log_copies.install()  # twice is once
    events = [{"event": "user", "parse_data": {"intent": {"name": "greet"}}}]
    for name in log_copies.MODULES:
        seen = importlib.import_module(name).copy
        assert seen is not copy
        assert seen.deepcopy(events) is events
        shallow = seen.copy(events)
        assert shallow == events and shallow is not events  # copy.copy is the standard one
    assert copy.deepcopy(events) is not events  # nobody else's copy changes
    from rasa.core.policies import policy  # its deep copy is of a config, not a log line

    assert policy.copy is copy
