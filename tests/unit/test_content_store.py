"""Published content against a real Redis: nothing invalid written, every change audited, any change undone."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.core.content import SECTIONS, ContentInvalid
from bot.storage import keys
from bot.storage.content import ContentStore, load_content, read_content

ROOT = Path(__file__).resolve().parents[2]
NOTICE: dict[str, Any] = {
    "id": "2026-09",
    "title": "关于口罩领取网点调整的通知",
    "authority": "市疫情防控指挥部",
    "published": "2026-12-01",
    "expires": "2027-01-31",
    "text": "人民路网点暂停领取，请到建设街网点。",
}


@pytest.fixture
async def client(client: aioredis.Redis) -> aioredis.Redis:
    """The shared fixture's client, with the published content loaded."""
    await load_content(client, ROOT / "content" / "answers.yml", overwrite=True)
    return client


async def _snapshot(client: aioredis.Redis) -> dict[str, Any]:
    return {
        "content": {s: await client.get(keys.content(s)) for s in SECTIONS},
        "audit": await client.xlen(keys.content_audit()),
    }


async def test_bad_content_is_refused_and_nothing_changes(client: aioredis.Redis, tmp_path: Path) -> None:
    store = ContentStore(client)
    before = await _snapshot(client)
    with pytest.raises(ContentInvalid, match="expires"):
        await store.put_announcement(NOTICE | {"expires": "2026-11-01"}, "5301")
    with pytest.raises(ContentInvalid, match=r"booking\.text"):
        await store.put_section("booking", {"text": ""}, "5301")
    # a file with every section good but one field bad: not one section of it is written
    whole = read_content(ROOT / "content" / "answers.yml")
    whole["booking"] = {"text": "新的预约办法"}
    whole["announcements"][0]["published"] = "not a date"
    with pytest.raises(ContentInvalid, match="published"):
        await store.import_all(whole, "cli:test")
    assert await _snapshot(client) == before


async def test_every_change_is_audited_with_who_before_and_after(client: aioredis.Redis) -> None:
    store = ContentStore(client)
    created = await store.put_announcement(NOTICE, "5301")
    assert created is not None and (created.action, created.who, created.before) == ("create", "5301", None)
    edited = await store.put_announcement(NOTICE | {"text": "两个网点都暂停领取。"}, "5302")
    assert edited is not None and edited.action == "edit"
    assert edited.before["text"] == NOTICE["text"] and edited.after["text"] == "两个网点都暂停领取。"
    assert await store.put_announcement(NOTICE | {"text": "两个网点都暂停领取。"}, "5302") is None  # no-op
    history = await store.history(limit=2)
    assert [c.id for c in history] == [edited.id, created.id]
    assert (await store.change(edited.id)) == edited


async def test_a_rollback_restores_the_previous_text(client: aioredis.Redis) -> None:
    store = ContentStore(client)
    original = (await store.section("booking"))["text"]
    change = await store.put_section("booking", {"text": "即日起暂停预约。"}, "5301")
    assert change is not None and (await store.section("booking"))["text"] == "即日起暂停预约。"
    undone = await store.rollback(change.id, "5302")
    assert undone is not None and undone.action == "rollback" and undone.note == f"撤销 {change.id}"
    assert (await store.section("booking"))["text"] == original
    # an announcement: undoing its creation removes it, undoing an edit puts the old one back
    created = await store.put_announcement(NOTICE, "5301")
    edited = await store.put_announcement(NOTICE | {"title": "更正后的标题"}, "5301")
    assert created is not None and edited is not None
    await store.rollback(edited.id, "5302")
    assert (await store.announcement("2026-09") or {})["title"] == NOTICE["title"]
    await store.rollback(created.id, "5302")
    assert await store.announcement("2026-09") is None
    others = [a["id"] for a in await store.section("announcements")]
    assert others and "2026-09" not in others  # the other announcements were left alone


async def test_concurrent_edits_of_one_section_are_both_kept(client: aioredis.Redis) -> None:
    store = ContentStore(client)
    await asyncio.gather(
        *(
            store.put_announcement(NOTICE | {"id": f"2026-1{n}", "title": f"通知{n}"}, "5301")
            for n in range(5)
        )
    )
    ids = {a["id"] for a in await store.section("announcements")}
    assert {f"2026-1{n}" for n in range(5)} <= ids
    assert await client.xlen(keys.content_audit()) >= 5


async def test_the_gateways_start_fills_only_what_redis_lacks(client: aioredis.Redis) -> None:
    store = ContentStore(client)
    await store.put_section("booking", {"text": "维护人员改过的办法"}, "5301")
    await client.delete(keys.content("pickup"))
    written = await load_content(client, ROOT / "content" / "answers.yml", overwrite=False)
    assert written == ["pickup"]
    assert (await store.section("booking"))["text"] == "维护人员改过的办法"
    assert json.loads(await client.get(keys.content("pickup")) or "null")["points"]
