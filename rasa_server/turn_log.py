"""Rasa's event broker for the front door: one entry per citizen message in the Redis stream `fd:turns`.

The gateway sees only Rasa's answers; the daily report (intents, messages per hour, what the bot could not
answer) and the maintainers' not-understood page need what Rasa understood. Rasa hands every new tracker
event to its event broker; this one keeps the citizen's message with its intent, confidence and the actions
that answered it (`rasa_server.tracker_store` publishes one body per turn, see `turn_body`).

Configured in endpoints.yml (`event_broker`: this class, `url`, `retention_days`). Writing is one Lua call
to Redis per message: the once-only marker and the entry together, so a process dying between them cannot drop
the line (a script that fails half-way is not rolled back, though: an XADD refused leaves the marker). A
failure is logged and never fails the turn.
"""

from __future__ import annotations

import json
import logging
import time
from asyncio import AbstractEventLoop
from typing import Any

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis

from bot.storage import keys
from bot.storage.turnlog import LOG_ONCE, LOGGED_MARKER_SECONDS
from rasa_server import loop_redis

log = logging.getLogger(__name__)

SOCKET_TIMEOUT = 2.0  # seconds; a line lost to a slow Redis is better than a held turn
DEFAULT_RETENTION_DAYS = 35  # a month of not-understood messages, and the 7 days a report compares with


def turn_body(sender_id: str, events: list[Event]) -> dict[str, Any] | None:
    """The latest citizen message of a tracker and the actions that followed it (None: no message yet)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered):
            actions = [
                e.action_name
                for e in events[index + 1 :]
                if isinstance(e, ActionExecuted) and e.action_name and e.action_name != "action_listen"
            ]
            return {"sender_id": sender_id, **event.as_dict(), "turn_actions": actions}
    return None


def turn_fields(body: dict[str, Any]) -> dict[str, str]:
    """What the stream keeps of one message."""
    parse = body.get("parse_data") or {}
    intent = parse.get("intent") or {}
    metadata = body.get("metadata") or {}
    sent_at = metadata.get("sent_at") if isinstance(metadata, dict) else None
    at = (
        float(sent_at)
        if isinstance(sent_at, (int, float)) and sent_at > 0
        else float(body.get("timestamp") or time.time())
    )
    entities = [
        {"entity": e.get("entity"), "value": e.get("value")}
        for e in parse.get("entities") or []
        if isinstance(e, dict) and e.get("entity")
    ]
    return {
        "at": f"{at:.3f}",
        "sender": str(body.get("sender_id") or ""),
        "text": str(body.get("text") or ""),
        "intent": str(intent.get("name") or ""),
        "confidence": f"{float(intent.get('confidence') or 0.0):.4f}",
        "actions": " ".join(str(a) for a in body.get("turn_actions") or []),
        "entities": json.dumps(entities, ensure_ascii=False),
        "message_id": str(body.get("message_id") or ""),
    }


class TurnLogBroker(EventBroker):
    def __init__(self, url: str, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT)
        self._retention_ms = int(retention_days * 86400 * 1000)
        self._log_once = self._client.register_script(LOG_ONCE)
        # The tracker store publishes a turn through an asyncio client for the same URL
        # (rasa_server/loop_redis.py), so the event loop does not wait on Redis.
        self._loop_scripts = loop_redis.PerLoop(
            lambda: aioredis.from_url(url, socket_timeout=SOCKET_TIMEOUT).register_script(LOG_ONCE)
        )

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> TurnLogBroker:
        url = broker_config.url or "redis://127.0.0.1:6379/0"
        retention = float(broker_config.kwargs.get("retention_days") or DEFAULT_RETENTION_DAYS)
        return cls(url, retention)

    def _script_call(self, event: dict[str, Any]) -> tuple[list[str], list[Any]] | None:
        """The keys and arguments of LOG_ONCE for a citizen's message (None: any other event)."""
        if event.get("event") != "user":
            return None
        fields = turn_fields(event)
        marker = keys.turn_logged(fields["sender"], fields["message_id"] or fields["at"])
        oldest = int(time.time() * 1000) - self._retention_ms
        pairs = [item for field in fields.items() for item in field]
        return [marker, keys.turn_log()], [LOGGED_MARKER_SECONDS, oldest, *pairs]

    def publish(self, event: dict[str, Any]) -> None:
        call = self._script_call(event)
        if call is None:
            return
        try:
            self._log_once(keys=call[0], args=call[1])
        except redis.RedisError as exc:  # the report loses a line; the citizen's answer must not
            log.warning("turn log not written: %s", exc)

    async def publish_turn(self, event: dict[str, Any]) -> None:
        """`publish` without holding the event loop while Redis answers."""
        call = self._script_call(event)
        if call is None:
            return
        try:
            await self._loop_scripts.get()(keys=call[0], args=call[1])
        except redis.RedisError as exc:
            log.warning("turn log not written: %s", exc)

    async def close(self) -> None:
        self._client.close()
