"""What happened to every push of a load step, read from the gateway's own records and WeChat's API fake.

The load generator knows what each delivery got back; whether a deferred answer reached the citizen, and
whether any answer reached them twice, is in Redis (one hash per message, `bot/storage/messages.py`) and in
the sends the local WeChat API recorded. A step is drained first: the benchmark waits until no message is
still waiting for Rasa or for the outbox.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from bench.wechat_load import CUT_OFF, PushResult
from bot.core.intake import FILED_UNCONFIRMED_MARK
from bot.storage import keys
from bot.storage.tickets import SHANGHAI, TicketStore

# Rasa has not answered (or is down: holding, held), or nobody took the answer yet
UNFINISHED = ("pending", "holding", "held", "answered", "deferred", "carried")


@dataclass(frozen=True)
class Messages:
    """The gateway's record of every message of a step, by dedupe key."""

    states: dict[str, str]
    outbox_texts: int  # texts the contract put on the outbox: deferred answers', passive ones' extras


async def read_messages(client: aioredis.Redis) -> Messages:
    states: dict[str, str] = {}
    outbox_texts = 0
    prefix = keys.message("")
    async for key in client.scan_iter(match=f"{prefix}*", count=1000):
        name = key.decode() if isinstance(key, bytes) else str(key)
        if name == keys.message_expiry():
            continue
        fields = await client.hgetall(name)
        decoded = {
            (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in fields.items()
        }
        states[name.removeprefix(prefix)] = decoded.get("state", "missing")
        # what the contract put on the outbox for this message (a carried answer's texts are counted on the
        # message whose send took them along)
        outbox_texts += int(decoded.get("outboxed") or 0)
    return Messages(states, outbox_texts)


async def forget_messages(client: aioredis.Redis) -> None:
    """Start a step with no message records of the previous one (their answers are all accounted for)."""
    prefix = keys.message("")
    batch: list[Any] = []
    async for key in client.scan_iter(match=f"{prefix}*", count=1000):
        name = key.decode() if isinstance(key, bytes) else str(key)
        if name != keys.message_expiry():
            batch.append(key)
        if len(batch) >= 500:
            await client.delete(*batch)
            batch = []
    if batch:
        await client.delete(*batch)


async def outbox_backlog(client: aioredis.Redis) -> int:
    """Outbox entries not yet sent and acknowledged (unread, pending or waiting for a retry)."""
    backlog = 0
    try:
        for group in await client.xinfo_groups(keys.outbox()):
            lag = group.get("lag") if isinstance(group, dict) else None
            pending = group.get("pending", 0) if isinstance(group, dict) else 0
            backlog += int(lag or 0) + int(pending or 0)
    except aioredis.ResponseError:
        backlog = int(await client.xlen(keys.outbox()))
    return backlog + int(await client.zcard(keys.outbox_delayed()))


async def refused_tally(client: aioredis.Redis) -> dict[str, int]:
    """The outbox's tally of texts it gave up on, by reason (it outlives the gateway processes)."""
    raw = await client.hgetall(keys.outbox_refused())
    return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}


def tally_since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {reason: n - before.get(reason, 0) for reason, n in after.items() if n - before.get(reason, 0)}


async def sends_since(session: aiohttp.ClientSession, api_url: str, first: int) -> list[dict[str, Any]]:
    """What WeChat's API stand-in was sent from its `first` send on (touser, content, at)."""
    async with session.get(f"{api_url}/_fake/sends") as response:
        return list(await response.json())[first:]


def filing_notices(sends: list[dict[str, Any]]) -> tuple[int, int]:
    """The notices of complaint forms filed unconfirmed among `sends`, and how many of them repeat one.

    Counted from what was sent rather than from the tickets: forms left idle are filed whenever their time
    comes: in a 10x burst hundreds came due while the step's 45,000 records were being read, between the
    count of tickets and the count of sends."""
    notices = [str(s.get("content") or "") for s in sends if FILED_UNCONFIRMED_MARK in str(s.get("content"))]
    return len(notices), len(notices) - len(set(notices))  # each names its own ticket


