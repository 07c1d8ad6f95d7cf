"""Every module each service imports at start is inside its image target (Dockerfile), checked without Docker.

Each target's COPY lines are laid out in a temporary folder (tests/images.py) and the service's start is
reproduced there with the environment the image installs: the Rasa server loads the trained model and parses
a message, the action server registers its actions, the gateway imports every module of `bot`. A module the
image does not copy (the pipeline once imported `actions.signals`, which the `rasa` image lacked) fails here.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from bot.launcher import MODEL, RASA_BIN, ROOT
from scripts.lock import canonical, requirement_lines
from tests import images

pytestmark = pytest.mark.integration
RASA_PYTHON = str(RASA_BIN / "python")
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"


def staged(target: str, tmp_path: Path) -> Path:
    return images.stage_files(target, tmp_path / target)


def cmd_files(target: str) -> list[str]:
    """The files the target's CMD names (model, endpoints, credentials)."""
    words = " ".join(images.parse()[target].cmd).split()
    return [w.strip("\"'") for w in words if w.endswith((".yml", ".yaml", ".tar.gz"))]


def cmd_module(target: str) -> str | None:
    """The module the target's CMD runs with `python -m`, if it does."""
    words = " ".join(images.parse()[target].cmd).split()
    return words[words.index("-m") + 1] if "-m" in words else None


def test_the_rasa_image_loads_its_model_and_parses(tmp_path: Path) -> None:
    assert MODEL.exists(), "make test trains the model before the integration tests"
    workdir = staged("rasa", tmp_path)
    for name in cmd_files("rasa"):
        assert (workdir / name).is_file(), f"the rasa image's CMD names {name}, which no COPY line carries"
    module = cmd_module("rasa")
    code = (
        (f"import {module}\n" if module else "") + "import asyncio\n"
        "from rasa.core.agent import Agent\n"
        "agent = Agent.load('models/current.tar.gz')\n"
        "from rasa_server import parse_cache\n"
        "cache = parse_cache.install(100)\n"
        "result = asyncio.run(agent.parse_message('口罩在哪里预约'))\n"
        "again = asyncio.run(agent.parse_message('口罩在哪里预约'))\n"
        "print('INTENT=' + result['intent']['name'])\n"
        "print('CACHED=' + str(again == result and cache.hits == 1))\n" + images.LOCAL_MODULES_CODE
    )
    done = images.run_in_image(RASA_PYTHON, workdir, code)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "INTENT=ask_mask_booking" in done.stdout
    assert "CACHED=True" in done.stdout  # the second parse of the text came from the cache, unchanged
    loaded = images.local_modules(done.stdout)
    assert "nlu_components.arbiter" in loaded and "lexicon.cues" in loaded, loaded


def test_the_actions_image_registers_every_action(tmp_path: Path) -> None:
    workdir = staged("actions", tmp_path)
    code = (
        "from rasa_sdk.executor import ActionExecutor\n"
        "executor = ActionExecutor()\n"
        "executor.register_package('actions')\n"
        "import json\n"
        "print('ACTIONS=' + json.dumps(sorted(executor.actions)))\n" + images.LOCAL_MODULES_CODE
    )
    done = images.run_in_image(RASA_PYTHON, workdir, code)
    assert done.returncode == 0, done.stderr[-3000:]
    registered = json.loads(next(x for x in done.stdout.splitlines() if x.startswith("ACTIONS="))[8:])
    domain_actions = _domain_custom_actions()
    assert domain_actions <= set(registered), domain_actions - set(registered)


def test_the_gateway_image_imports_every_module_of_bot(tmp_path: Path) -> None:
    workdir = staged("gateway", tmp_path)
    code = (
        "import importlib, pkgutil, bot, bot.__main__\n"
        "for info in pkgutil.walk_packages(bot.__path__, 'bot.'):\n"
        "    importlib.import_module(info.name)\n" + images.LOCAL_MODULES_CODE
    )
    code += (
        "import importlib.metadata as m, sys\n"
        "found = m.packages_distributions()\n"
        "used = sorted({d for name in list(sys.modules) for d in found.get(name.split('.')[0], [])})\n"
        "print('DISTRIBUTIONS=' + json.dumps(used))\n"
    )
    done = images.run_in_image(sys.executable, workdir, code)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = images.local_modules(done.stdout)
    assert "bot.app" in loaded and all(name.split(".")[0] in ("bot", "lexicon") for name in loaded), loaded
    # The image installs runtime.lock, not the development lock: whatever bot imports must be in it.
    line = next(x for x in done.stdout.splitlines() if x.startswith("DISTRIBUTIONS="))
    used = {canonical(name) for name in json.loads(line.removeprefix("DISTRIBUTIONS="))}
    runtime = {canonical(x.split("==")[0]) for x in requirement_lines(RUNTIME_LOCK.read_text()) if "==" in x}
    venv_own = {"pip", "setuptools"}  # `python -m venv` puts them in every environment (a .pth imports one)
    assert used and used <= runtime | venv_own, used - runtime


def test_a_module_missing_from_an_image_is_caught(tmp_path: Path) -> None:
    """The check can fail: the rasa image as it was before lexicon/ (no shared vocabulary) cannot import the
    pipeline's arbiter."""
    workdir = staged("rasa", tmp_path)
    shutil.rmtree(workdir / "lexicon")
    done = images.run_in_image(RASA_PYTHON, workdir, "import nlu_components.arbiter")
    assert done.returncode != 0 and "No module named 'lexicon'" in done.stderr


def _domain_custom_actions() -> set[str]:
    import yaml

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {a for a in domain.get("actions", []) if a.startswith(("action_", "validate_"))}
