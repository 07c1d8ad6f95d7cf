"""Who may do what in the console's API: sessions, roles, CSRF, login throttling, headers, bad input."""

from __future__ import annotations

import aiohttp
import pytest

from bot.core.tickets import Reason
from bot.storage.agents import MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, AgentStore, Role
from bot.storage.tickets import TicketStore
from tests.integration.conftest import World
from tests.integration.desk import add_agent, agent_client

ROUTES = [
    ("GET", "/api/session"), ("DELETE", "/api/session"), ("GET", "/api/tickets?status=queued"),
    ("GET", "/api/tickets/12315-20261128-0001"), ("POST", "/api/tickets/12315-20261128-0001/claim"),
    ("POST", "/api/tickets/12315-20261128-0001/reply"), ("POST", "/api/tickets/12315-20261128-0001/close"),
    ("POST", "/api/tickets/12315-20261128-0001/transfer"), ("GET", "/api/canned"), ("GET", "/api/agents"),
    ("GET", "/api/overview"), ("GET", "/api/events"),
]  # fmt: skip


async def open_ticket(world: World, source: str = "s-1") -> str:
    opened = await TicketStore(world.redis).open(
        "o_sec", source, Reason.REQUEST_HUMAN, priority=3, category="咨询", summary="人工", live=True
    )
    return opened.number


async def test_nothing_without_a_session(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        for method, path in ROUTES:
            async with http.request(method, base + path, json={}) as response:
                assert response.status == 401, (method, path)
                assert (await response.json())["error"] == "login_required"
        async with http.get(base + "/console", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "/console/login"
        async with http.get(base + "/api/tickets", cookies={"fd_session": "forged"}) as response:
            assert response.status == 401


async def test_login_sets_a_strict_http_only_cookie_and_security_headers(world: World) -> None:
    await add_agent(world.redis, "5701")
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as agent:
        async with agent.session.post(
            agent.base + "/api/session", json={"agent_id": "5701", "password": "correct-horse-12315"}
        ) as response:
            assert response.status == 200
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
            csp = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        async with agent.session.get(agent.base + "/console/login") as response:
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_changes_need_the_csrf_token(world: World) -> None:
    await add_agent(world.redis, "5702")
    number = await open_ticket(world)
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as agent:
        await agent.login("5702")
        status, body = await agent.call("POST", f"/api/tickets/{number}/claim", csrf=False)
        assert (status, body["error"]) == (403, "csrf")
        agent.csrf = "wrong"
        assert (await agent.call("POST", f"/api/tickets/{number}/claim"))[0] == 403
        assert (await TicketStore(world.redis).get(number) or {})["status"] == "queued"


async def test_roles_limit_what_each_sees_and_does(world: World) -> None:
    await add_agent(world.redis, "5703")
    await add_agent(world.redis, "5704")
    await add_agent(world.redis, "5705", Role.MAINTAINER)
    await add_agent(world.redis, "5706", Role.SUPERVISOR)
    number = await open_ticket(world)
    base_of = world.gateway()
    async with base_of as url:
        base = url.removesuffix("/wechat")
        async with (
            agent_client(base) as a,
            agent_client(base) as b,
            agent_client(base) as m,
            agent_client(base) as s,
        ):
            for client, agent_id in ((a, "5703"), (b, "5704"), (m, "5705"), (s, "5706")):
                assert (await client.login(agent_id))[0] == 200
            # a maintainer sees no citizen's conversation
            assert (await m.call("GET", "/api/tickets?status=queued"))[0] == 403
            assert (await m.call("GET", f"/api/tickets/{number}"))[0] == 403
            assert (await m.call("POST", f"/api/tickets/{number}/claim"))[0] == 403
            # an agent is not a supervisor
            assert (await a.call("GET", "/api/overview"))[0] == 403
            assert (await s.call("GET", "/api/overview"))[0] == 200
            # only the holder replies or closes; a supervisor may step in
            assert (await a.call("POST", f"/api/tickets/{number}/claim"))[0] == 200
            status, body = await b.call("POST", f"/api/tickets/{number}/reply", {"text": "抢答"})
            assert (status, body["error"]) == (403, "not_holder")
            assert (await b.call("POST", f"/api/tickets/{number}/close", {"resolution": "resolved"}))[
                0
            ] == 403
            assert (await a.call("POST", f"/api/tickets/{number}/transfer", {"agent_id": "5705"}))[0] == 400
            assert (await a.call("POST", f"/api/tickets/{number}/transfer", {"agent_id": "5704"}))[0] == 200
            assert (await a.call("POST", f"/api/tickets/{number}/reply", {"text": "还是我"}))[0] == 403
            assert (await b.call("GET", "/api/tickets?status=mine"))[1]["tickets"][0]["id"] == number
            assert (await s.call("POST", f"/api/tickets/{number}/close", {"resolution": "resolved"}))[
                0
            ] == 200
            history = [h["what"] for h in (await s.ticket(number))["history"]]
            assert history == ["queued", "claimed", "transferred", "closed"]


async def test_login_attempts_are_limited_and_disabled_agents_are_logged_out(world: World) -> None:
    await add_agent(world.redis, "5707")
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as agent:
        for _ in range(MAX_FAILURES):
            assert (await agent.login("5707", "wrong-password"))[0] == 401
        status, body = await agent.login("5707")  # even the right password, until the window passes
        assert (status, body["error"]) == (429, "locked")
        await world.redis.flushdb()
        await add_agent(world.redis, "5707")
        assert (await agent.login("5707"))[0] == 200
        assert (await agent.call("GET", "/api/canned"))[0] == 200
        await AgentStore(world.redis).disable("5707")
        assert (await agent.call("GET", "/api/canned"))[0] == 401
        assert (await agent.login("5707"))[0] == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/api/tickets/{n}/reply", {"text": "   "}, 400, "empty"),
        ("POST", "/api/tickets/{n}/reply", {"text": "长" * 601}, 400, "too_long"),
        ("POST", "/api/tickets/{n}/reply", None, 400, "empty"),
        ("POST", "/api/tickets/{n}/close", {"resolution": "whatever"}, 400, "bad_resolution"),
        ("POST", "/api/tickets/{n}/close", {"resolution": "citizen_cancelled"}, 400, "bad_resolution"),
        ("POST", "/api/tickets/{n}/transfer", {"agent_id": "9999"}, 400, "bad_agent"),
        ("GET", "/api/tickets/12315-19990101-0001", None, 404, "not_found"),
        ("POST", "/api/tickets/nope/claim", None, 404, "not_found"),
        ("GET", "/api/tickets?status=everything", None, 400, "bad_status"),
    ],
)
async def test_bad_input_gets_a_clear_answer(
    world: World, method: str, path: str, body: dict[str, str] | None, status: int, error: str
) -> None:
    await add_agent(world.redis, "5708")
    number = await open_ticket(world)
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as agent:
        await agent.login("5708")
        await agent.call("POST", f"/api/tickets/{number}/claim")
        got, answer = await agent.call(method, path.format(n=number), body)
        assert (got, answer["error"]) == (status, error) and answer["message"]