async def sends_count(session: aiohttp.ClientSession, api_url: str) -> int:
    return len(await sends_since(session, api_url, 0))


async def drain(client: aioredis.Redis, session: aiohttp.ClientSession, api_url: str, limit: float) -> float:
    """Wait until every message is answered and the outbox is empty; returns how long it took (or `limit`).

    Each second it looks at the queues first (the inbox holds only unfinished work, answers carried for a
    citizen wait in the carried set, the outbox's backlog) and reads every message record only once they
    are empty. Reading all the records every second cost the benchmark about a third of a core while a 10x
    burst drained, taken from the system whose drain it timed."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if await work_queued(client) == 0:
            messages = await read_messages(client)
            unfinished = sum(state in UNFINISHED for state in messages.states.values())
            if unfinished == 0 and await outbox_backlog(client) == 0:
                return time.monotonic() - started
        await asyncio.sleep(1.0)
    return limit


async def work_queued(client: aioredis.Redis) -> int:
    """Messages waiting for Rasa or for a worker, citizens with carried answers, and texts to send."""
    inbox = int(await client.xlen(keys.inbox()))
    carried = int(await client.zcard(keys.carried_due()))
    return inbox + carried + await outbox_backlog(client)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def lag_ms(lags: list[float]) -> dict[str, float]:
    """The generator's loop lag over a step (`Step.lags`), in ms: median, p99 and the worst."""
    return {
        "p50": round(1000 * percentile(lags, 0.5), 1),
        "p99": round(1000 * percentile(lags, 0.99), 1),
        "max": round(1000 * max(lags, default=0.0), 1),
    }


def summarise(
    rate: float,
    results: list[PushResult],
    messages: Messages,
    sends: int,
    drained: float,
    filing_notices: int = 0,
    refused: dict[str, int] | None = None,
    repeated_notices: int = 0,
) -> dict[str, Any]:
    """One step's figures. `lost`: a text push whose answer never reached the citizen, neither passively nor
    through the outbox. `duplicate_answers`: sends beyond the texts the contract put on the outbox and the
    `filing_notices` (a complaint form left idle is filed unconfirmed and its number sent: a send no message
    record accounts for). `refused`: outbox texts the outbox gave up on during the step, by reason (WeChat's
    5 sends after a citizen's message used up, ...): never sent, so neither expected sends nor duplicates.
    Netting them against extra sends hid both: a 10x burst read "20 twice" with 95 texts refused.
    `repeated_notices`: how many of the `filing_notices` repeat one already sent (a form's number sent twice),
    each a duplicate answer whatever else the step sent or refused."""
    refused = refused or {}
    expected = messages.outbox_texts + filing_notices
    deliverable = expected - sum(refused.values())
    passive = [r for r in results if r.outcome == "passive"]
    acked = [r for r in results if r.outcome != "failed"]
    # A text over the citizen's per-minute flood limit is refused in words ("您发送消息太频繁了…"): told, not
    # lost, and counted apart. Before this was counted, one such text of a 3x burst read as "acknowledged
    # with no message record".
    throttled = [r for r in results if r.notice == "slow_down"]
    texts = [r for r in results if r.msg_id and r.notice != "slow_down"]
    answered_states = ("replied", "sent")
    # The gateway keys a text message by its MsgId (bot/wechat/inbound.py, Inbound.dedupe_key).
    lost_states = Counter(
        messages.states.get(f"msg:{r.msg_id}", r.notice or "never_accepted")
        for r in texts
        if messages.states.get(f"msg:{r.msg_id}") not in answered_states
    )
    lost = sum(lost_states.values())
    # answers only, not the notices that refuse a text
    latencies = [r.latency * 1000 for r in passive if not r.notice]
    return {
        "offered_per_s": rate,
        "pushes": len(results),
        "passive": len(passive),
        "success_then_outbox": sum(r.outcome == "success" for r in results),
        "failed": len(results) - len(acked),
        "throttled": len(throttled),
        "acked_within_5s_pct": round(100 * len(acked) / max(1, len(results)), 2),
        "first_delivery_pct": round(
            100 * sum(r.deliveries == 1 and r.outcome != "failed" for r in results) / max(1, len(results)), 2
        ),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "passive_within_cut_off_pct": round(
            100 * sum(r.latency <= CUT_OFF for r in passive) / max(1, len(results)), 2
        ),
        "lost": lost,
        # where each lost text stopped: its message's state, `not_recorded` (the gateway said Redis could not
        # take it), or `never_accepted` (no delivery got in)
        "lost_by_state": dict(lost_states),
        "outbox_texts_expected": expected,
        "filing_notices": filing_notices,
        "outbox_sends": sends,
        "outbox_refused": dict(refused),
        "duplicate_answers": max(0, sends - deliverable) + repeated_notices,
        "undelivered_outbox_texts": max(0, deliverable - sends),
        "drain_seconds": round(drained, 1),
        # what each unacknowledged push met, delivery by delivery (null: cut off at 5 s; -1: the connection
        # failed), so that a failure can be told apart from a slow gateway
        "failed_examples": [
            {"kind": r.kind, "in_conversation": r.in_conversation, "statuses": r.statuses}
            for r in results
            if r.outcome == "failed"
        ][:10],
    }


