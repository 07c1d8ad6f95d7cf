"""The console's JSON API (/api): thin handlers over the help desk. The console page uses the same API."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.appkeys import AGENTS, CANNED, CONVERSATIONS, DESK, SETTINGS
from bot.console.security import COOKIE, SESSION, Can, Refusal, can, client_address, error, requires
from bot.core.privacy import mask_pii
from bot.core.tickets import RESOLUTIONS, Status
from bot.storage.agents import SESSION_TTL, Agent, Role

MAX_REPLY_CHARS = 600  # WeChat shows long texts badly; an agent's reply is a chat line, not a letter


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; {} for a body that is not JSON or not an object (each route then refuses
    what is missing by name)."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _agent(agent: Agent) -> dict[str, Any]:
    return {"agent_id": agent.agent_id, "name": agent.name, "role": agent.role.value}


def masked_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket as an agent who does not hold it sees it: phone and ID numbers masked everywhere."""
    return ticket | {
        "masked": True,
        "summary": mask_pii(str(ticket.get("summary", ""))),
        "details": {k: mask_pii(str(v)) for k, v in (ticket.get("details") or {}).items()},
        "transcript": [
            t | {"text": mask_pii(str(t.get("text", "")))} for t in ticket.get("transcript") or []
        ],
    }


def _card(ticket: dict[str, Any], now: float) -> dict[str, Any]:
    """What a queue row shows."""
    return {
        "id": ticket["number"],
        "openid": ticket["openid"],
        "reason": ticket["reason"],
        "status": ticket["status"],
        "priority": ticket.get("priority"),
        "category": ticket.get("category"),
        "summary": mask_pii(str(ticket.get("summary", ""))),  # a list is seen by all: numbers masked
        "anger": ticket.get("anger", 0.0),
        "agent": ticket.get("agent", ""),
        "queued_at": ticket.get("queued_at"),
        "waiting_seconds": round(now - float(ticket.get("queued_at") or now)),
        "live": ticket.get("live", False),
        "escalations": ticket.get("escalations", 0),
        "send_failure": ticket.get("send_failure", ""),
    }


async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    agent_id, password = str(body.get("agent_id") or ""), str(body.get("password") or "")
    agents = request.app[AGENTS]
    result = await agents.authenticate(agent_id, password, client_address(request))
    if result == "locked":
        return error(429, "locked", "登录失败次数过多，请15分钟后再试")
    if not isinstance(result, Agent):
        return error(401, "bad_credentials", "工号或密码错误")
    token, csrf = await agents.start_session(result)
    response = web.json_response({"agent": _agent(result), "csrf_token": csrf})
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        max_age=SESSION_TTL,
        secure=request.app[SETTINGS].cookie_secure,
    )
    return response


@requires()
async def whoami(request: web.Request) -> web.Response:
    session = request[SESSION]
    return web.json_response({"agent": _agent(session.agent), "csrf_token": session.csrf})


