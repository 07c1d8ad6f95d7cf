"""The maintainers' side of the console: published content, its preview, its audit trail and rollback, and
notifying citizens of a new announcement. Thin handlers over `ContentStore` and `Announcer`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.announce import Announcer
from bot.appkeys import CONVERSATIONS, REDIS, SETTINGS
from bot.console.api import json_body
from bot.console.security import SESSION, Can, Refusal, error, requires
from bot.core.content import (
    ANSWER_SECTIONS,
    BOOKING_RULES,
    NOTIFY_INTENTS,
    SECTION_NAMES,
    ContentInvalid,
    format_announcement,
    format_section,
    notice_text,
    stamp_now,
    topic_intents,
    validate_announcement,
    validate_section,
)
from bot.storage.content import ContentStore


def _store(request: web.Request) -> ContentStore:
    return ContentStore(request.app[REDIS])


def _who(request: web.Request) -> str:
    return request[SESSION].agent.agent_id


def _now(request: web.Request) -> datetime:
    return datetime.now(ZoneInfo(request.app[SETTINGS].timezone))


def _invalid(exc: ContentInvalid) -> web.Response:
    return web.json_response({"error": "invalid", "field": exc.field, "message": str(exc)}, status=400)


@requires(Can.MAINTAIN_CONTENT)
async def list_content(request: web.Request) -> web.Response:
    sections = await _store(request).all()
    today = _now(request).date()
    previews = {s: format_section(s, v, today) if v is not None else "" for s, v in sections.items()}
    return web.json_response(
        {
            "sections": sections, "names": SECTION_NAMES, "previews": previews,
            "notify_intents": NOTIFY_INTENTS,
            # the centre's date (BOT_TIMEZONE), not the browser's or UTC's: what is live is decided by it
            "today": today.isoformat(),
        }
    )  # fmt: skip


@requires(Can.MAINTAIN_CONTENT)
async def preview(request: web.Request) -> web.Response:
    """The message a citizen would get, from a draft not yet saved (validated the same way)."""
    body = await json_body(request)
    section = str(body.get("section") or "")
    today = _now(request).date()
    try:
        if section == "announcement":
            item = validate_announcement(body.get("value"))
            text = "最新公告：" + format_announcement(item)
        else:
            value = dict(body.get("value") or {}) | {"updated_at": stamp_now(_now(request))}
            text = format_section(section, validate_section(section, value), today)
    except ContentInvalid as exc:
        return _invalid(exc)
    except (TypeError, ValueError):
        return error(400, "bad_body", "内容格式不正确")
    return web.json_response({"text": text, "bytes": len(text.encode("utf-8"))})


@requires(Can.MAINTAIN_CONTENT)
async def put_section(request: web.Request) -> web.Response:
    section = request.match_info["section"]
    if section not in ANSWER_SECTIONS:
        return error(404, "not_found", "没有这一类内容")
    body = await json_body(request)
    fields = ("text", "points", *BOOKING_RULES)
    value = {k: body[k] for k in fields if k in body} | {"updated_at": stamp_now(_now(request))}
    try:
        change = await _store(request).put_section(section, value, _who(request))
    except ContentInvalid as exc:
        return _invalid(exc)
    return web.json_response({"change": change.as_json() if change else None})


@requires(Can.MAINTAIN_CONTENT)
async def put_announcement(request: web.Request) -> web.Response:
    item = await json_body(request) | {"id": request.match_info["id"]}
    try:
        change = await _store(request).put_announcement(item, _who(request))
    except ContentInvalid as exc:
        return _invalid(exc)
    return web.json_response({"change": change.as_json() if change else None})


@requires(Can.MAINTAIN_CONTENT)
async def delete_announcement(request: web.Request) -> web.Response:
    try:
        change = await _store(request).delete_announcement(request.match_info["id"], _who(request))
    except KeyError:
        return error(404, "not_found", "公告不存在")
    return web.json_response({"change": change.as_json() if change else None})


@requires(Can.MAINTAIN_CONTENT)
async def history(request: web.Request) -> web.Response:
    section = request.query.get("section") or None
    changes = await _store(request).history(limit=100, section=section)
    return web.json_response({"changes": [c.as_json() for c in changes]})


@requires(Can.MAINTAIN_CONTENT)
async def rollback(request: web.Request) -> web.Response:
    try:
        change = await _store(request).rollback(request.match_info["change"], _who(request))
    except KeyError:
        return error(404, "not_found", "没有这条修改记录")
    except ContentInvalid as exc:
        return _invalid(exc)
    return web.json_response({"change": change.as_json() if change else None})


def _expired(request: web.Request, item: dict[str, Any]) -> bool:
    return bool(item.get("expires")) and str(item["expires"])[:10] < _now(request).date().isoformat()


async def _announcement_and_intents(request: web.Request) -> tuple[dict[str, Any], list[str]]:
    item = await _store(request).announcement(request.match_info["id"])
    if item is None:
        raise Refusal(404, "not_found", "公告不存在")
    raw = request.query.get("intents")
    intents = [i for i in raw.split(",") if i in NOTIFY_INTENTS] if raw else topic_intents(item)
    return item, intents


@requires(Can.MAINTAIN_CONTENT)
async def audience(request: web.Request) -> web.Response:
    """How many citizens a notice would reach, before sending it."""
    item, intents = await _announcement_and_intents(request)
    announcer = Announcer(request.app[REDIS], request.app[CONVERSATIONS])
    if _expired(request, item):
        return error(409, "expired", "公告已过期，不能通知")
    count = len(await announcer.audience(item["id"], intents))
    return web.json_response({"count": count, "intents": intents, "text": notice_text(item)})


@requires(Can.MAINTAIN_CONTENT)
async def notify(request: web.Request) -> web.Response:
    item, intents = await _announcement_and_intents(request)
    if _expired(request, item):
        return error(409, "expired", "公告已过期，不能通知")
    queued = await Announcer(request.app[REDIS], request.app[CONVERSATIONS]).notify(item, intents)
    return web.json_response({"queued": queued, "intents": intents})


def add_content_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/api/content", list_content)
    router.add_post("/api/content/preview", preview)
    router.add_get("/api/content/history", history)
    router.add_post("/api/content/history/{change}/rollback", rollback)
    router.add_put("/api/content/announcements/{id}", put_announcement)
    router.add_delete("/api/content/announcements/{id}", delete_announcement)
    router.add_get("/api/content/announcements/{id}/audience", audience)
    router.add_post("/api/content/announcements/{id}/notify", notify)
    router.add_put("/api/content/{section}", put_section)
