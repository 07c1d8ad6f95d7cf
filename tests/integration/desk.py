"""Helpers for tests of the help desk: agent accounts, and an API client with its own session cookie."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bot.storage.agents import AgentStore, Role

PASSWORD = "correct-horse-12315"


async def add_agent(client: aioredis.Redis, agent_id: str, role: Role = Role.AGENT) -> None:
    await AgentStore(client).add(agent_id, f"坐席{agent_id}", role, PASSWORD, replace=True)


class AgentClient:
    """One agent's browser-less use of the API: a cookie jar of its own, the CSRF token on every change."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base
        self.session = session
        self.csrf = ""

    async def login(self, agent_id: str, password: str = PASSWORD) -> tuple[int, dict[str, Any]]:
        status, body = await self.call("POST", "/api/session", {"agent_id": agent_id, "password": password})
        self.csrf = body.get("csrf_token", "")
        return status, body

    async def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, csrf: bool = True
    ) -> tuple[int, dict[str, Any]]:
        headers = {"X-CSRF-Token": self.csrf} if csrf and self.csrf else {}
        async with self.session.request(method, self.base + path, json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    async def ticket(self, number: str) -> dict[str, Any]:
        status, body = await self.call("GET", f"/api/tickets/{number}")
        assert status == 200, body
        return body


@asynccontextmanager
async def agent_client(base: str) -> AsyncIterator[AgentClient]:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield AgentClient(base, session)


async def next_event(response: aiohttp.ClientResponse, kind: str, timeout: float = 20.0) -> dict[str, Any]:
    """Read a server-sent event stream until a `ticket` event of this type arrives."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = await asyncio.wait_for(response.content.readline(), deadline - time.monotonic())
        text = line.decode().strip()
        if text.startswith("data: "):
            event = json.loads(text[6:])
            if event.get("type") == kind:
                return dict(event)
    raise TimeoutError(f"no {kind} event")


async def wait_for(predicate: Any, timeout: float = 20.0) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)
