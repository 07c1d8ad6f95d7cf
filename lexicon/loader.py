"""Cues as data: YAML entries of patterns with their example sentences, compiled to regular expressions.

A pattern is a regular expression (a string, or `pattern`) or a word with the neighbours that make it
something else (`word`, `not_before`, `not_after`). `<<NAME>>` in a pattern is a fragment of the file
(`fragments`); `extends` puts another cue's patterns first. The examples are the cue's tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import yaml

_PLACEHOLDER = re.compile(r"<<(\w+)>>")


@dataclass(frozen=True)
class Cue:
    name: str
    reason: str
    pattern: re.Pattern[str]
    match: tuple[str, ...]  # sentences the cue must find
    no_match: tuple[str, ...]  # sentences it must not

    def found_in(self, text: str) -> bool:
        return bool(self.pattern.search(text))


def _width(exception: str) -> int:
    """Characters an exception spans: a character class is one; anything else is literal text."""
    return 1 if exception.startswith("[") and exception.endswith("]") else len(exception)


def word_pattern(word: str, not_before: list[str], not_after: list[str]) -> str:
    """The word, not preceded or followed by its exceptions. Python's look-behinds need one width each, so
    exceptions are grouped by width."""
    behind = sorted(not_before, key=_width)
    groups = ["|".join(group) for _, group in groupby(behind, key=_width)]
    before = "".join(f"(?<!{g})" for g in groups)
    after = f"(?!{'|'.join(not_after)})" if not_after else ""
    return f"{before}{word}{after}"


def _expand(text: str, fragments: dict[str, str], within: tuple[str, ...] = ()) -> str:
    """The text with each `<<NAME>>` replaced by its fragment, itself expanded (fragments may nest)."""

    def fragment(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in within:
            raise ValueError(f"fragment {name!r} names itself through {' -> '.join(within)}")
        return _expand(fragments[name], fragments, (*within, name))

    return _PLACEHOLDER.sub(fragment, text)


def _source(entry: str | dict[str, Any], fragments: dict[str, str]) -> str:
    if isinstance(entry, str):  # a bare regular expression
        raw = entry
    elif "pattern" in entry:
        raw = str(entry["pattern"])
    else:
        raw = word_pattern(
            str(entry["word"]),
            [str(x) for x in entry.get("not_before") or []],
            [str(x) for x in entry.get("not_after") or []],
        )
    return _expand(raw, fragments)


def _sources(name: str, entries: dict[str, Any], fragments: dict[str, str]) -> list[str]:
    entry = entries[name]
    inherited = _sources(str(entry["extends"]), entries, fragments) if entry.get("extends") else []
    own = [_source(p, fragments) for p in entry.get("patterns") or []]
    if not inherited and not own:
        raise ValueError(f"cue {name!r} has no patterns")
    return inherited + own


def load_cues(path: Path) -> dict[str, Cue]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries: dict[str, Any] = data.get("cues", data)
    fragments = {str(k): str(v) for k, v in (data.get("fragments") or {}).items()}
    cues: dict[str, Cue] = {}
    for name, entry in entries.items():
        flags = re.IGNORECASE if entry.get("ignore_case") else 0
        cues[name] = Cue(
            name=name,
            reason=str(entry.get("reason") or ""),
            pattern=re.compile("|".join(_sources(name, entries, fragments)), flags),
            match=tuple(str(s) for s in entry.get("match") or []),
            no_match=tuple(str(s) for s in entry.get("no_match") or []),
        )
    return cues
