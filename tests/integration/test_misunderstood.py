"""What the bot did not understand, through the whole stack: Rasa's event broker logs every message with its
intent and answering actions; the maintainers' page groups the real fallbacks, an agent's correction joins
them, a maintainer labels a group and the export is Rasa NLU YAML."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis
import yaml

from bot.launcher import Launcher
from bot.storage import keys
from bot.storage.agents import Role
from bot.storage.turnlog import Turn, TurnLog
from bot.wechat.simulator import WeChatSimulator
from tests.integration.desk import add_agent, agent_client

# Off-topic strings with no word of the catalog in them: the model has nothing to go on.
NONSENSE = ("zqxj vbnm wkrp", "zqxj vbnm wkrp zqxj", "qzx jvb nmw krp")


@pytest.fixture
async def redis_db0(stack: Launcher) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.redis_url, decode_responses=True)
    yield client
    await client.aclose()


def citizen(stack: Launcher) -> WeChatSimulator:
    token = stack.env.get("WECHAT_TOKEN") or "dev-token-12315"
    return WeChatSimulator(url=f"{stack.gateway_url}/wechat", token=token, openid=f"o_it_{uuid.uuid4().hex}")


async def _logged(client: aioredis.Redis, openid: str, count: int, since: float) -> list[Turn]:
    deadline = time.monotonic() + 20
    while True:
        turns = [t for t in await TurnLog(client).between(since, time.time() + 60) if t.sender == openid]
        if len(turns) >= count or time.monotonic() > deadline:
            return turns
        await asyncio.sleep(0.2)


async def test_every_message_is_logged_once_with_what_rasa_understood(
    stack: Launcher, redis_db0: aioredis.Redis, http: aiohttp.ClientSession
) -> None:
    since = time.time() - 5
    sim = citizen(stack)
    await sim.send_text(http, "口罩怎么预约")
    await sim.send_text(http, "人工")
    [booking, human] = await _logged(redis_db0, sim.openid, 2, since)
    assert (booking.text, booking.intent) == ("口罩怎么预约", "ask_mask_booking")
    assert booking.confidence > 0.5 and booking.actions and not booking.fell_back
    assert human.intent == "request_human"
    assert since <= booking.at <= time.time()  # the citizen's CreateTime
    # the tracker is written again (the handoff paused it): the message is not logged twice
    await asyncio.sleep(1)
    assert len(await _logged(redis_db0, sim.openid, 3, since)) == 2


async def test_the_page_groups_real_fallbacks_and_exports_rasa_yaml(
    stack: Launcher, redis_db0: aioredis.Redis, http: aiohttp.ClientSession
) -> None:
    since = time.time() - 5
    sim = citizen(stack)
    for text in NONSENSE:
        await sim.send_text(http, text)
    turns = await _logged(redis_db0, sim.openid, len(NONSENSE), since)
    missed = [t.text for t in turns if t.fell_back or t.confidence < 0.5]
    assert len(missed) >= 2, [(t.text, t.intent, t.confidence, t.actions) for t in turns]

    await add_agent(redis_db0, "5951", Role.MAINTAINER)
    await add_agent(redis_db0, "5952", Role.AGENT)
    async with agent_client(stack.gateway_url) as maintainer, agent_client(stack.gateway_url) as agent:
        assert (await maintainer.login("5951"))[0] == 200
        status, body = await maintainer.call("GET", "/api/misunderstood?days=1")
        assert status == 200
        [ours] = [g for g in body["groups"] if set(missed) & set(g["examples"])]
        # three fallbacks in a row also handed the citizen over as unresolved: each message counts once
        assert ours["count"] == len(NONSENSE) and set(ours["sources"]) <= {"fallback", "low_confidence"}
        assert set(missed) <= set(ours["examples"])  # similar wordings in one group

        status, labelled = await maintainer.call(
            "POST",
            f"/api/misunderstood/{ours['key']}/label",
            {"intent": "out_of_scope", "texts": ours["examples"]},
        )
        assert status == 200 and labelled["labelled"] == len(ours["examples"])
        assert (
            await maintainer.call(
                "POST", f"/api/misunderstood/{ours['key']}/label", {"intent": "x", "texts": ["a"]}
            )
        )[0] == 400
        async with maintainer.session.get(maintainer.base + "/api/misunderstood/export.yml") as response:
            assert response.status == 200
            exported = yaml.safe_load(await response.text())
        assert exported["version"] == "3.1"
        [block] = [b for b in exported["nlu"] if b["intent"] == "out_of_scope"]
        assert all(f"- {text}\n" in block["examples"] for text in missed)
        # agents take tickets and correct them; they do not label training data
        assert (await agent.login("5952"))[0] == 200
        assert (await agent.call("GET", "/api/misunderstood"))[0] == 403
    await redis_db0.delete(keys.nlu_labelled(), keys.nlu_group_labels())


async def test_an_agents_correction_reaches_the_maintainers(
    stack: Launcher, redis_db0: aioredis.Redis, http: aiohttp.ClientSession
) -> None:
    sim = citizen(stack)
    reply = await sim.send_text(http, "转人工")
    assert reply and "工单号" in reply
    number = str(await redis_db0.hget(keys.mode(sim.openid), "ticket"))
    await add_agent(redis_db0, "5953", Role.AGENT)
    await add_agent(redis_db0, "5954", Role.MAINTAINER)
    wanted = f"我想问口罩能不能邮寄到家{uuid.uuid4().hex[:4]}"
    async with agent_client(stack.gateway_url) as agent, agent_client(stack.gateway_url) as maintainer:
        assert (await agent.login("5953"))[0] == 200
        status, body = await agent.call("POST", f"/api/tickets/{number}/correction", {"intent": "nope"})
        assert status == 400
        status, body = await agent.call(
            "POST", f"/api/tickets/{number}/correction", {"intent": "ask_mask_pickup", "text": wanted}
        )
        assert (status, body["intent"]) == (200, "ask_mask_pickup")
        assert (await maintainer.login("5954"))[0] == 200
        _, listed = await maintainer.call("GET", "/api/misunderstood?days=1")
    [mine] = [g for g in listed["groups"] if wanted in g["examples"]]
    assert mine["corrected"] == "ask_mask_pickup" and mine["sources"].get("correction") == 1
    await agent_close(stack, number)


async def agent_close(stack: Launcher, number: str) -> None:
    """Leave the shared stack's queue as it was: the ticket is closed by its agent."""
    async with agent_client(stack.gateway_url) as agent:
        await agent.login("5953")
        await agent.call("POST", f"/api/tickets/{number}/claim")
        await agent.call("POST", f"/api/tickets/{number}/close", {"resolution": "invalid"})
