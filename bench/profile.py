"""Where the time goes: py-spy samples the running services during a load step (`--profile`).

py-spy reads a process's stacks from outside (no change to the process, a few per cent of one core), so a
profiled step is the same system under the same load. Each service gets a collapsed-stack file
(`bench/results/profile/<service>-<rate>.txt`, one `frame;frame;... count` line per stack, for flame graph
tools) and `summarise` adds up, per function, the share of samples it was on the stack for.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE_NUMBER = re.compile(r":\d+\)")


def py_spy() -> str | None:
    """py-spy from the gateway environment (requirements/gateway.in), else from PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(
    pids: dict[str, int | None], seconds: float, folder: Path, label: str
) -> list[subprocess.Popen[bytes]]:
    """Sample each named process for `seconds`; returns the samplers (wait for them)."""
    binary = py_spy()
    if binary is None:
        print("no py-spy: not profiling", flush=True)
        return []
    folder.mkdir(parents=True, exist_ok=True)
    samplers = []
    for name, pid in pids.items():
        if pid is None:
            continue
        out = folder / f"{name}-{label}.txt"
        samplers.append(
            subprocess.Popen(
                [
                    binary,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "50",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return samplers


def summarise(collapsed: Path, top: int = 40) -> list[tuple[float, str]]:
    """(share of samples, function) for the functions most often on the stack."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        for frame in {_LINE_NUMBER.sub(")", f) for f in stack.split(";")}:
            inclusive[frame] += int(count)
    return [(round(100 * n / max(1, total), 1), frame) for frame, n in inclusive.most_common(top)]
