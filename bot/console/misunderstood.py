"""The maintainers' page of what the bot did not understand, its labelling and export, and the agents'
correction of a ticket (what the citizen really wanted). Thin handlers over `Misunderstood`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.appkeys import DESK, REDIS, SETTINGS
from bot.console.api import json_body
from bot.console.security import SESSION, Can, error, requires
from bot.core.misunderstood import INTENTS
from bot.storage.misunderstood import Misunderstood

MAX_DAYS = 35  # the turn log's retention


def _misunderstood(request: web.Request) -> Misunderstood:
    timezone = ZoneInfo(request.app[SETTINGS].timezone)
    return Misunderstood(request.app[REDIS], request.app[DESK].tickets, timezone)


@requires(Can.MAINTAIN_CONTENT)
async def list_groups(request: web.Request) -> web.Response:
    try:
        days = min(max(int(request.query.get("days", "7")), 1), MAX_DAYS)
    except ValueError:
        return error(400, "bad_days", f"days 应为 1 到 {MAX_DAYS} 的整数")
    groups = await _misunderstood(request).groups(days)
    return web.json_response({"days": days, "intents": INTENTS, "groups": [g.as_json() for g in groups]})


@requires(Can.MAINTAIN_CONTENT)
async def label_group(request: web.Request) -> web.Response:
    body = await json_body(request)
    intent = str(body.get("intent") or "")
    raw = body.get("texts")
    if not isinstance(raw, list):
        return error(400, "bad_texts", "texts 应为例句列表")
    texts = [str(t) for t in raw if str(t).strip()][:200]
    if intent and intent not in INTENTS:
        return error(400, "bad_intent", "没有这个意图")
    if not texts:
        return error(400, "empty", "请给出这一组的例句")
    count = await _misunderstood(request).label(request.match_info["key"], intent, texts)
    return web.json_response({"labelled": count, "intent": intent})


@requires(Can.MAINTAIN_CONTENT)
async def export(request: web.Request) -> web.Response:
    text = await _misunderstood(request).export()
    return web.Response(
        text=text,
        content_type="application/x-yaml",
        headers={"Content-Disposition": 'attachment; filename="labelled_nlu.yml"'},
    )


@requires(Can.WORK_TICKETS)
async def correct_ticket(request: web.Request) -> web.Response:
    """An agent marks what the citizen really wanted; the maintainers see it with the misunderstood."""
    number = request.match_info["number"]
    ticket = await request.app[DESK].tickets.get(number)
    if ticket is None:
        return error(404, "not_found", "工单不存在")
    body = await json_body(request)
    intent = str(body.get("intent") or "")
    if intent not in INTENTS:
        return error(400, "bad_intent", "没有这个意图")
    citizen = [t["text"] for t in ticket.get("transcript") or [] if t.get("who") == "citizen"]
    text = str(body.get("text") or (citizen[-1] if citizen else ticket.get("summary") or "")).strip()[:500]
    await request.app[DESK].tickets.correct(number, request[SESSION].agent.agent_id, intent, text)
    return web.json_response({"intent": intent, "text": text})


def add_misunderstood_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/api/misunderstood", list_groups)
    router.add_post("/api/misunderstood/{key}/label", label_group)
    router.add_get("/api/misunderstood/export.yml", export)
    router.add_post("/api/tickets/{number}/correction", correct_ticket)
