"""The demo's agents: their accounts (made through the real account store) and their use of the console's
JSON API, each with its own session cookie and CSRF token, as a browser would."""

from __future__ import annotations

from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bot.storage.agents import AgentStore, Role

DEMO_AGENTS = (("6001", "王晓燕"), ("6002", "李建国"), ("6003", "张敏"), ("6004", "刘洋"))
DEFAULT_PASSWORD = "demo-12315"  # DEMO_AGENT_PASSWORD overrides it


class DemoError(RuntimeError):
    """The demo cannot go on (the system is not up, an account cannot log in); the message says why."""


async def ensure_agents(redis_url: str, password: str) -> list[str]:
    """Create the demo agents that do not exist yet; returns the ids created. Existing accounts are kept
    as they are (their password may have been changed on purpose)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    created = []
    try:
        store = AgentStore(client)
        for agent_id, name in DEMO_AGENTS:
            if await store.get(agent_id) is None:
                await store.add(agent_id, name, Role.AGENT, password)
                created.append(agent_id)
    except aioredis.RedisError as exc:
        raise DemoError(
            f"Redis {redis_url} 无法连接（{exc}）：请设置 REDIS_URL 为运行中系统的 Redis"
        ) from exc
    finally:
        await client.aclose()
    return created


class AgentClient:
    """One agent at the console: the API with a cookie jar of its own and the CSRF token on every change."""

    def __init__(self, base: str, agent_id: str) -> None:
        self.base = base
        self.agent_id = agent_id
        self.csrf = ""
        jar = aiohttp.CookieJar(unsafe=True)  # the console is often served on 127.0.0.1
        self.session = aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        await self.session.close()

    async def login(self, password: str) -> None:
        status, body = await self.call(
            "POST", "/api/session", {"agent_id": self.agent_id, "password": password}
        )
        if status != 200:
            raise DemoError(
                f"坐席 {self.agent_id} 登录失败（HTTP {status}：{body.get('message', '')}）。"
                "该工号已存在但密码不同时，请设置 DEMO_AGENT_PASSWORD 为它的密码"
            )
        self.csrf = str(body.get("csrf_token") or "")

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"X-CSRF-Token": self.csrf} if self.csrf and method != "GET" else {}
        async with self.session.request(method, self.base + path, json=body, headers=headers) as response:
            found = await response.json(content_type=None)
            return response.status, found if isinstance(found, dict) else {}

    async def queued(self) -> list[dict[str, Any]]:
        status, body = await self.call("GET", "/api/tickets?status=queued")
        return list(body.get("tickets") or []) if status == 200 else []

    async def ticket(self, number: str) -> dict[str, Any]:
        status, body = await self.call("GET", f"/api/tickets/{number}")
        return body if status == 200 else {}

    async def claim(self, number: str) -> bool:
        return (await self.call("POST", f"/api/tickets/{number}/claim"))[0] == 200

    async def reply(self, number: str, text: str) -> bool:
        return (await self.call("POST", f"/api/tickets/{number}/reply", {"text": text}))[0] == 202

    async def transfer(self, number: str, to_agent: str) -> bool:
        return (await self.call("POST", f"/api/tickets/{number}/transfer", {"agent_id": to_agent}))[0] == 200

    async def close_ticket(self, number: str, resolution: str) -> bool:
        path = f"/api/tickets/{number}/close"
        return (await self.call("POST", path, {"resolution": resolution}))[0] == 200
