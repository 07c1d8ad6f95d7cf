"""Content maintainers control (content/answers.yml), kept in Redis for the action server to read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bot.files import read_yaml_mapping
from bot.storage import keys

SECTIONS = ("booking", "booking_result", "pickup", "announcements")


class ContentError(ValueError):
    """The content file is missing a section or is not valid YAML."""


def read_content(path: Path) -> dict[str, Any]:
    data = read_yaml_mapping(path, ContentError)
    missing = [s for s in SECTIONS if s not in data]
    if missing:
        raise ContentError(f"{path} lacks section(s): {', '.join(missing)}")
    return {section: data[section] for section in SECTIONS}


async def load_content(client: aioredis.Redis, path: Path, overwrite: bool) -> list[str]:
    """Store each section as JSON; without `overwrite`, only sections Redis does not have yet.

    A gateway restart must not undo what a maintainer published since, hence the default.
    """
    written = []
    for section, value in read_content(path).items():
        payload = json.dumps(value, ensure_ascii=False, default=str)
        if overwrite:
            await client.set(keys.content(section), payload)
            written.append(section)
        elif await client.set(keys.content(section), payload, nx=True):
            written.append(section)
    return written
