"""Reading the turn log: citizens' messages as Rasa understood them (written by rasa_server/turn_log.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from bot.storage import keys

# Entries are stored when Rasa logs the turn, but counted by when the citizen sent the message (`at`); a
# message deferred through a rush is logged later than it was sent, so a window is read with this margin.
LATE_MARGIN_SECONDS = 3600
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "utter_default", "action_two_stage_fallback"})


@dataclass(frozen=True)
class Turn:
    at: float  # when the citizen sent it (WeChat's CreateTime; Rasa's time if the gateway gave none)
    sender: str  # the citizen's openid
    text: str
    intent: str
    confidence: float
    actions: tuple[str, ...]  # what answered it, in order (utter_*, action_*)
    entities: tuple[dict[str, Any], ...] = field(default=())

    @property
    def fell_back(self) -> bool:
        """The bot did not understand: the fallback intent, or a fallback action answered."""
        return self.intent == FALLBACK_INTENT or bool(FALLBACK_ACTIONS & set(self.actions))

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Turn:
        try:
            entities = json.loads(fields.get("entities") or "[]")
        except ValueError:
            entities = []
        return cls(
            at=float(fields.get("at") or 0.0),
            sender=str(fields.get("sender") or ""),
            text=str(fields.get("text") or ""),
            intent=str(fields.get("intent") or ""),
            confidence=float(fields.get("confidence") or 0.0),
            actions=tuple(str(fields.get("actions") or "").split()),
            entities=tuple(e for e in entities if isinstance(e, dict)),
        )


class TurnLog:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def between(self, start: float, end: float, batch: int = 5000) -> list[Turn]:
        """Messages sent in [start, end), oldest first."""
        low = f"{int((start - LATE_MARGIN_SECONDS) * 1000)}-0"
        high = f"{int((end + LATE_MARGIN_SECONDS) * 1000)}-0"
        turns: list[Turn] = []
        while True:
            found: Any = await self._client.xrange(keys.turn_log(), low, high, count=batch)
            for _entry_id, fields in found:
                turn = Turn.from_fields(dict(fields))
                if start <= turn.at < end:
                    turns.append(turn)
            if len(found) < batch:
                break
            low = "(" + str(found[-1][0])
        return sorted(turns, key=lambda t: t.at)
