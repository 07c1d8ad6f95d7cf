"""`python -m bot content import|export|list|history|rollback`: the published content in the running
system's Redis.

Every change is audited as `cli:<user>` and validated first: a file with one bad field changes nothing.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from datetime import datetime
from pathlib import Path

import redis.asyncio as aioredis
import yaml

from bot.core.content import SECTION_NAMES, ContentInvalid
from bot.storage.content import ContentError, ContentStore
from bot.storage.redis import cli_redis_url

ACTION_NAMES = {
    "create": "新增", "edit": "修改", "delete": "删除", "import": "导入", "seed": "初始", "rollback": "撤销",
}  # fmt: skip


def _who() -> str:
    return f"cli:{os.environ.get('USER') or getpass.getuser()}"


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


async def _import(store: ContentStore, argument: str | None, default_file: Path) -> int:
    path = Path(argument) if argument else default_file
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    written = await store.import_all(data, _who())
    print(f"published from {path}: {', '.join(written) or 'nothing changed'}")
    return 0


async def _export(store: ContentStore) -> int:
    content = {s: v for s, v in (await store.all()).items() if v is not None}
    print(yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=110), end="")
    return 0


async def _list(store: ContentStore) -> int:
    for section, value in (await store.all()).items():
        if section == "announcements":
            for item in value or []:
                expires = item.get("expires") or "长期"
                print(f"announcements/{item['id']}\t{item['published']} → {expires}\t{item['title']}")
        elif value is not None:
            print(f"{section}\t{value.get('updated_at', '')}\t{SECTION_NAMES[section]}")
        else:
            print(f"{section}\t(missing)")
    return 0


async def _history(store: ContentStore, limit: str | None) -> int:
    for change in await store.history(limit=int(limit or 30)):
        target = f"{change.section}/{change.item}" if change.item else change.section
        note = f"\t{change.note}" if change.note else ""
        action = ACTION_NAMES.get(change.action, change.action)
        print(f"{change.id}\t{_when(change.at)}\t{change.who}\t{action}\t{target}{note}")
    return 0


async def _rollback(store: ContentStore, change_id: str | None) -> int:
    if not change_id:
        print("give the change's id (python -m bot content history)", file=sys.stderr)
        return 2
    undone = await store.rollback(change_id, _who())
    print(f"rolled back {change_id}" + (f" as change {undone.id}" if undone else ": already as before"))
    return 0


async def _run(url: str, action: str, argument: str | None, default_file: Path) -> int:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    store = ContentStore(client)
    try:
        if action in ("import", "load"):
            return await _import(store, argument, default_file)
        if action == "export":
            return await _export(store)
        if action == "list":
            return await _list(store)
        if action == "history":
            return await _history(store, argument)
        return await _rollback(store, argument)
    except (ContentError, ContentInvalid) as exc:
        print(f"invalid content, nothing changed: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:
        print(f"no such change or item: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()


def content_command(action: str, argument: str | None, default_file: Path) -> int:
    url = cli_redis_url()
    if url is None:
        return 2
    return asyncio.run(_run(url, action, argument, default_file))
