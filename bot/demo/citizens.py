"""Demo citizens: each a WeChat push simulator playing its plan through the gateway, one message at a time,
with WeChat's CreateTime set to the simulated moment and the signature to now."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import aiohttp

from bot.demo.day import Day
from bot.demo.plans import Intake, Plan, Say
from bot.wechat.simulator import WeChatSimulator, event_push, media_push, text_push

log = logging.getLogger(__name__)

# The intake form's questions (domain.yml), found in the bot's reply: the citizen answers what is asked.
QUESTIONS = (
    ("done", "工单号"),
    ("confirm", "请核对"),
    ("what", "发生了什么"),
    ("shop", "商家或店铺名称"),
    ("address", "地址或大致位置"),
    ("price", "价格是多少"),
    ("time", "什么时候发生"),
)
FORM_ORDER = ("what", "shop", "address", "price", "time", "confirm")
MAX_FORM_TURNS = 10  # six questions and a few repeats; corrections are not played
# A citizen whose answer was deferred waits for it a moment before writing again: the system is behind.
DEFERRED_PAUSE = 2.0


@dataclass
class Tally:
    """What the citizens sent and how WeChat was answered."""

    sent: int = 0
    passive: int = 0  # answered in the HTTP response (passive reply)
    deferred: int = 0  # `success`: the answer follows through the customer-service API (outbox)
    to_agent: int = 0  # written to an agent: `success`, the agent answers from the console
    ratings: int = 0
    images: int = 0
    forms_confirmed: int = 0
    forms_left: int = 0  # intakes left unconfirmed: the gateway files them after COMPLAINT_IDLE_SECONDS
    failed: int = 0  # refused, or no answer to three deliveries


def asked_in(reply: str | None) -> str | None:
    """Which question of the intake form the bot's reply asks (None: none, or the answer was deferred)."""
    for question, mark in QUESTIONS:
        if reply and mark in reply:
            return question
    return None


def next_question(reply: str | None, given: list[str]) -> str | None:
    """The question to answer next: the one the reply asks; when the answer was deferred (it comes later
    through the outbox), the form's next one, and after the confirmation nothing is left: it is filed."""
    if reply is not None:
        return asked_in(reply)
    return next((q for q in FORM_ORDER if q not in given), "done")


class Citizen:
    def __init__(self, plan: Plan, simulator: WeChatSimulator, day: Day, tally: Tally) -> None:
        self.plan = plan
        self.simulator = simulator
        self.day = day
        self.tally = tally
        self.clock = 0  # CreateTime of the last message sent
        self.lock = asyncio.Lock()  # one citizen's messages strictly in order
        self.done = asyncio.Event()  # the script is played: agents may now take the citizen's ticket
        self.deferred_at = float("-inf")  # monotonic time of the last answer deferred to the outbox

    def settled(self, seconds: float) -> bool:
        """No deferred message of this citizen's may still be waiting for the bot: an agent can take over."""
        return time.monotonic() - self.deferred_at >= seconds

    @property
    def openid(self) -> str:
        return self.simulator.openid

    async def play(self, session: aiohttp.ClientSession, slots: asyncio.Semaphore) -> None:
        try:
            async with slots:
                for part in self.plan.parts:
                    if isinstance(part, Intake):
                        await self.complain(session, part)
                    else:
                        await self.send(session, part)
        except Exception:  # one citizen's failure must not end the demo's day
            log.exception("citizen %s stopped", self.openid)
            self.tally.failed += 1
        finally:
            self.done.set()

    async def complain(self, session: aiohttp.ClientSession, intake: Intake) -> None:
        """The intake form: each question answered as asked; a citizen who leaves stops before confirming."""
        reply = await self.send(session, intake.opener)
        if reply is not None and asked_in(reply) is None:
            return  # the bot did not take it as a complaint: the citizen does not insist
        given: list[str] = []
        for turn in range(MAX_FORM_TURNS):
            if intake.image_after == len(given):
                await self.send(
                    session, Say("image", f"DEMO_MEDIA_{self.plan.index}_{turn}", intake.gaps[-1])
                )
            asked = next_question(reply, given)
            if asked is None:  # the bot answered something else: the form has ended
                return
            if asked == "done":
                self.tally.forms_confirmed += 1
                return
            if intake.confirm is None and (asked == "confirm" or len(given) >= intake.leave_after):
                self.tally.forms_left += 1
                return
            answer = intake.confirm if asked == "confirm" else intake.answers[asked]
            reply = await self.send(session, Say("text", answer or "确认", intake.gaps[turn]))
            given.append(asked)

    async def to_agent(self, session: aiohttp.ClientSession, slots: asyncio.Semaphore, say: Say) -> None:
        async with slots:
            await self.send(session, say, to_agent=True)

    async def rate(self, session: aiohttp.ClientSession, slots: asyncio.Semaphore, say: Say) -> None:
        async with slots:
            await self.send(session, say)
        self.tally.ratings += 1

    async def send(self, session: aiohttp.ClientSession, say: Say, to_agent: bool = False) -> str | None:
        """Deliver one message as WeChat would; the bot's passive reply, or None for `success`."""
        async with self.lock:
            self.clock = self.plan.start if self.clock == 0 else self.day.later(self.clock, say.gap)
            try:
                delivery = await self.simulator.deliver(session, self.push(say))
            except (aiohttp.ClientError, RuntimeError) as exc:
                log.warning("push from %s refused: %s", self.openid, exc)
                self.tally.failed += 1
                return None
        self.tally.sent += 1
        self.tally.images += say.kind == "image"
        if delivery.reply is not None:
            self.tally.passive += 1
        elif all(status is None for status in delivery.statuses):
            self.tally.failed += 1  # every delivery timed out: WeChat would show the citizen an error
        elif to_agent:
            self.tally.to_agent += 1
        else:
            self.tally.deferred += 1
            self.deferred_at = time.monotonic()
            await asyncio.sleep(DEFERRED_PAUSE)
        return delivery.reply

    def push(self, say: Say) -> str:
        openid, account, at = self.openid, self.simulator.account, self.clock
        if say.kind == "text":
            return text_push(openid, account, say.value, create_time=at)
        if say.kind == "image":
            return media_push(openid, account, "image", say.value, create_time=at)
        if say.kind == "click":
            return event_push(openid, account, "CLICK", say.value, create_time=at)
        if say.kind == "subscribe":
            return event_push(openid, account, "subscribe", say.value or None, create_time=at)
        raise ValueError(f"unknown message kind {say.kind}")