async def order_violations(
    tracker_client: aioredis.Redis,
    results: list[PushResult],
    examples: list[dict[str, Any]] | None = None,
    since: float = 0.0,
) -> int:
    """Conversations whose messages reached Rasa in another order than the citizen sent them, read from
    each citizen's tracker (Rasa's database): the user texts of the conversation, in tracker order, must be
    the sent texts in the sent order, less any Rasa never saw (after a handoff, a citizen's messages go to
    the ticket, not to Rasa)."""
    sent: dict[str, list[str]] = {}
    for result in sorted((r for r in results if r.in_conversation), key=lambda r: r.started):
        sent.setdefault(result.openid, []).append(result.body)
    violations = 0
    for openid, texts in sent.items():
        raw = await tracker_client.get(f"rasa:tracker:{openid}")
        events = json.loads(raw)["events"] if raw else []
        wanted = set(texts)
        # Only what Rasa logged since the step began (`since`, epoch seconds): the same citizen may have sent
        # the same conversation in an earlier step.
        seen = [
            e.get("text")
            for e in events
            if e.get("event") == "user"
            and e.get("text") in wanted
            and float(e.get("timestamp") or 0) >= since
        ]
        if not in_order(seen, texts):
            violations += 1
            if examples is not None and len(examples) < 3:
                examples.append({"openid": openid, "sent": texts, "rasa_saw": seen})
    return violations


def in_order(seen: list[Any], sent: list[str]) -> bool:
    """`seen` is `sent` with some items left out and none moved."""
    remaining = iter(sent)
    return all(any(item == candidate for candidate in remaining) for item in seen)


def _today() -> str:
    return datetime.now(SHANGHAI).strftime("%Y%m%d")  # the ticket store's day (the development time zone)


async def tickets_today(client: aioredis.Redis) -> int:
    """Tickets numbered today."""
    return len(await TicketStore(client).opened_on(_today()))


async def unconfirmed_filed(client: aioredis.Redis, first: int, last: int) -> int:
    """Of today's tickets after serial `first` up to `last`, those filed unconfirmed (each sent a notice)."""
    numbers = (await TicketStore(client).opened_on(_today()))[first:last]
    count = 0
    for number in numbers:
        count += await client.hget(keys.ticket(number), "confirmed") in (b"0", "0")
    return count