@requires()
async def logout(request: web.Request) -> web.Response:
    await request.app[AGENTS].end_session(request.cookies.get(COOKIE, ""))
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@requires(Can.WORK_TICKETS)
async def list_tickets(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    raw = request.query.get("status", "queued")
    if raw == "mine":
        numbers = await desk.tickets.held_by(request[SESSION].agent.agent_id)
    else:
        try:
            numbers = await desk.tickets.numbers(Status(raw))
        except ValueError:
            return error(400, "bad_status", "status 只能是 queued、claimed、closed 或 mine")
    now = time.time()
    return web.json_response({"tickets": [_card(t, now) for t in await desk.tickets.many(numbers)]})


@requires(Can.WORK_TICKETS)
async def get_ticket(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    number = request.match_info["number"]
    ticket = await desk.tickets.get(number)
    if ticket is None:
        return error(404, "not_found", "工单不存在")
    window = await request.app[CONVERSATIONS].send_window(ticket["openid"])
    session = request[SESSION]
    if ticket.get("agent") != session.agent.agent_id and not can(session, Can.SUPERVISE):
        ticket = masked_ticket(ticket)  # whole only for the agent who holds it (and supervisors)
    body = ticket | {
        "waiting_seconds": round(time.time() - float(ticket.get("queued_at") or time.time())),
        "history": await desk.tickets.history(number),
        "messages": [
            m if ticket.get("masked") is None else m | {"text": mask_pii(str(m.get("text", "")))}
            for m in await desk.tickets.messages(number)
        ],
        "position": await desk.tickets.queue_position(number) if ticket["status"] == "queued" else None,
        "send_window": asdict(window),
    }
    return web.json_response(body)


@requires(Can.WORK_TICKETS)
async def claim(request: web.Request) -> web.Response:
    me = request[SESSION].agent.agent_id
    claim = await request.app[DESK].claim(request.match_info["number"], me)
    if claim.status == "missing":
        return error(404, "not_found", "工单不存在")
    if claim.status != "claimed" or claim.holder != me:
        message = f"该工单已被 {claim.holder or '其他人'} 处理（{claim.status}）"
        return error(409, "already_taken", message, status=claim.status, agent=claim.holder)
    return web.json_response({"status": "claimed", "agent": me})


async def _held(request: web.Request) -> dict[str, Any]:
    """The ticket, if the caller holds it (or supervises)."""
    ticket = await request.app[DESK].tickets.get(request.match_info["number"])
    if ticket is None:
        raise Refusal(404, "not_found", "工单不存在")
    session = request[SESSION]
    if ticket["status"] == "closed":
        raise Refusal(409, "closed", "工单已关闭")
    if ticket.get("agent") != session.agent.agent_id and not can(session, Can.SUPERVISE):
        raise Refusal(403, "not_holder", "请先认领该工单")
    return ticket


@requires(Can.WORK_TICKETS)
async def reply(request: web.Request) -> web.Response:
    ticket = await _held(request)
    text = str((await json_body(request)).get("text") or "").strip()
    if not text:
        return error(400, "empty", "回复内容不能为空")
    if len(text) > MAX_REPLY_CHARS:
        return error(400, "too_long", f"回复请不超过{MAX_REPLY_CHARS}字")
    desk = request.app[DESK]
    window = await request.app[CONVERSATIONS].send_window(ticket["openid"])
    message_id = await desk.reply(ticket["number"], request[SESSION].agent.agent_id, text)
    return web.json_response(
        {
            "message_id": message_id,
            "queued": True,
            "send_window": asdict(window),
        },
        status=202,
    )


@requires(Can.WORK_TICKETS)
async def close(request: web.Request) -> web.Response:
    ticket = await _held(request)
    resolution = str((await json_body(request)).get("resolution") or "")
    if resolution not in RESOLUTIONS or resolution == "citizen_cancelled":
        return error(400, "bad_resolution", "请选择处理结果：" + "、".join(RESOLUTIONS))
    status = await request.app[DESK].close(ticket["number"], request[SESSION].agent.agent_id, resolution)
    if status != "closed_now":
        return error(409, "closed", "工单已关闭")
    return web.json_response({"status": "closed", "resolution": resolution})


@requires(Can.WORK_TICKETS)
async def transfer(request: web.Request) -> web.Response:
    ticket = await _held(request)
    target = str((await json_body(request)).get("agent_id") or "")
    agent = await request.app[AGENTS].get(target)
    if agent is None or agent.disabled or agent.role is Role.MAINTAINER:
        return error(400, "bad_agent", "目标工号不存在或不能接单")
    if ticket["status"] != "claimed":
        return error(409, "not_claimed", "只能转派已认领的工单")
    result = await request.app[DESK].tickets.transfer(
        ticket["number"], ticket["agent"], target, request[SESSION].agent.agent_id
    )
    if result != "ok":
        return error(409, result, "工单状态已变化，请刷新")
    return web.json_response({"status": "claimed", "agent": target})


@requires(Can.WORK_TICKETS)
async def canned(request: web.Request) -> web.Response:
    me = request[SESSION].agent.agent_id
    return web.json_response(
        {
            "canned": [
                {"title": c["title"], "text": c["text"].replace("{agent_id}", me)}
                for c in request.app[CANNED]
            ],
            "resolutions": RESOLUTIONS,
        }
    )


@requires(Can.WORK_TICKETS)
async def list_agents(request: web.Request) -> web.Response:
    """Agents who can take tickets, for transfers; supervisors also see who is online and what each holds."""
    desk = request.app[DESK]
    online = await request.app[AGENTS].online()
    rows = []
    for agent in await request.app[AGENTS].all():
        if agent.disabled or agent.role is Role.MAINTAINER:
            continue
        row = _agent(agent) | {"online": agent.agent_id in online}
        if can(request[SESSION], Can.SUPERVISE):
            row["holding"] = await desk.tickets.held_by(agent.agent_id)
        rows.append(row)
    return web.json_response({"agents": rows})


@requires(Can.SUPERVISE)
async def overview(request: web.Request) -> web.Response:
    """The supervisor's view: the queue's waiting times, who holds what, unclaimed-too-long alerts."""
    desk = request.app[DESK]
    now = time.time()
    queued = [_card(t, now) for t in await desk.tickets.many(await desk.tickets.numbers(Status.QUEUED))]
    waits = [t["waiting_seconds"] for t in queued]
    return web.json_response(
        {
            "queue_length": len(queued),
            "longest_wait_seconds": max(waits, default=0),
            "agents_online": len(await desk.online_agents()),
            "alerts": await desk.tickets.alerts(),
        }
    )
