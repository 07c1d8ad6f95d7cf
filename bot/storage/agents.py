"""Agent accounts, console sessions, login throttling and presence, in Redis."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis

from bot.core.passwords import hash_password, verify_password
from bot.storage import keys
from bot.storage.decode import as_text

SESSION_TTL = 12 * 3600  # one shift and a margin
MAX_FAILURES = 5  # per agent id ...
MAX_FAILURES_PER_ADDRESS = 50  # ... and per client address (a whole centre may share one NAT address) ...
LOCKOUT_SECONDS = 15 * 60  # ... within this window, after which logins are refused until it passes
ONLINE_SECONDS = 60  # an agent whose console sent no heartbeat for this long is not counted online


class Role(StrEnum):
    AGENT = "agent"
    MAINTAINER = "maintainer"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    role: Role
    disabled: bool


@dataclass(frozen=True)
class Session:
    agent: Agent
    csrf: str


class AgentExists(ValueError):
    pass


class AgentStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def add(self, agent_id: str, name: str, role: Role, password: str, replace: bool = False) -> Agent:
        if not agent_id.isdigit():
            raise ValueError("工号 must be digits, e.g. 5001")
        if len(password) < 8:
            raise ValueError("a password needs at least 8 characters")
        if not replace and await self._client.exists(keys.agent(agent_id)):
            raise AgentExists(agent_id)
        encoded = await asyncio.to_thread(hash_password, password)
        pipe = self._client.pipeline(transaction=True)
        pipe.hset(
            keys.agent(agent_id),
            mapping={"name": name, "role": role.value, "password": encoded, "disabled": 0,
                     "created_at": time.time()},
        )  # fmt: skip
        pipe.sadd(keys.agents(), agent_id)
        await pipe.execute()
        return Agent(agent_id, name, role, disabled=False)

    async def disable(self, agent_id: str) -> bool:
        if not await self._client.exists(keys.agent(agent_id)):
            return False
        await self._client.hset(keys.agent(agent_id), "disabled", 1)
        return True

    async def get(self, agent_id: str) -> Agent | None:
        return _agent(agent_id, as_text(await self._client.hgetall(keys.agent(agent_id))))

    async def get_many(self, agent_ids: list[str]) -> list[Agent]:
        """The agents that exist, in the order asked, in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        for agent_id in agent_ids:
            pipe.hgetall(keys.agent(agent_id))
        found = [_agent(i, as_text(raw)) for i, raw in zip(agent_ids, await pipe.execute(), strict=True)]
        return [a for a in found if a is not None]

    async def all(self) -> list[Agent]:
        return await self.get_many(sorted(str(i) for i in await self._client.smembers(keys.agents())))

    async def authenticate(self, agent_id: str, password: str, client: str) -> Agent | str | None:
        """The agent, None for a wrong id or password, or 'locked' after too many failures."""
        subjects = [f"id:{agent_id}", f"ip:{client}"]
        counts = [int(await self._client.get(keys.login_failures(s)) or 0) for s in subjects]
        if counts[0] >= MAX_FAILURES or counts[1] >= MAX_FAILURES_PER_ADDRESS:
            return "locked"
        raw = as_text(await self._client.hgetall(keys.agent(agent_id))) if agent_id.isdigit() else {}
        ok = bool(raw) and await asyncio.to_thread(verify_password, password, raw.get("password", ""))
        if not ok or raw.get("disabled") == "1":
            pipe = self._client.pipeline(transaction=True)
            for subject in subjects:
                pipe.incr(keys.login_failures(subject))
                pipe.expire(keys.login_failures(subject), LOCKOUT_SECONDS)
            await pipe.execute()
            return None
        await self._client.delete(keys.login_failures(subjects[0]))
        return Agent(agent_id, raw.get("name", ""), Role(raw.get("role", "agent")), disabled=False)

    # ---- sessions ------------------------------------------------------------------------------

    async def start_session(self, agent: Agent) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token). Only the token's digest is stored."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        key = keys.session(_digest(token))
        await self._client.hset(key, mapping={"agent_id": agent.agent_id, "csrf": csrf, "at": time.time()})
        await self._client.expire(key, SESSION_TTL)
        return token, csrf

    async def session(self, token: str) -> Session | None:
        raw = as_text(await self._client.hgetall(keys.session(_digest(token))))
        if not raw:
            return None
        agent = await self.get(raw["agent_id"])
        if agent is None or agent.disabled:  # disabling an agent ends their sessions at once
            return None
        return Session(agent, raw["csrf"])

    async def end_session(self, token: str) -> None:
        await self._client.delete(keys.session(_digest(token)))

    # ---- presence ------------------------------------------------------------------------------

    async def heartbeat(self, agent_id: str) -> None:
        await self._client.zadd(keys.agents_online(), {agent_id: time.time()})

    async def online(self) -> dict[str, float]:
        since = time.time() - ONLINE_SECONDS
        await self._client.zremrangebyscore(keys.agents_online(), 0, since)
        members: list[Any] = await self._client.zrange(keys.agents_online(), 0, -1, withscores=True)
        return {str(member): float(score) for member, score in members}


def _agent(agent_id: str, raw: dict[str, str]) -> Agent | None:
    if not raw:
        return None
    return Agent(agent_id, raw.get("name", ""), Role(raw.get("role", "agent")), raw.get("disabled") == "1")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
