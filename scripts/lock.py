"""`make lock`: regenerate requirements/*.lock from their short input files, with uv.

Why uv and not pip-tools: uv resolves for a Python version and platform it is not running on (the Rasa lock is
for Python 3.10, made from the gateway's 3.11 environment), and it reads no pip configuration. This machine's
pip is configured with local wheel folders and file:// indexes; pip-compile would happily pin a wheel from
there, and a lock that names a file on one machine fails on every other (issue 18). uv is told to read no
config file and to resolve against PyPI only, so every pin is a registry pin with PyPI's hashes.

The lock's existing pins are uv's preferences: regenerating after a change to the input moves only what the
change needs. Each lock records the sha256 of its input, so a test can tell a lock older than its input.

    python scripts/lock.py            # both locks
    python scripts/lock.py rasa       # one
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
INDEX = "https://pypi.org/simple"
INPUT_HASH_PREFIX = "# input sha256: "


@dataclass(frozen=True)
class Lock:
    name: str
    python: str  # the interpreter version the environment is made with (Makefile)
    # A lock this one is a subset of: resolved with it as constraints, so both pin the same versions.
    within: str | None = None

    @property
    def source(self) -> Path:
        return REQUIREMENTS / f"{self.name}.in"

    @property
    def target(self) -> Path:
        return REQUIREMENTS / f"{self.name}.lock"


# gateway: the development environment (`make`); runtime: what the gateway image installs (Dockerfile), the
# same versions without the tools and tests; rasa: the Rasa server and actions, both places.
# pip: the installer itself, put into each new environment before its lock (its wheel serves 3.10 and 3.11).
LOCKS = (
    Lock("gateway", "3.11"),
    Lock("runtime", "3.11", within="gateway"),
    Lock("rasa", "3.10"),
    Lock("pip", "3.10", within="gateway"),
)


def input_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uv_binary() -> str:
    beside = Path(sys.executable).with_name("uv")  # the gateway environment carries uv (gateway.in)
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise SystemExit("uv not found: make lock installs it with the gateway environment")
    return found


def compile_lock(lock: Lock) -> None:
    subprocess.run(
        [
            uv_binary(), "pip", "compile", str(lock.source.relative_to(ROOT)),
            "--output-file", str(lock.target.relative_to(ROOT)),
            "--no-config", "--index-url", INDEX, "--generate-hashes",
            "--python-version", lock.python, "--python-platform", "linux",
            "--custom-compile-command", "make lock", "--quiet",
            *(["--constraint", f"requirements/{lock.within}.lock"] if lock.within else []),
        ],
        cwd=ROOT, check=True,
    )  # fmt: skip
    body = lock.target.read_text(encoding="utf-8")
    body = "".join(line for line in body.splitlines(keepends=True) if not line.startswith(INPUT_HASH_PREFIX))
    stamp = f"{INPUT_HASH_PREFIX}{input_hash(lock.source)}  ({lock.source.name}, Python {lock.python})\n"
    lock.target.write_text(stamp + body, encoding="utf-8")
    print(f"{lock.target.relative_to(ROOT)}: {sum(1 for x in body.splitlines() if '==' in x)} pins")


_PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)(\s*;.*?)?((?:\s+--hash=sha256:[0-9a-f]{64})*)\s*$"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(text: str) -> list[str]:
    """Logical lines (backslash continuations joined), comments and blank lines dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (
        line.split(" #")[0].strip() if not line.lstrip().startswith("#") else ""
        for line in joined.splitlines()
    )
    return [line for line in lines if line]


def lock_problems(lock_text: str, input_text: str) -> list[str]:
    """Why a lock file would not install the same thing on every machine, or is older than its input.

    A lock installs anywhere only if every line is a registry pin (`name==version`) with its hashes: a URL, a
    local path (`@ file://`, `/tmp/...`), an editable or an option that adds an index would fetch something
    other machines do not have. A lock whose recorded input hash differs from the input file's was not
    regenerated after the input changed; a direct requirement its pins do not satisfy says the same.
    """
    problems: list[str] = []
    pins: dict[str, str] = {}
    for line in requirement_lines(lock_text):
        match = _PIN.match(line)
        if "://" in line or " @ " in line or line.startswith(("-", "/", ".")) or "/tmp/" in line:
            problems.append(f"not a registry pin (a URL, a local path or an option): {line[:120]}")
        elif not match:
            problems.append(f"not an exact pin: {line[:120]}")
        elif not match.group(5):
            problems.append(f"pin without a hash: {match.group(1)}=={match.group(3)}")
        else:
            pins[canonical(match.group(1))] = match.group(3)
    recorded = re.search(rf"^{re.escape(INPUT_HASH_PREFIX)}([0-9a-f]{{64}})", lock_text, re.MULTILINE)
    wanted = hashlib.sha256(input_text.encode("utf-8")).hexdigest()
    if not recorded:
        problems.append("no input hash: the lock was not made by `make lock`")
    elif recorded.group(1) != wanted:
        problems.append("older than its input file (its input hash differs): run `make lock`")
    for line in requirement_lines(input_text):
        name = _NAME.match(line)
        if name and canonical(name.group(0)) not in pins:
            problems.append(f"direct requirement not pinned: {line}")
        elif name and "==" in line:
            exact = line.split("==", 1)[1].split(";")[0].strip()
            if pins[canonical(name.group(0))] != exact:
                problems.append(f"pinned at {pins[canonical(name.group(0))]}, input asks {line}")
    return problems


def main(names: list[str]) -> None:
    chosen = [lock for lock in LOCKS if not names or lock.name in names]
    if not chosen:
        raise SystemExit(f"unknown lock: {' '.join(names)} (known: {', '.join(x.name for x in LOCKS)})")
    for lock in chosen:
        compile_lock(lock)
        problems = lock_problems(
            lock.target.read_text(encoding="utf-8"), lock.source.read_text(encoding="utf-8")
        )
        if problems:
            raise SystemExit(f"{lock.target.name}: " + "; ".join(problems))


if __name__ == "__main__":
    main(sys.argv[1:])
