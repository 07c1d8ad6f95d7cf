"""Reading the turn log: citizens' messages as Rasa understood them (written by rasa_server/turn_log.py)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from bot.storage import keys

log = logging.getLogger(__name__)

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


# KEYS: the message's once-only marker, the stream. ARGV: the marker's seconds, the oldest entry id to keep,
# then the entry's field and value pairs. Returns 1 when written, 0 when the message was already logged.
# Shared by Rasa's event broker (rasa_server/turn_log.py) and the gateway's own entries.
LOG_ONCE = """
if not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then return 0 end
local entry = {'XADD', KEYS[2], 'MINID', '~', ARGV[2], '*'}
for i = 3, #ARGV do entry[#entry + 1] = ARGV[i] end
redis.call(unpack(entry))
return 1
"""
LOGGED_MARKER_SECONDS = 24 * 3600
# What answered a menu button the gateway answered from the content itself, without Rasa (a rush, contract
# step 8): the report counts it as a message of its intent, and it is no fallback.
ANSWERED_ON_ARRIVAL = "gateway_published_answer"


class TurnLog:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._log_once = client.register_script(LOG_ONCE)

    async def log_button(
        self, openid: str, button: str, intent: str, sent_at: float, message_id: str
    ) -> bool:
        """A menu button answered without Rasa, so that the report and the hourly counts still see it. The
        stream is trimmed by Rasa's broker at its next entry (this side does not know the retention)."""
        fields = {
            "at": f"{sent_at or time.time():.3f}", "sender": openid, "text": button, "intent": intent,
            "confidence": "1.0000", "actions": ANSWERED_ON_ARRIVAL, "entities": "[]",
            "message_id": message_id,
        }  # fmt: skip
        pairs = [item for field in fields.items() for item in field]
        marker = keys.turn_logged(openid, message_id)
        written = await self._log_once(
            keys=[marker, keys.turn_log()], args=[LOGGED_MARKER_SECONDS, 0, *pairs]
        )
        return bool(written)

    async def record_button(self, openid: str, button: str, sent_at: float, message_id: str) -> None:
        """log_button for a menu button (`/ask_mask_booking`) answered from the content, on arrival in a rush
        or with Rasa down: Rasa never sees it, so the report and the hourly counts get their line here. A
        failure costs the report a line, never the citizen their answer."""
        try:
            await self.log_button(openid, button, button.removeprefix("/"), sent_at, message_id)
        except aioredis.RedisError as exc:
            # No message reference: bot.logs is the gateway's (Python 3.11), and this module is shared with
            # Rasa's event broker (3.10); an event's key would also carry the citizen's openid.
            log.warning("a menu button's turn-log line was not written: %r", exc)

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
