"""What each Dockerfile target carries, without a Docker engine: its stages' COPY lines, laid out in a folder.

No Docker engine runs here, so the image tests stage a target's files (the COPY lines of the target and of
the stages it is built FROM, relative to the WORKDIR) into a temporary folder and start the service's imports
there with the matching environment's Python. A module the image does not carry then fails to import, just
as it would in the container. Pure standard library: both environments import it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    name: str
    parent: str  # a previous stage's name, or a base image
    copies: list[tuple[list[str], str]] = field(default_factory=list)  # (sources, destination)
    workdir: str = "/"
    cmd: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # ENV lines of this stage and the stages below it
    expose: list[int] = field(default_factory=list)
    healthcheck: str = ""  # the HEALTHCHECK's command, as one string
    user: str = ""


def _logical_lines(text: str) -> list[str]:
    joined = text.replace("\\\n", " ")
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def parse(dockerfile: Path = DOCKERFILE) -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in _logical_lines(dockerfile.read_text(encoding="utf-8")):
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = rest.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else f"stage{len(stages)}"
            parent = stages.get(words[0])
            current = stages[name] = Stage(
                name,
                words[0],
                workdir=parent.workdir if parent else "/",
                env=dict(parent.env) if parent else {},
            )
        elif current is None:
            continue
        elif instruction == "WORKDIR":
            current.workdir = os.path.join(current.workdir, rest.strip())
        elif instruction == "COPY":
            if "--from=" in rest:  # from a build stage (the installed environment), not from this folder
                continue
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            current.copies.append((words[:-1], words[-1]))
        elif instruction == "CMD":
            current.cmd = json.loads(rest) if rest.lstrip().startswith("[") else ["sh", "-c", rest]
        elif instruction == "ENV":
            current.env |= dict(word.split("=", 1) for word in shlex.split(rest))
        elif instruction == "EXPOSE":
            current.expose += [int(word.split("/")[0]) for word in rest.split()]
        elif instruction == "HEALTHCHECK":
            current.healthcheck = rest.split(" CMD ", 1)[-1]
        elif instruction == "USER":
            current.user = rest.strip()
    return stages


def lineage(stages: dict[str, Stage], target: str) -> list[Stage]:
    """The target and every stage it is built FROM, oldest first."""
    chain: list[Stage] = []
    stage: Stage | None = stages[target]
    while stage is not None:
        chain.insert(0, stage)
        stage = stages.get(stage.parent)
    return chain


def stage_files(target: str, into: Path, stages: dict[str, Stage] | None = None) -> Path:
    """Copy what the target's COPY lines copy into `into`, at their paths under the WORKDIR; returns the
    WORKDIR's folder (where the service starts). Sources that are missing here are skipped: a model not yet
    trained, for instance, is the Makefile's business, not the image's layout."""
    chain = lineage(stages or parse(), target)
    for stage in chain:
        for sources, destination in stage.copies:
            absolute = os.path.join(stage.workdir, destination)
            for source in sources:
                origin = ROOT / source
                if not origin.exists():
                    continue
                place = into / absolute.lstrip("/")
                if destination.endswith("/") or len(sources) > 1:
                    place = place / origin.name
                place.parent.mkdir(parents=True, exist_ok=True)
                if origin.is_dir():
                    shutil.copytree(
                        origin, place, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
                    )
                else:
                    shutil.copy2(origin, place)
    return into / chain[-1].workdir.lstrip("/")


def run_in_image(
    python: str, workdir: Path, code: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `code` with `python` in the staged WORKDIR, nothing of this repository on its path but the image's
    files (no PYTHONPATH, the staged folder as the current directory, as in the container)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env |= {"TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [python, "-c", code],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


LOCAL_MODULES_CODE = """
import json, sys, os
root = os.path.realpath(os.getcwd())
local = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and os.path.realpath(module.__file__).startswith(root + os.sep)
)
print("LOCAL_MODULES=" + json.dumps(local))
"""


def local_modules(output: str) -> list[str]:
    line = next(x for x in output.splitlines() if x.startswith("LOCAL_MODULES="))
    return list(json.loads(line.removeprefix("LOCAL_MODULES=")))
