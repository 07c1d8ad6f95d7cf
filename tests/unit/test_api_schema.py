"""The console's API against its OpenAPI document, with schemathesis: every documented operation refuses a
caller without a session, none answers a 5xx to a logged-in supervisor whatever the input, and the document
lists every route the app really serves. The gateway runs in a thread with a real Redis (Rasa unreachable).

SCHEMA_EXAMPLES (default 15 a operation in `make test`; `make faults` runs more).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar

import pytest
import redis.asyncio as aioredis
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings

from bot.app import create_app
from bot.console.openapi import SPEC
from bot.settings import load_settings
from bot.storage.agents import AgentStore, Role
from bot.storage.embedded import EmbeddedRedis, free_port

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "15"))
PASSWORD = "schema-check-12315"
PUBLIC = {("GET", "/api/openapi.json"), ("POST", "/api/session")}
# The event stream stays open for as long as the console does: checked on its own below.
schema = schemathesis.openapi.from_dict(SPEC).exclude(path="/api/events")


class Gateway:
    def __init__(self, base: str, app: web.Application) -> None:
        self.base = base
        self.app = app
        self.cookie = ""
        self.csrf = ""


@pytest.fixture(scope="module")
def gateway(redis_server: EmbeddedRedis) -> Iterator[Gateway]:
    port = free_port()
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/13"
    settings_ = load_settings({
        "BOT_ENV": "development", "REDIS_URL": redis_url, "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "RASA_TIMEOUT": "1",
    })  # fmt: skip

    async def add_supervisor() -> None:
        client = aioredis.Redis.from_url(redis_url, decode_responses=True)
        await client.flushdb()
        await AgentStore(client).add("5999", "督导", Role.SUPERVISOR, PASSWORD, replace=True)
        await client.aclose()

    asyncio.run(add_supervisor())
    loop = asyncio.new_event_loop()
    app = create_app(settings_)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    found = Gateway(f"http://127.0.0.1:{port}", app)
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = json.dumps({"agent_id": "5999", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{found.base}/api/session", data=login, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with opener.open(request, timeout=10) as response:
        found.csrf = json.loads(response.read())["csrf_token"]
    found.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    yield found
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_without_a_session(case: schemathesis.Case, gateway: Gateway) -> None:
    response = case.call(base_url=gateway.base, headers={"Cookie": ""})
    if case.method.lower() not in SPEC["paths"][case.path]:  # schemathesis tries other methods too
        assert response.status_code in (401, 405)  # 401: another route of that shape, still refusing
    elif (case.method.upper(), case.path) in PUBLIC:
        assert response.status_code < 500
    else:
        assert response.status_code == 401, (case.method, case.path, response.status_code)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_5xx_to_a_supervisor(case: schemathesis.Case, gateway: Gateway) -> None:
    if (case.method.upper(), case.path) == ("DELETE", "/api/session"):
        return  # logging out would end the session the other cases use
    response = case.call(
        base_url=gateway.base, headers={"Cookie": gateway.cookie, "X-CSRF-Token": gateway.csrf}
    )
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_document_lists_every_api_route_the_app_serves(gateway: Gateway) -> None:
    served = {
        (route.method, _shape(route.resource.canonical))
        for route in gateway.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api")
        and route.method != "HEAD"
    }
    documented = {(method.upper(), _shape(path)) for path, ops in SPEC["paths"].items() for method in ops}
    assert served == documented


def test_the_event_stream_needs_a_session_too(gateway: Gateway) -> None:
    try:
        urllib.request.urlopen(f"{gateway.base}/api/events", timeout=10)
    except urllib.error.HTTPError as refused:
        assert refused.code == 401
    else:
        raise AssertionError("the event stream answered without a session")
