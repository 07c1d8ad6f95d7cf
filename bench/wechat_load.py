"""An open-loop load like WeChat's: signed pushes at a set rate, whatever the gateway's pace.

WeChat does not wait for one citizen's answer before delivering another citizen's message: pushes arrive at
the rate citizens send them. Each push is delivered as WeChat delivers it: a 5-second cut-off, then the same
push again, three deliveries in all; a delivery that gets a well-formed reply (a passive answer, or
`success`) ends it. What each push got is recorded for the report.

Citizens in a multi-turn conversation (a complaint given over the form's questions, a venting citizen who asks
for a person) send their next message a moment after the previous answer, as people do.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field

import aiohttp

from bench.catalog import CONVERSATIONS, Message
from bot.core import answers
from bot.settings import DEVELOPMENT_DEFAULTS
from bot.wechat.crypto import MessageCrypto
from bot.wechat.simulator import Mode, WeChatSimulator, event_push, text_push

# The gateway's passive notices that mean the text was not taken in (bot/wechat/views.py)
NOTICES = {answers.SLOW_DOWN: "slow_down", answers.NOT_RECORDED: "not_recorded"}
CUT_OFF = 5.0  # WeChat drops a delivery after 5 s ...
DELIVERIES = 3  # ... and delivers a push three times in all


@dataclass
class PushResult:
    openid: str
    msg_id: str  # the contract's dedupe key for a text; "" for an event
    kind: str  # "text" or "click"
    body: str  # the text, or the menu key clicked
    started: float  # monotonic time of the first delivery
    outcome: str = "failed"  # "passive" (an answer), "success" (answer to follow by the outbox), "failed"
    latency: float = 0.0  # from the first delivery to the well-formed reply (or to giving up)
    deliveries: int = 0
    statuses: list[int | None] = field(default_factory=list)  # None: cut off at 5 s
    in_conversation: bool = False  # one of a multi-turn conversation's messages (their order is checked)
    # a passive reply that is one of the gateway's notices rather than an answer ("slow_down": over the
    # per-minute flood limit; "not_recorded": Redis could not take it); "" otherwise
    notice: str = ""


@dataclass(frozen=True)
class Account:
    url: str
    token: str
    appid: str
    aes_key: str
    account: str = "gh_12315demo"

    @classmethod
    def development(cls, url: str) -> Account:
        """The account `make run` configures (development defaults), pushing to `url`."""
        return cls(
            url=url, token=DEVELOPMENT_DEFAULTS["WECHAT_TOKEN"], appid=DEVELOPMENT_DEFAULTS["WECHAT_APPID"],
            aes_key=DEVELOPMENT_DEFAULTS["WECHAT_AES_KEY"],
        )  # fmt: skip


class Citizens:
    """2,000 citizens (or as many as asked), each with a stable openid and a mode (plain or safe)."""

    def __init__(self, account: Account, count: int, safe_share: float, seed: int) -> None:
        rng = random.Random(seed)
        self.openids = [f"o_bench_{seed}_{i:05d}" for i in range(count)]
        self.safe = {openid for openid in self.openids if rng.random() < safe_share}
        self._crypto = MessageCrypto(account.token, account.aes_key, account.appid)
        self._account = account

    def simulator(self, openid: str) -> WeChatSimulator:
        safe = openid in self.safe
        return WeChatSimulator(
            url=self._account.url, token=self._account.token, openid=openid, account=self._account.account,
            mode=Mode.SAFE if safe else Mode.PLAIN, crypto=self._crypto if safe else None,
        )  # fmt: skip


async def deliver(
    session: aiohttp.ClientSession, citizen: WeChatSimulator, xml: str, result: PushResult
) -> None:
    """One push, WeChat's way: up to three deliveries, each cut off at 5 s; a malformed reply is a failure."""
    query, body = citizen.sign(xml)
    for _ in range(DELIVERIES):
        result.deliveries += 1
        try:
            async with (
                asyncio.timeout(CUT_OFF),
                session.post(citizen.url, params=query, data=body) as response,
            ):
                raw = await response.text()
        except TimeoutError:
            result.statuses.append(None)
            continue
        except aiohttp.ClientError:
            result.statuses.append(-1)
            continue
        result.statuses.append(response.status)
        if response.status != 200:
            continue  # WeChat shows the citizen an error; it does not retry a 5xx as such
        result.latency = time.monotonic() - result.started
        try:
            text = citizen.open_reply(raw, query)
        except Exception:
            continue
        result.outcome = "success" if text is None else "passive"
        result.notice = NOTICES.get(text or "", "")
        return
    result.latency = time.monotonic() - result.started


