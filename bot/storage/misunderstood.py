"""The maintainers' not-understood list: samples from the turn log and the tickets, and their labels."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, tzinfo
from typing import Any

import redis.asyncio as aioredis

from bot.core.misunderstood import INTENTS, LOW_CONFIDENCE, Group, Sample, group, nlu_yaml
from bot.core.privacy import mask_pii
from bot.storage import keys
from bot.storage.tickets import TicketStore
from bot.storage.turnlog import TurnLog


def _citizen_texts(ticket: dict[str, Any]) -> list[str]:
    return [str(t.get("text") or "") for t in ticket.get("transcript") or [] if t.get("who") == "citizen"][
        -3:
    ]


def _masked(sample: Sample) -> Sample:
    return Sample(mask_pii(sample.text), sample.source, sample.intent, sample.at)


class Misunderstood:
    def __init__(self, client: aioredis.Redis, tickets: TicketStore, timezone: tzinfo) -> None:
        self._client = client
        self._tickets = tickets
        self._turns = TurnLog(client)
        self._timezone = timezone

    async def samples(self, days: int, now: float | None = None) -> list[Sample]:
        moment = time.time() if now is None else now
        found: list[Sample] = []
        seen: set[tuple[str, str]] = (
            set()
        )  # (citizen, message): one message counts once, whatever its sources
        for turn in await self._turns.between(moment - days * 86400, moment):
            if turn.fell_back:
                found.append(Sample(turn.text, "fallback", turn.intent, turn.at))
            elif turn.confidence < LOW_CONFIDENCE and not turn.text.startswith("/"):  # menu clicks are exact
                found.append(Sample(turn.text, "low_confidence", turn.intent, turn.at))
            else:
                continue
            seen.add((turn.sender, turn.text))
        today = datetime.fromtimestamp(moment, self._timezone).date()
        for offset in range(days + 1):
            day = (today - timedelta(days=offset)).strftime("%Y%m%d")
            for ticket in await self._tickets.many(await self._tickets.opened_on(day)):
                at = float(ticket.get("queued_at") or 0.0)
                if ticket.get("corrected_intent"):
                    text = str(ticket.get("corrected_text") or ticket.get("summary") or "")
                    found.append(Sample(text, "correction", str(ticket["corrected_intent"]), at))
                elif ticket.get("reason") == "unresolved":
                    intent, openid = str(ticket.get("intent") or ""), str(ticket.get("openid") or "")
                    found.extend(
                        Sample(text, "unresolved", intent, at)
                        for text in _citizen_texts(ticket)
                        if (openid, text) not in seen
                    )
        return found

    async def groups(self, days: int, now: float | None = None) -> list[Group]:
        labels = {str(k): str(v) for k, v in (await self._client.hgetall(keys.nlu_group_labels())).items()}
        # Maintainers see no citizen's phone or ID number: the texts are masked before grouping and export.
        return group([_masked(s) for s in await self.samples(days, now)], labels)

    async def label(self, group_key: str, intent: str, texts: list[str]) -> int:
        """Label a group's messages with an intent (or clear them with ""); returns how many examples."""
        if intent and intent not in INTENTS:
            raise ValueError(intent)
        pipe = self._client.pipeline(transaction=True)
        if intent:
            pipe.hset(keys.nlu_group_labels(), group_key, intent)
            for text in texts:
                pipe.hset(keys.nlu_labelled(), text, intent)
        else:
            pipe.hdel(keys.nlu_group_labels(), group_key)
            for text in texts:
                pipe.hdel(keys.nlu_labelled(), text)
        await pipe.execute()
        return len(texts)

    async def export(self) -> str:
        return nlu_yaml(
            {str(k): str(v) for k, v in (await self._client.hgetall(keys.nlu_labelled())).items()}
        )
