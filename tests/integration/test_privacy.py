"""A citizen's phone and ID numbers are whole only for the agent who holds the ticket (and supervisors); the
queue, other agents, the maintainers' lists and the exports see them masked."""

from __future__ import annotations

from bot.core.tickets import Reason
from bot.storage.agents import Role
from bot.storage.tickets import TicketStore
from tests.integration.conftest import World
from tests.integration.desk import add_agent, agent_client

PHONE, ID = "13812345678", "110101199003071234"
SAID = f"我的电话{PHONE}，身份证{ID}，预约一直失败"


async def test_numbers_are_masked_except_for_the_agent_holding_the_ticket(world: World) -> None:
    opened = await TicketStore(world.redis).open(
        "o_pii", "s-pii", Reason.REQUEST_HUMAN, priority=3, category="咨询", summary=SAID, live=True,
        transcript=[{"who": "citizen", "text": SAID, "at": 1.0}], details={"phone": PHONE},
    )  # fmt: skip
    for agent_id, role in (("5961", Role.AGENT), ("5962", Role.AGENT), ("5963", Role.SUPERVISOR)):
        await add_agent(world.redis, agent_id, role)
    async with world.gateway() as url:
        base = url.removesuffix("/wechat")
        async with agent_client(base) as holder, agent_client(base) as other, agent_client(base) as boss:
            for client, agent_id in ((holder, "5961"), (other, "5962"), (boss, "5963")):
                assert (await client.login(agent_id))[0] == 200
            _, listed = await other.call("GET", "/api/tickets?status=queued")
            [card] = [t for t in listed["tickets"] if t["id"] == opened.number]
            assert PHONE not in card["summary"] and "138****5678" in card["summary"]
            assert (await holder.call("POST", f"/api/tickets/{opened.number}/claim"))[0] == 200
            seen_by_holder = await holder.ticket(opened.number)
            seen_by_other = await other.ticket(opened.number)
            seen_by_boss = await boss.ticket(opened.number)
    assert PHONE in seen_by_holder["summary"] and ID in seen_by_holder["transcript"][0]["text"]
    assert PHONE in seen_by_boss["summary"]
    shown = str({k: seen_by_other[k] for k in ("summary", "transcript", "details")})
    assert PHONE not in shown and ID not in shown and "110101********1234" in shown
