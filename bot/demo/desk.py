"""The demo's agents at work: they watch the queue through the console's API and take each ticket of the
demo's citizens once that citizen has finished writing, doing with it what the citizen's plan says (leave it
queued, answer it and keep it, close it, or transfer and close it). After a close the citizen is asked for a
rating, and most answer through the gateway."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.demo import replies
from bot.demo.agents import AgentClient
from bot.demo.citizens import Citizen
from bot.demo.plans import Fate

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
HEAR_SECONDS = 30.0
# A citizen's message deferred in a rush is worked later; one still waiting when an agent closes the ticket
# would cancel the rating question. Agents leave such a citizen's ticket this long after the deferral.
DEFERRED_SETTLE_SECONDS = 15.0


@dataclass
class DeskTally:
    opened: set[str] = field(default_factory=set)  # the demo's tickets seen in the queue
    claimed: int = 0
    closed: int = 0
    transferred: int = 0
    in_progress: int = 0  # claimed and answered, left open
    left_queued: int = 0
    taken_elsewhere: int = 0  # someone at the console was faster
    failed: int = 0


class Desk:
    def __init__(
        self,
        agents: list[AgentClient],
        citizens: dict[str, Citizen],
        session: aiohttp.ClientSession,
        slots: asyncio.Semaphore,
    ) -> None:
        self.agents = agents
        self.citizens = citizens
        self.session = session
        self.slots = slots
        self.tally = DeskTally()

    async def run(self, citizens_done: asyncio.Event, settle: float) -> None:
        """Work tickets until the citizens are done and no new ticket of theirs came for `settle` seconds
        (complaints left unconfirmed are filed by the gateway a while after their citizen stopped)."""
        work: list[asyncio.Task[None]] = []
        quiet_since: float | None = None
        while True:
            new = [
                (card, self.citizens[card["openid"]])
                for card in await self.agents[0].queued()
                if card["id"] not in self.tally.opened and card["openid"] in self.citizens
            ]
            for card, citizen in new:
                if citizen.done.is_set() and citizen.settled(DEFERRED_SETTLE_SECONDS):
                    self.tally.opened.add(card["id"])
                    work.append(asyncio.create_task(self.work(card["id"], citizen)))
            if citizens_done.is_set():
                if new or quiet_since is None:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= settle:
                    break
            await asyncio.sleep(POLL_SECONDS)
        await asyncio.gather(*work)

    async def work(self, number: str, citizen: Citizen) -> None:
        try:
            await self._work(number, citizen)
        except Exception:  # one ticket's trouble must not end the demo's day
            log.exception("ticket %s", number)
            self.tally.failed += 1

    async def _work(self, number: str, citizen: Citizen) -> None:
        plan = citizen.plan.desk
        if plan.fate is Fate.QUEUED:
            self.tally.left_queued += 1
            return
        agent = self.agents[plan.agent]
        if not await agent.claim(number):
            self.tally.taken_elsewhere += 1
            return
        self.tally.claimed += 1
        ticket = await agent.ticket(number)
        if plan.fate is Fate.TRANSFERRED:
            target = self.agents[plan.transfer_to]
            await agent.reply(number, replies.TRANSFER_NOTE.format(target=target.agent_id))
            if await agent.transfer(number, target.agent_id):
                self.tally.transferred += 1
                agent = target
        ticket = await self.converse(agent, number, ticket, citizen)
        if plan.fate is Fate.CLAIMED:
            self.tally.in_progress += 1
            return
        resolution = replies.resolution(ticket, plan.roll, citizen_wrote=bool(plan.to_agent))
        if not await agent.close_ticket(number, resolution):
            self.tally.failed += 1
            return
        self.tally.closed += 1
        if plan.rating is not None:
            await citizen.rate(self.session, self.slots, plan.rating)

    async def converse(
        self, agent: AgentClient, number: str, ticket: dict[str, Any], citizen: Citizen
    ) -> dict[str, Any]:
        """The agent answers; the citizen writes back (their words reach the agent, not the bot). Returns
        the ticket as the agent last read it."""
        lines = citizen.plan.desk.to_agent
        first = replies.opening(ticket, agent.agent_id)
        if not lines:  # one message: the citizen's customer-service window allows only a few
            await agent.reply(number, first + replies.answer(ticket))
            return ticket
        await agent.reply(number, first)
        await citizen.to_agent(self.session, self.slots, lines[0])
        ticket = await self.heard(agent, number, lines[0].value) or ticket
        await agent.reply(number, replies.answer(ticket))
        for line in lines[1:]:
            await citizen.to_agent(self.session, self.slots, line)
            await self.heard(agent, number, line.value)
        if citizen.plan.desk.fate is not Fate.CLAIMED:
            await agent.reply(number, replies.FAREWELL)
        return ticket

    @staticmethod
    async def heard(agent: AgentClient, number: str, text: str) -> dict[str, Any]:
        """The ticket once the citizen's line is on it: the agent answers what they read. A line deferred
        in a rush arrives later; closing before it would let it cancel the rating question."""
        deadline = time.monotonic() + HEAR_SECONDS
        while True:
            ticket = await agent.ticket(number)
            lines = ticket.get("messages") or []
            if any(m.get("who") == "citizen" and m.get("text") == text for m in lines):
                return ticket
            if time.monotonic() > deadline:
                log.warning("ticket %s: the citizen's line did not arrive in %s s", number, HEAR_SECONDS)
                return ticket
            await asyncio.sleep(POLL_SECONDS)
