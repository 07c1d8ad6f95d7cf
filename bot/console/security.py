"""Sessions, roles, CSRF and security headers for the console and its API."""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from enum import StrEnum

from aiohttp import web

from bot.appkeys import AGENTS, SETTINGS
from bot.settings import Networks
from bot.storage.agents import Role, Session

COOKIE = "fd_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION = web.RequestKey("session", Session)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The simulator (development only) shows the picture a citizen picked from a blob: URL.
SIMULATOR_CSP = CSP.replace("img-src 'self'", "img-src 'self' blob:")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def forwarded_client(remote: str | None, real_ip: str | None, trusted: Networks) -> str:
    """The client's address: the proxy's X-Real-IP when the request came from a trusted proxy, else the
    peer's."""
    if remote and real_ip and trusted:
        try:
            peer, claimed = ipaddress.ip_address(remote), ipaddress.ip_address(real_ip.strip())
        except ValueError:
            return remote
        if any(peer in network for network in trusted):
            return str(claimed)
    return remote or "unknown"


def client_address(request: web.Request) -> str:
    trusted = request.app[SETTINGS].trusted_proxies
    return forwarded_client(request.remote, request.headers.get("X-Real-IP"), trusted)


class Can(StrEnum):
    """What a role may do."""

    WORK_TICKETS = "work_tickets"  # see the queue and tickets, claim, reply, close, transfer
    SUPERVISE = "supervise"  # all agents, waiting times, alerts; act on any agent's ticket
    MAINTAIN_CONTENT = "maintain_content"  # announcements and answers: edit, preview, roll back, notify


PERMISSIONS: dict[Role, frozenset[Can]] = {
    Role.AGENT: frozenset({Can.WORK_TICKETS}),
    # A supervisor may also publish (a centre's duty officer announces at night); a maintainer keeps the
    # content and the training data, and citizens' conversations are not theirs.
    Role.SUPERVISOR: frozenset({Can.WORK_TICKETS, Can.SUPERVISE, Can.MAINTAIN_CONTENT}),
    Role.MAINTAINER: frozenset({Can.MAINTAIN_CONTENT}),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(("/console", "/api")):
        response.headers.update(HEADERS)
    elif request.path.startswith("/simulator"):
        response.headers.update(HEADERS | {"Content-Security-Policy": SIMULATOR_CSP})
    return response


def error(http_status: int, code: str, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": code, "message": message} | extra, status=http_status)


class Refusal(Exception):
    """Raised by a handler's helpers; answered as a JSON error by `requires`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.response = error(status, code, message)


def requires(*needed: Can, page: bool = False) -> Callable[[Handler], Handler]:
    """A handler for logged-in agents with these permissions; state-changing calls need the CSRF token.

    `page`: an HTML page, which sends the browser to the login page instead of answering 401.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            token = request.cookies.get(COOKIE, "")
            session = await request.app[AGENTS].session(token) if token else None
            if session is None:
                if page:
                    raise web.HTTPFound("/console/login")
                return error(401, "login_required", "请先登录")
            if request.method not in ("GET", "HEAD") and not hmac.compare_digest(
                request.headers.get(CSRF_HEADER, ""), session.csrf
            ):
                return error(403, "csrf", "请求校验失败，请刷新页面后重试")
            if not set(needed) <= PERMISSIONS[session.agent.role]:
                return error(403, "forbidden", "您的角色无权进行此操作")
            request[SESSION] = session
            try:
                return await handler(request)
            except Refusal as refusal:
                return refusal.response

        return checked

    return decorate


def can(session: Session, permission: Can) -> bool:
    return permission in PERMISSIONS[session.agent.role]