def _push_for(citizen: WeChatSimulator, message: Message, msg_id: int) -> tuple[str, str]:
    if message.kind == "click":
        return event_push(citizen.openid, citizen.account, "CLICK", message.body), ""
    return text_push(citizen.openid, citizen.account, message.body, msg_id), str(msg_id)


@dataclass
class Step:
    rate: float  # pushes a second offered
    seconds: float
    results: list[PushResult] = field(default_factory=list)
    # How late the generator's own event loop ran its timers, sampled every LAG_PROBE s while the step's
    # pushes were offered and delivered. WeChat's servers do not share our cores; this generator does. Seconds
    # of lag mean the step measured the machine's saturation, not the gateway: pushes left late (the offered
    # rate was not offered) and replies were read late (cut-offs counted that WeChat would not have).
    lags: list[float] = field(default_factory=list)
    offered_in: float = 0.0  # seconds the generator took to start the step's pushes (`seconds` when on time)


LAG_PROBE = 0.05


async def _probe_lag(lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(LAG_PROBE)
        lags.append(max(0.0, loop.time() - before - LAG_PROBE))


class OpenLoop:
    """Offers pushes at a rate for a time; conversations are started at a share of the arrivals."""

    def __init__(
        self,
        citizens: Citizens,
        catalog: list[Message],
        conversation_share: float = 0.03,
        seed: int = 12315,
        think_seconds: float = 2.0,
    ) -> None:
        self._citizens = citizens
        self._catalog = catalog
        # the weights summed once, not at every draw (the same draws as `catalog.draw`)
        self._cumulative = list(itertools.accumulate(m.weight for m in catalog))
        self._conversation_share = conversation_share
        self._rng = random.Random(seed)
        self._think = think_seconds
        self._msg_ids = iter(range(int(time.time() * 1000) * 1000, 2**63))
        self._busy: set[str] = set()  # citizens inside a conversation send nothing else meanwhile

    async def run(self, session: aiohttp.ClientSession, step: Step) -> Step:
        probe = asyncio.create_task(_probe_lag(step.lags))
        try:
            await self._offer(session, step)
        finally:
            probe.cancel()
        return step

    async def _offer(self, session: aiohttp.ClientSession, step: Step) -> None:
        tasks: set[asyncio.Task[None]] = set()
        started = time.monotonic()
        sent = 0
        while True:
            due = started + sent / step.rate
            now = time.monotonic()
            if due - started >= step.seconds:
                break
            if due > now:
                await asyncio.sleep(due - now)
            sent += 1
            if self._rng.random() < self._conversation_share:
                task = asyncio.create_task(self._conversation(session, step))
            else:
                task = asyncio.create_task(self._single(session, step))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        step.offered_in = time.monotonic() - started
        if tasks:
            await asyncio.gather(*tasks)

    def _free_citizen(self) -> str:
        while True:
            openid = self._rng.choice(self._citizens.openids)
            if openid not in self._busy:
                return openid

    async def _send(
        self,
        session: aiohttp.ClientSession,
        openid: str,
        message: Message,
        step: Step,
        in_conversation: bool = False,
    ) -> PushResult:
        citizen = self._citizens.simulator(openid)
        xml, msg_id = _push_for(citizen, message, next(self._msg_ids))
        result = PushResult(
            openid=openid, msg_id=msg_id, kind=message.kind, body=message.body, started=time.monotonic(),
            in_conversation=in_conversation,
        )  # fmt: skip
        step.results.append(result)
        await deliver(session, citizen, xml, result)
        return result

    async def _single(self, session: aiohttp.ClientSession, step: Step) -> None:
        [message] = self._rng.choices(self._catalog, cum_weights=self._cumulative, k=1)
        await self._send(session, self._free_citizen(), message, step)

    async def _conversation(self, session: aiohttp.ClientSession, step: Step) -> None:
        openid = self._free_citizen()
        self._busy.add(openid)
        try:
            for text in self._rng.choice(CONVERSATIONS):
                await self._send(session, openid, Message("text", text, 0.0), step, in_conversation=True)
                await asyncio.sleep(self._think)
        finally:
            self._busy.discard(openid)
