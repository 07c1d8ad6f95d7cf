"""Routes of the console and its API."""

from __future__ import annotations

from aiohttp import web

from bot.console import api, events, pages
from bot.console.content import add_content_routes
from bot.console.misunderstood import add_misunderstood_routes
from bot.console.openapi import openapi
from bot.console.report import add_report_routes


def add_console(app: web.Application) -> None:
    r = app.router
    r.add_get("/console", pages.console_page)
    r.add_get("/console/login", pages.login_page)
    r.add_get("/console/content", pages.content_page)
    r.add_get("/console/misunderstood", pages.misunderstood_page)
    r.add_static("/console/static", pages.STATIC)
    r.add_get("/api/openapi.json", openapi)
    r.add_post("/api/session", api.login)
    r.add_get("/api/session", api.whoami)
    r.add_delete("/api/session", api.logout)
    r.add_get("/api/tickets", api.list_tickets)
    r.add_get("/api/tickets/{number}", api.get_ticket)
    r.add_post("/api/tickets/{number}/claim", api.claim)
    r.add_post("/api/tickets/{number}/reply", api.reply)
    r.add_post("/api/tickets/{number}/close", api.close)
    r.add_post("/api/tickets/{number}/transfer", api.transfer)
    r.add_get("/api/canned", api.canned)
    r.add_get("/api/agents", api.list_agents)
    r.add_get("/api/overview", api.overview)
    r.add_get("/api/events", events.stream)
    add_report_routes(r)
    add_content_routes(r)
    add_misunderstood_routes(r)
    app.on_shutdown.append(events.close_streams)