async def test_login_with_malformed_bodies(world: World, http: aiohttp.ClientSession) -> None:
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        for data in (b"not json", b"[1, 2]", b'{"agent_id": "../../etc", "password": 1}'):
            async with http.post(base + "/api/session", data=data) as response:
                assert response.status == 401


async def test_the_api_is_described(world: World, http: aiohttp.ClientSession) -> None:
    async with (
        world.gateway() as url,
        http.get(url.removesuffix("/wechat") + "/api/openapi.json") as response,
    ):
        spec = await response.json()
    for path in ("/api/session", "/api/tickets", "/api/tickets/{id}", "/api/tickets/{id}/claim",
                 "/api/tickets/{id}/reply", "/api/tickets/{id}/close"):  # fmt: skip
        assert path in spec["paths"]
    assert set(spec["components"]["schemas"]["TicketCard"]["required"]) == {
        "id",
        "openid",
        "reason",
        "status",
    }


async def test_only_agents_and_supervisors_who_can_take_tickets_count_as_online(world: World) -> None:
    await add_agent(world.redis, "5801", Role.SUPERVISOR)
    await add_agent(world.redis, "5802")
    await add_agent(world.redis, "5803", Role.MAINTAINER)  # keeps the answers, takes no tickets
    await add_agent(world.redis, "5804")
    store = AgentStore(world.redis)
    await store.disable("5804")
    for agent_id in ("5801", "5802", "5803", "5804", "5899"):  # 5899: a heartbeat left by a deleted account
        await store.heartbeat(agent_id)
    async with world.gateway() as url, agent_client(url.removesuffix("/wechat")) as sup:
        await sup.login("5801")
        status, overview = await sup.call("GET", "/api/overview")
        assert (status, overview["agents_online"]) == (200, 2)
    assert [a.agent_id for a in await store.get_many(["5899", "5802", "5801"])] == ["5802", "5801"]


async def login_from(
    http: aiohttp.ClientSession, base: str, agent_id: str, password: str, address: str
) -> int:
    body = {"agent_id": agent_id, "password": password}
    async with http.post(f"{base}/api/session", json=body, headers={"X-Real-IP": address}) as response:
        return response.status


async def test_behind_a_trusted_proxy_one_address_failing_logins_locks_out_only_itself(
    world: World, http: aiohttp.ClientSession
) -> None:
    """Everyone behind nginx shares nginx's address: counted by it, one person's failures would lock the whole
    centre out. From a trusted proxy, X-Real-IP names the client; from anyone else it is not believed."""
    from tests.integration.desk import PASSWORD

    await add_agent(world.redis, "5708")
    async with world.gateway(TRUSTED_PROXIES="127.0.0.1") as url:
        base = url.removesuffix("/wechat")
        for number in range(
            MAX_FAILURES_PER_ADDRESS
        ):  # other ids each time: the address's limit, not an id's
            assert await login_from(http, base, f"9{number:03d}", "guess", "203.0.113.7") == 401
        assert await login_from(http, base, "5708", PASSWORD, "203.0.113.7") == 429
        assert await login_from(http, base, "5708", PASSWORD, "198.51.100.9") == 200  # the others still can
    await world.redis.flushdb()
    await add_agent(world.redis, "5708")
    async with world.gateway() as url:  # no trusted proxy: the header names nobody, the peer is counted
        base = url.removesuffix("/wechat")
        for number in range(MAX_FAILURES_PER_ADDRESS):
            assert await login_from(http, base, f"9{number:03d}", "guess", f"203.0.113.{number % 200}") == 401
        assert await login_from(http, base, "5708", PASSWORD, "198.51.100.9") == 429
