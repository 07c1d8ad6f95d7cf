"""Published content in Redis (`fd:content:<section>`, JSON, read by the action server at every answer) and
its audit trail (`fd:content:audit`): every change records who, when, before and after, and any change can
be rolled back. Nothing invalid is ever written (the rules are `bot.core.content`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from bot.core.content import (
    SECTIONS,
    ContentInvalid,
    validate_all,
    validate_announcement,
    validate_section,
)
from bot.files import read_yaml_mapping
from bot.storage import keys

CHANGE_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
AUDIT_MAX_ENTRIES = 10_000  # years of a centre's edits; the stream is trimmed beyond it


class ContentError(ValueError):
    """The content file is missing or is not valid YAML."""


@dataclass(frozen=True)
class Change:
    """One audit entry: `item` is an announcement's id, or empty when the whole section changed."""

    id: str
    at: float
    who: str
    action: str  # edit, create, delete, import, seed, rollback
    section: str
    item: str
    before: Any
    after: Any
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at, "who": self.who, "action": self.action, "section": self.section,
            "item": self.item, "before": self.before, "after": self.after, "note": self.note,
        }  # fmt: skip


def read_content(path: Path) -> dict[str, Any]:
    """The content file, validated as a whole (ContentInvalid names the first bad field)."""
    return validate_all(read_yaml_mapping(path, ContentError))


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _load(raw: Any) -> Any:
    return None if raw in (None, "") else json.loads(raw)


class ContentStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def section(self, section: str) -> Any:
        return _load(await self._client.get(keys.content(section)))

    async def all(self) -> dict[str, Any]:
        values = await self._client.mget([keys.content(s) for s in SECTIONS])
        return {s: _load(v) for s, v in zip(SECTIONS, values, strict=True)}

    async def announcement(self, item_id: str) -> dict[str, Any] | None:
        return next((a for a in await self.section("announcements") or [] if a.get("id") == item_id), None)

    # ---- changes (each one audited, in the same transaction as the write) ------------------------

    async def put_section(self, section: str, value: Any, who: str, action: str = "edit") -> Change | None:
        """Replace a whole section; None when nothing changed."""
        clean = validate_section(section, value)
        return await self._change(section, "", who, action, lambda _current: clean)

    async def put_announcement(self, item: Any, who: str) -> Change | None:
        """Create or replace one announcement (by id); the others stay as they are."""
        clean = validate_announcement(item)

        def update(current: Any) -> list[dict[str, Any]]:
            items = [a for a in current or [] if a.get("id") != clean["id"]]
            return sorted([*items, clean], key=lambda a: str(a.get("published")), reverse=True)

        return await self._change("announcements", clean["id"], who, None, update)

    async def delete_announcement(self, item_id: str, who: str) -> Change | None:
        def update(current: Any) -> list[dict[str, Any]]:
            if not any(a.get("id") == item_id for a in current or []):
                raise KeyError(item_id)
            return [a for a in current or [] if a.get("id") != item_id]

        return await self._change("announcements", item_id, who, "delete", update)

    async def import_all(self, data: Any, who: str, only_missing: bool = False) -> list[str]:
        """Every section from a content file: all of it valid, or nothing written. `only_missing` (the
        gateway's start) fills only sections Redis lacks, so a restart never undoes a maintainer's edit."""
        clean = validate_all(data)
        written = []
        for section in SECTIONS:
            if only_missing and await self._client.exists(keys.content(section)):
                continue
            action = "seed" if only_missing else "import"
            if await self._change(section, "", who, action, _replace_with(clean[section])) is not None:
                written.append(section)
        return written

    async def rollback(self, change_id: str, who: str) -> Change | None:
        """Undo one change: its section (or its one announcement) goes back to what it was before it."""
        change = await self.change(change_id)
        if change is None:
            raise KeyError(change_id)
        note = f"撤销 {change_id}"
        if change.item:
            if change.before is None:  # the change created it: undoing removes it
                return await self._change(
                    change.section, change.item, who, "rollback",
                    lambda current: [a for a in current or [] if a.get("id") != change.item], note,
                )  # fmt: skip
            restored = validate_announcement(change.before)

            def put_back(current: Any) -> list[dict[str, Any]]:
                items = [a for a in current or [] if a.get("id") != change.item]
                return sorted([*items, restored], key=lambda a: str(a.get("published")), reverse=True)

            return await self._change(change.section, change.item, who, "rollback", put_back, note)
        if change.before is None:
            raise ContentInvalid(change.section, "这次修改之前没有内容，无法撤销")
        previous = validate_section(change.section, change.before)
        return await self._change(change.section, "", who, "rollback", lambda _c: previous, note)

    # ---- the audit trail -------------------------------------------------------------------------

    async def history(self, limit: int = 100, section: str | None = None) -> list[Change]:
        entries: Any = await self._client.xrevrange(
            keys.content_audit(), count=limit if not section else None
        )
        changes = [_change_of(str(entry_id), dict(fields)) for entry_id, fields in entries]
        if section:
            changes = [c for c in changes if c.section == section][:limit]
        return changes

    async def change(self, change_id: str) -> Change | None:
        if not CHANGE_ID.match(change_id):  # not a stream id: no such change (Redis would refuse the range)
            return None
        entries: Any = await self._client.xrange(keys.content_audit(), change_id, change_id)
        return _change_of(str(entries[0][0]), dict(entries[0][1])) if entries else None

    async def _change(
        self,
        section: str,
        item: str,
        who: str,
        action: str | None,
        update: Callable[[Any], Any],
        note: str = "",
    ) -> Change | None:
        """Read, update and write one section with its audit entry, atomically (optimistic, retried when
        another maintainer wrote the section meanwhile)."""
        key = keys.content(section)
        async with self._client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    current = _load(await pipe.get(key))
                    new = update(current)
                    before, after = current, new
                    if item:
                        before = next((a for a in current or [] if a.get("id") == item), None)
                        after = next((a for a in new if a.get("id") == item), None)
                    if before == after:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    kind = action or ("create" if before is None else "edit")
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, _dump(new))
                    fields: dict[Any, Any] = {
                        "who": who, "action": kind, "section": section, "item": item,
                        "before": _dump(before), "after": _dump(after), "note": note,
                    }  # fmt: skip
                    pipe.xadd(keys.content_audit(), fields, maxlen=AUDIT_MAX_ENTRIES, approximate=True)
                    result = await pipe.execute()
                    entry_id = str(result[-1])
                    return Change(
                        entry_id,
                        int(entry_id.split("-", maxsplit=1)[0]) / 1000,
                        who,
                        kind,
                        section,
                        item,
                        before,
                        after,
                        note,
                    )
                except WatchError:
                    continue


def _replace_with(value: Any) -> Callable[[Any], Any]:
    return lambda _current: value


def _change_of(entry_id: str, fields: dict[str, Any]) -> Change:
    return Change(
        id=entry_id,
        at=int(entry_id.split("-", maxsplit=1)[0]) / 1000,
        who=str(fields.get("who") or ""),
        action=str(fields.get("action") or ""),
        section=str(fields.get("section") or ""),
        item=str(fields.get("item") or ""),
        before=_load(fields.get("before")),
        after=_load(fields.get("after")),
        note=str(fields.get("note") or ""),
    )


async def load_content(client: aioredis.Redis, path: Path, overwrite: bool, who: str = "system") -> list[str]:
    """Publish the content file: every section (`overwrite`), or only those Redis does not have yet."""
    return await ContentStore(client).import_all(
        read_yaml_mapping(path, ContentError), who, only_missing=not overwrite
    )
