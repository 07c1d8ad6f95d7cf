"""docs/configuration.md against the code: every environment variable the code reads is documented, every
documented one is read, and each documented gateway default is the default `load_settings` really uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.launcher import RASA_PROCESS_ENV
from bot.settings import REQUIRED, load_settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
CODE = ("bot", "rasa_server", "actions", "nlu_components", "lexicon")
# What reads the environment: os.environ.get / getenv / a mapping's .get or [] / the settings helpers / ${VAR}.
READS = re.compile(
    r"""(?:environ\.get\(|getenv\(|(?:env|source)\.get\(|source\[|_(?:int|float|seconds|networks)\(source,\s*|port\()"""
    r"""["']([A-Z][A-Z0-9_]+)["']"""
)
CONSTANT = re.compile(r"""^[A-Z_]+ENV\s*=\s*["']([A-Z][A-Z0-9_]+)["']""", re.MULTILINE)
EXPANDED = re.compile(r"\$\{([A-Z][A-Z0-9_]+)\}")
ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", re.MULTILINE)
PRODUCTION = {name: "x" for name in REQUIRED} | {"WECHAT_APPID": "wx1234567890abcdef"}


def sections() -> dict[str, dict[str, str]]:
    """Each table of the document: variable -> its default cell."""
    parts = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
    return {part.splitlines()[0]: dict(ROW.findall(part)) for part in parts}


def read_by_code() -> set[str]:
    names: set[str] = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            names |= set(READS.findall(text)) | set(CONSTANT.findall(text))
    for name in ("endpoints.yml", "credentials.yml"):
        names |= set(EXPANDED.findall((ROOT / name).read_text(encoding="utf-8"))) - {"VAR"}
    return names


def test_every_variable_the_code_reads_is_documented_and_every_documented_one_is_read() -> None:
    documented = {name for table in sections().values() for name in table}
    read = read_by_code()
    assert read - documented == set(), "read by the code, missing from docs/configuration.md"
    # the launcher's settings for TensorFlow and Rasa, and Sanic's workers, are read by those libraries
    by_libraries = set(RASA_PROCESS_ENV) | {"SANIC_WORKERS"}
    assert documented - read - by_libraries == set(), "documented, but nothing reads it"


def test_the_gateway_table_lists_exactly_the_settings() -> None:
    [gateway] = [table for title, table in sections().items() if "bot/settings.py" in title]
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    assert set(gateway) == set(READS.findall(source)) | set(REQUIRED) | {"BOT_ENV"}


def gateway_defaults() -> list[tuple[str, str]]:
    [gateway] = [table for title, table in sections().items() if "bot/settings.py" in title]
    return [(name, cell.strip().strip("`")) for name, cell in gateway.items() if cell.strip().startswith("`")]


@pytest.mark.parametrize(("name", "default"), gateway_defaults(), ids=[n for n, _ in gateway_defaults()])
def test_each_documented_default_is_the_real_default(name: str, default: str) -> None:
    assert load_settings(PRODUCTION | {name: default}) == load_settings(PRODUCTION)


def test_a_wrong_documented_default_would_be_caught() -> None:
    assert load_settings(PRODUCTION | {"FLOOD_PER_MINUTE": "21"}) != load_settings(PRODUCTION)


def test_required_settings_are_documented_as_required() -> None:
    [gateway] = [table for title, table in sections().items() if "bot/settings.py" in title]
    assert {name for name, cell in gateway.items() if cell.strip() == "required"} == set(REQUIRED)
