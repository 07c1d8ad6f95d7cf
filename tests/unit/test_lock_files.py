"""The lock files install on any machine: registry pins with hashes only, made from their current input.

A lock once pinned a wheel under /tmp that existed only where it was written (issue 18); CI passed because it
ran on that machine. These tests read the committed locks, so such a lock cannot land again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scripts.lock import INPUT_HASH_PREFIX, LOCKS, Lock, canonical, lock_problems, requirement_lines

ROOT = Path(__file__).resolve().parents[2]
INPUT = "# a comment\naiohttp\nredis   # why\nopencc==1.4.2\n"
HASH = "--hash=sha256:" + "a" * 64


def stamped(body: str, input_text: str = INPUT) -> str:
    return f"{INPUT_HASH_PREFIX}{hashlib.sha256(input_text.encode()).hexdigest()}  (x.in)\n{body}"


GOOD = f"aiohttp==3.9.5 \\\n    {HASH}\n    # via -r x.in\nredis==5.0.1 \\\n    {HASH}\nopencc==1.4.2 \\\n    {HASH}\n"


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.name)
def test_committed_lock_installs_anywhere_and_is_current(lock: Lock) -> None:
    problems = lock_problems(lock.target.read_text(encoding="utf-8"), lock.source.read_text(encoding="utf-8"))
    assert problems == [], f"{lock.target.name}: {problems}"


def test_a_good_lock_passes() -> None:
    assert lock_problems(stamped(GOOD), INPUT) == []


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        (
            "OpenCC @ file:///tmp/occ2/opencc-1.4.2-cp310-cp310-manylinux2014_x86_64.whl#sha256=" + "b" * 64,
            "not a registry pin",
        ),
        ("wechatpy @ https://example.org/wechatpy-1.8.18.tar.gz", "not a registry pin"),
        ("/tmp/wheels/ruff-0.17.6-py3-none-any.whl", "not a registry pin"),
        ("-e ./vendor/thing", "not a registry pin"),
        ("--find-links /opt/wheels", "not a registry pin"),
        ("jinja2>=3", "not an exact pin"),
        ("jinja2==3.1.6", "pin without a hash"),
    ],
)
def test_a_lock_that_would_not_install_elsewhere_is_refused(bad_line: str, expected: str) -> None:
    problems = lock_problems(stamped(GOOD + bad_line + "\n"), INPUT)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_a_lock_older_than_its_input_is_refused() -> None:
    changed_input = INPUT + "jinja2\n"
    problems = lock_problems(stamped(GOOD), changed_input)
    assert any("older than its input" in p for p in problems)
    assert "direct requirement not pinned: jinja2" in problems


def test_a_hand_made_lock_without_the_input_hash_is_refused() -> None:
    assert lock_problems(GOOD, INPUT) == ["no input hash: the lock was not made by `make lock`"]


def test_an_exact_input_pin_must_match_the_lock() -> None:
    other = GOOD.replace("opencc==1.4.2", "opencc==1.4.1")
    assert lock_problems(stamped(other), INPUT) == ["pinned at 1.4.1, input asks opencc==1.4.2"]


def test_every_environment_installs_with_require_hashes() -> None:
    """pip checks every download against the lock's hashes, so a changed or substituted file fails."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in (makefile + dockerfile).splitlines() if "pip install" in line]
    for lock in LOCKS:
        name = f"requirements/{lock.name}.lock"
        installs = [line for line in lines if name in line]
        assert installs and all("--require-hashes" in line for line in installs), (name, installs)
    assert all("--require-hashes" in line for line in lines), lines


def test_the_runtime_lock_pins_what_the_development_lock_pins() -> None:
    """The gateway image runs the versions the tests ran: every runtime pin is the same in gateway.lock."""
    pins = {lock.name: _pins(lock.target.read_text(encoding="utf-8")) for lock in LOCKS}
    differing = {
        n: (v, pins["gateway"].get(n)) for n, v in pins["runtime"].items() if pins["gateway"].get(n) != v
    }
    assert pins["runtime"] and differing == {}, differing


def _pins(text: str) -> dict[str, str]:
    found = (line.split(" ")[0].split("==") for line in requirement_lines(text) if "==" in line)
    return {canonical(name): version for name, version in found}
