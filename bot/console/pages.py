"""The console's HTML pages: shells rendered with autoescaped Jinja2; the data comes from the JSON API and
is put into the page with textContent only, so a citizen's `<script>` stays text."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from bot.appkeys import AGENTS
from bot.console.security import COOKIE, SESSION, Can, can, requires
from bot.core.misunderstood import INTENT_NAMES, INTENTS

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
)


def _html(name: str, **context: object) -> web.Response:
    return web.Response(text=templates.get_template(name).render(**context), content_type="text/html")


async def login_page(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE, "")
    if token and await request.app[AGENTS].session(token) is not None:
        raise web.HTTPFound("/console")
    return _html("login.html")


@requires(page=True)
async def console_page(request: web.Request) -> web.Response:
    session = request[SESSION]
    return _html(
        "console.html",
        agent=session.agent,
        csrf=session.csrf,
        works=can(session, Can.WORK_TICKETS),
        supervises=can(session, Can.SUPERVISE),
        maintains=can(session, Can.MAINTAIN_CONTENT),
        intents=[(i, f"{INTENT_NAMES[i]}（{i}）") for i in INTENTS],
    )


@requires(Can.MAINTAIN_CONTENT, page=True)
async def content_page(request: web.Request) -> web.Response:
    session = request[SESSION]
    return _html("content.html", agent=session.agent, csrf=session.csrf)


@requires(Can.MAINTAIN_CONTENT, page=True)
async def misunderstood_page(request: web.Request) -> web.Response:
    session = request[SESSION]
    return _html("misunderstood.html", agent=session.agent, csrf=session.csrf)
