"""`python -m bot agents add|list|disable`: agent accounts in the running system's Redis."""

from __future__ import annotations

import asyncio
import getpass
import os
import secrets
import sys

import redis.asyncio as aioredis

from bot.storage.agents import AgentExists, AgentStore, Role
from bot.storage.redis import cli_redis_url

DEMO_AGENT = "5001"


async def _with_store(url: str, work: str, **kwargs: str) -> int:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    store = AgentStore(client)
    try:
        if work == "list":
            for agent in await store.all():
                state = "停用" if agent.disabled else "在用"
                print(f"{agent.agent_id}\t{agent.name}\t{agent.role.value}\t{state}")
            return 0
        if work == "disable":
            if not await store.disable(kwargs["agent_id"]):
                print(f"no agent {kwargs['agent_id']}", file=sys.stderr)
                return 1
            print(f"disabled {kwargs['agent_id']}; their sessions end now")
            return 0
        await store.add(kwargs["agent_id"], kwargs["name"], Role(kwargs["role"]), kwargs["password"])
        print(f"added {kwargs['agent_id']} ({kwargs['role']})")
        return 0
    except AgentExists as exc:
        print(f"agent {exc} exists already", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.aclose()


def agents_command(action: str, agent_id: str | None, name: str | None, role: str) -> int:
    url = cli_redis_url()
    if url is None:
        return 2
    if action == "list":
        return asyncio.run(_with_store(url, "list"))
    if not agent_id:
        print("give the agent's 工号, e.g. 5002", file=sys.stderr)
        return 2
    if action == "disable":
        return asyncio.run(_with_store(url, "disable", agent_id=agent_id))
    password = os.environ.get("AGENT_PASSWORD") or getpass.getpass(f"password for {agent_id}: ")
    return asyncio.run(
        _with_store(url, "add", agent_id=agent_id, name=name or agent_id, role=role, password=password)
    )


async def ensure_demo_agent(url: str, password: str | None) -> str:
    """`make run`'s demo agent 5001 (a supervisor, to see every view): CONSOLE_DEMO_PASSWORD or a new
    random password, which the caller prints."""
    chosen = password or secrets.token_urlsafe(9)
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        await AgentStore(client).add(DEMO_AGENT, "演示坐席", Role.SUPERVISOR, chosen, replace=True)
    finally:
        await client.aclose()
    return chosen
