"""The API's OpenAPI 3.1 description, served at /api/openapi.json (documentation holds no data, so it needs
no login; every other route does)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

_TICKET_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "12315-20261128-0001",
}
_SECTION = {
    "name": "section",
    "in": "path",
    "required": True,
    "schema": {"enum": ["booking", "booking_result", "pickup"]},
}
_ITEM_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "2026-05"}
_CHANGE_ID = {"name": "change", "in": "path", "required": True, "schema": {"type": "string"}}
_GROUP_KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
_ERROR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_CSRF: list[dict[str, list[str]]] = [{"session": [], "csrf": []}]


def _op(summary: str, ok: str, body: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {ok: {"description": "ok"}, "401": _ERROR, "403": _ERROR},
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op | extra


SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "12315 front door: agent console API", "version": "1"},
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "fd_session"},
            "csrf": {
                "type": "apiKey",
                "in": "header",
                "name": "X-CSRF-Token",
                "description": "csrf_token from POST /api/session; needed on every POST and DELETE",
            },
        },
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
            "TicketCard": {
                "type": "object",
                "required": ["id", "openid", "reason", "status"],
                "properties": {
                    "id": {"type": "string"},
                    "openid": {"type": "string"},
                    "reason": {"enum": ["angry", "request_human", "unresolved", "complaint"]},
                    "status": {"enum": ["queued", "claimed", "closed"]},
                    "priority": {"type": "integer"},
                    "category": {"enum": ["投诉", "举报", "咨询"]},
                    "summary": {"type": "string"},
                    "anger": {"type": "number"},
                    "agent": {"type": "string"},
                    "waiting_seconds": {"type": "integer"},
                },
            },
        },
    },
    "security": [{"session": []}],
    "paths": {
        "/api/openapi.json": {
            "get": {
                "summary": "This document (no login: it holds no data)",
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/api/session": {
            "post": _op(
                "Log in",
                "200",
                {
                    "type": "object",
                    "required": ["agent_id", "password"],
                    "properties": {"agent_id": {"type": "string"}, "password": {"type": "string"}},
                },
                security=[],
                responses={
                    "200": {"description": "session cookie set; body has csrf_token"},
                    "401": _ERROR,
                    "429": _ERROR,
                },
            ),
            "get": _op("Who am I (and the CSRF token)", "200"),
            "delete": _op("Log out", "200", security=_CSRF),
        },
        "/api/tickets": {
            "get": _op(
                "List tickets",
                "200",
                parameters=[
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": ["queued", "claimed", "closed", "mine"]},
                    }
                ],
            ),
        },
        "/api/tickets/{id}": {
            "get": _op(
                "One ticket: transcript, details, history, messages, send window",
                "200",
                parameters=[_TICKET_ID],
            )
        },
        "/api/tickets/{id}/claim": {
            "post": _op(
                "Claim (atomic; 409 when someone else won)", "200", parameters=[_TICKET_ID], security=_CSRF
            )
        },
        "/api/tickets/{id}/reply": {
            "post": _op(
                "Reply to the citizen through WeChat's customer-service API",
                "202",
                {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "maxLength": 600}},
                },
                parameters=[_TICKET_ID],
                security=_CSRF,
            )
        },
        "/api/tickets/{id}/close": {
            "post": _op(
                "Close with a resolution code; the bot takes over again",
                "200",
                {
                    "type": "object",
                    "required": ["resolution"],
                    "properties": {
                        "resolution": {
                            "enum": [
                                "resolved",
                                "complaint_registered",
                                "transferred_offline",
                                "no_response",
                                "invalid",
                            ]
                        }
                    },
                },
                parameters=[_TICKET_ID],
                security=_CSRF,
            )
        },
        "/api/tickets/{id}/transfer": {
            "post": _op(
                "Hand a claimed ticket to another agent",
                "200",
                {"type": "object", "required": ["agent_id"], "properties": {"agent_id": {"type": "string"}}},
                parameters=[_TICKET_ID],
                security=_CSRF,
            )
        },
        "/api/canned": {"get": _op("Canned replies and resolution codes", "200")},
        "/api/agents": {"get": _op("Agents who take tickets (supervisors also see what each holds)", "200")},
        "/api/overview": {"get": _op("Supervisor: queue length, longest wait, alerts", "200")},
        "/api/events": {"get": _op("Server-sent events: one `ticket` event per change", "200")},
        "/api/tickets/{id}/correction": {
            "post": _op(
                "An agent marks what the citizen really wanted (for the maintainers' not-understood page)",
                "200",
                {
                    "type": "object",
                    "required": ["intent"],
                    "properties": {"intent": {"type": "string"}, "text": {"type": "string"}},
                },
                parameters=[_TICKET_ID],
                security=_CSRF,
            )
        },
        "/api/content": {
            "get": _op("Maintainers: every published section, with the citizen's preview", "200")
        },
        "/api/content/preview": {
            "post": _op(
                "The message a citizen would get from a draft (validated, not saved)",
                "200",
                {"type": "object", "required": ["section", "value"]},
                security=_CSRF,
            )
        },
        "/api/content/{section}": {
            "put": _op(
                "Publish an answer (booking, booking_result, pickup); 400 names a bad field",
                "200",
                {"type": "object", "required": ["text"]},
                parameters=[_SECTION],
                security=_CSRF,
            )
        },
        "/api/content/announcements/{id}": {
            "put": _op(
                "Create or replace an announcement; 400 names a bad field",
                "200",
                {"type": "object", "required": ["title", "text", "published"]},
                parameters=[_ITEM_ID],
                security=_CSRF,
            ),
            "delete": _op(
                "Remove an announcement (undoable from the history)",
                "200",
                parameters=[_ITEM_ID],
                security=_CSRF,
            ),
        },
        "/api/content/announcements/{id}/audience": {
            "get": _op(
                "How many citizens a notice would reach (asked about its topic in 48 h, within quota)",
                "200",
                parameters=[_ITEM_ID],
            )
        },
        "/api/content/announcements/{id}/notify": {
            "post": _op(
                "Notify that audience through the outbox, once each",
                "200",
                parameters=[_ITEM_ID],
                security=_CSRF,
            )
        },
        "/api/content/history": {"get": _op("The audit trail: who, when, before, after", "200")},
        "/api/content/history/{change}/rollback": {
            "post": _op("Undo one change", "200", parameters=[_CHANGE_ID], security=_CSRF)
        },
        "/api/misunderstood": {"get": _op("What the bot did not understand, grouped and counted", "200")},
        "/api/misunderstood/{key}/label": {
            "post": _op(
                "Label a group's examples with an intent",
                "200",
                {"type": "object", "required": ["intent", "texts"]},
                parameters=[_GROUP_KEY],
                security=_CSRF,
            )
        },
        "/api/misunderstood/export.yml": {"get": _op("The labelled examples as Rasa NLU YAML", "200")},
        "/api/report": {
            "get": _op(
                "Supervisor: the daily hot-spot report's sections as JSON (default: yesterday)",
                "200",
                parameters=[{"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}}],
            )
        },
        "/api/report/{date}/{chart}.png": {
            "get": _op(
                "Supervisor: one chart of the daily report",
                "200",
                parameters=[
                    {"name": "date", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "chart", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
            )
        },
    },
}


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(SPEC)
