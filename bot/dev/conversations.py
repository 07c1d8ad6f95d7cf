"""Plays whole conversations through a running front door as WeChat citizens and reads how each ended.

Used by `make eval` (scripts/evaluate_conversations.py, on eval/conversations.yml) and by the end-to-end
tests. How a conversation ended is read from what the system did, not from the bot's wording: a live ticket
(a person), a complaint ticket (confirmed, or filed after the form was left idle, with its attachments), or
neither.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import yaml

from bot.storage import keys
from bot.storage.decode import as_text
from bot.storage.tickets import decode_ticket
from bot.wechat.simulator import WeChatSimulator

OFFER_MARK = "即可转接"  # the offer of a person (domain.yml utter_offer_human)
ENDS = ("answered", "ticket", "person")


@dataclass(frozen=True)
class Script:
    id: str
    kind: str
    turns: tuple[str | dict[str, str], ...]
    end: str
    reason: str | None = None
    confirmed: bool | None = None
    attachments: int | None = None
    offered: bool = False

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Script:
        end = str(entry["end"])
        if end not in ENDS:
            raise ValueError(f"{entry.get('id')}: end must be one of {ENDS}, not {end!r}")
        return cls(
            id=str(entry["id"]), kind=str(entry.get("kind") or ""),
            turns=tuple(t if isinstance(t, dict) else str(t) for t in entry["turns"]), end=end,
            reason=entry.get("reason"), confirmed=entry.get("confirmed"),
            attachments=entry.get("attachments"), offered=bool(entry.get("offered")),
        )  # fmt: skip


def load_scripts(path: Path) -> list[Script]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Script.from_entry(entry) for entry in data.get("conversations") or []]


@dataclass
class Ending:
    end: str
    reason: str | None = None
    confirmed: bool | None = None
    attachments: int = 0
    ticket: str | None = None
    replies: list[str] = field(default_factory=list)
    sent_later: list[str] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        return any(OFFER_MARK in text for text in self.replies + self.sent_later)


def misses(script: Script, ending: Ending) -> list[str]:
    """What differs from the expected end; empty when the conversation ended right."""
    found: list[str] = []
    if ending.end != script.end:
        found.append(f"ended {ending.end}, expected {script.end}")
    if script.end == ending.end == "person" and script.reason and ending.reason != script.reason:
        found.append(f"handed over as {ending.reason}, expected {script.reason}")
    if script.end == ending.end == "ticket":
        if script.confirmed is not None and ending.confirmed != script.confirmed:
            found.append(f"ticket confirmed={ending.confirmed}, expected {script.confirmed}")
        if script.attachments is not None and ending.attachments != script.attachments:
            found.append(f"{ending.attachments} attachments, expected {script.attachments}")
        told = ending.ticket is not None and any(ending.ticket in text for text in ending.sent_later)
        if ending.confirmed is False and not told:
            found.append("the citizen was not told the number of the ticket filed for them")
    if script.offered and not ending.offered:
        found.append("no person was offered")
    return found


class Player:
    """Citizens talking to one gateway; reads endings from its Redis and the local WeChat API's sends."""

    def __init__(
        self, gateway_url: str, token: str, redis_url: str, wechat_api_url: str, idle_seconds: float
    ):
        self._url = f"{gateway_url.rstrip('/')}/wechat"
        self._token = token
        self._redis_url = redis_url
        self._api = wechat_api_url.rstrip("/")
        self._idle = idle_seconds

    async def play_all(self, scripts: list[Script], concurrency: int = 6) -> list[tuple[Script, Ending]]:
        slots = asyncio.Semaphore(concurrency)
        client = aioredis.Redis.from_url(self._redis_url, decode_responses=True)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:

                async def one(script: Script) -> tuple[Script, Ending]:
                    async with slots:
                        return script, await self.play(http, client, script)

                return list(await asyncio.gather(*(one(s) for s in scripts)))
        finally:
            await client.aclose()

    async def play(self, http: aiohttp.ClientSession, client: aioredis.Redis, script: Script) -> Ending:
        openid = f"o_eval_{script.id}_{uuid.uuid4().hex[:8]}"
        citizen = WeChatSimulator(url=self._url, token=self._token, openid=openid)
        replies: list[str] = []
        for turn in script.turns:
            if isinstance(turn, dict):
                reply = await citizen.send_media(http, "image", str(turn.get("image") or uuid.uuid4().hex))
            else:
                reply = await citizen.send_text(http, turn)
            replies.append(reply or "")
        await self.until_settled(client, openid)
        ending = await self.ending(client, openid)
        ending.replies = replies
        ending.sent_later = await self._sends(http, openid)
        return ending

    async def until_settled(self, client: aioredis.Redis, openid: str) -> None:
        """Wait while a complaint form of this citizen is open: the idle timer files it (or drops it)."""
        deadline = time.monotonic() + self._idle + 15
        while time.monotonic() < deadline and await client.exists(keys.intake(openid)):  # noqa: ASYNC110
            await asyncio.sleep(0.5)  # another process's timer: nothing here to wait on but Redis
        await asyncio.sleep(1.0)  # the outbox's notice of a filed ticket

    @staticmethod
    async def ending(client: aioredis.Redis, openid: str) -> Ending:
        tickets = []
        async for key in client.scan_iter(match=f"{keys.ticket('12315-')}*", count=1000):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name.count(":") != 2:  # history and messages streams
                continue
            raw = as_text(await client.hgetall(name))
            if raw.get("openid") == openid:
                tickets.append(decode_ticket(raw))
        live = [t for t in tickets if t["live"]]
        if live:
            return Ending("person", reason=str(live[0].get("reason")), ticket=str(live[0]["number"]))
        if tickets:
            ticket = tickets[0]
            attachments = len(ticket.get("attachments") or [])
            return Ending(
                "ticket",
                confirmed=bool(ticket["confirmed"]),
                attachments=attachments,
                ticket=str(ticket["number"]),
            )
        return Ending("answered")

    async def _sends(self, http: aiohttp.ClientSession, openid: str) -> list[str]:
        try:
            async with http.get(f"{self._api}/_fake/sends", params={"touser": openid}) as response:
                sends = await response.json() if response.status == 200 else []
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return []
        return [str(s.get("content") or "") for s in sends if isinstance(s, dict)]


def summarise(results: list[tuple[Script, Ending]]) -> dict[str, Any]:
    by_kind: dict[str, list[bool]] = {}
    failures = []
    for script, ending in results:
        missed = misses(script, ending)
        by_kind.setdefault(script.kind, []).append(not missed)
        if missed:
            failures.append({"id": script.id, "kind": script.kind, "misses": missed,
                             "turns": list(script.turns),
                             "replies": ending.replies, "sent_later": ending.sent_later})  # fmt: skip
    right = sum(ok for oks in by_kind.values() for ok in oks)
    routine = [e for s, e in results if s.kind == "routine"]
    return {
        "conversations": len(results),
        "ended_right": right,
        "share_ended_right": round(right / len(results), 3) if results else 0.0,
        "routine_handed_over": sum(e.end == "person" for e in routine),
        # a routine question filed as a complaint: a ticket an agent must close for nothing
        "routine_filed": sum(e.end == "ticket" for e in routine),
        "by_kind": {k: {"n": len(v), "right": sum(v)} for k, v in sorted(by_kind.items())},
        "failures": failures,
    }
