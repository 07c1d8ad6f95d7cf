"""Custom actions: thin and stateless. Content comes from Redis; tickets and modes belong to the gateway,
which the actions only signal with custom payloads (`{"handoff": ...}`, `{"ticket": ...}`)."""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

import redis.asyncio as aioredis
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.content import INTENT_SECTIONS, UNAVAILABLE, format_section
from actions.signals import anger_score, trailing_repeats, user_intents
from bot.storage import keys  # the one key builder, shared with the gateway

HANDOFF_REASON_REQUEST_HUMAN = "request_human"
HANDOFF_REASON_ANGRY = "angry"
HANDOFF_REASON_UNRESOLVED = "unresolved"
ENTITY_NAMES = ("shop", "address", "product", "price", "time")
CATEGORIES = {"report_price_gouging": "举报", "report_fake_goods": "举报", "complain_other": "投诉"}

_redis: aioredis.Redis | None = None


def redis_client() -> aioredis.Redis:
    """One client per action-server process, from REDIS_URL (the gateway's database)."""
    global _redis  # noqa: PLW0603 - a process-wide connection pool, created on first use
    if _redis is None:
        _redis = aioredis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return _redis


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = tracker.latest_message.get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


class ActionAnswerContent(Action):
    """Booking rules, booking results, pickup points, announcements: read fresh from Redis every time."""

    def name(self) -> str:
        return "action_answer_content"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        section = INTENT_SECTIONS.get(intent, "booking")
        try:
            raw = await redis_client().get(keys.content(section))
            text = format_section(section, json.loads(raw) if raw else None, date.today())
        except (aioredis.RedisError, OSError, ValueError):
            text = UNAVAILABLE
        dispatcher.utter_message(text=text)
        if trailing_repeats(user_intents(tracker.events)) >= 2:
            # the same question a third time: the answer is not helping
            return [FollowupAction("utter_offer_human")]
        return []


class ActionHandoff(Action):
    """Tells the citizen a person is coming and signals the handoff to the gateway, with an anger score."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, confidence = latest_intent(tracker)
        text = str(tracker.latest_message.get("text") or "")
        reason = {
            "express_anger": HANDOFF_REASON_ANGRY,
            "affirm": HANDOFF_REASON_UNRESOLVED,
        }.get(intent, HANDOFF_REASON_REQUEST_HUMAN)
        repeats = trailing_repeats(user_intents(tracker.events))
        dispatcher.utter_message(
            response="utter_handoff_angry" if reason == HANDOFF_REASON_ANGRY else "utter_handoff"
        )
        dispatcher.utter_message(
            json_message={
                "handoff": {
                    "reason": reason,
                    "intent": intent,
                    "confidence": round(confidence, 3),
                    "anger": anger_score(text, intent, confidence, repeats),
                }
            }
        )
        return []


class ActionHandleFallback(Action):
    """Did not understand: ask to rephrase; the second time in a row, offer a person."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intents = user_intents(tracker.events)
        if intents and intents[-1] == "nlu_fallback" and trailing_repeats(intents) >= 1:
            return [FollowupAction("utter_offer_human")]
        dispatcher.utter_message(response="utter_default")
        return []


class ActionTakeComplaint(Action):
    """Takes a complaint or report in and signals a ticket with what the message told us.

    The follow-up questions for missing details (the complaint form) are a later step; the gateway
    turns the signal into a ticket and tells the citizen its number.
    """

    def name(self) -> str:
        return "action_take_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, confidence = latest_intent(tracker)
        details: dict[str, str] = {}
        for entity in tracker.latest_message.get("entities") or []:
            name = entity.get("entity")
            if name in ENTITY_NAMES and name not in details:
                details[name] = str(entity.get("value"))
        dispatcher.utter_message(response="utter_complaint_received")
        dispatcher.utter_message(
            json_message={
                "ticket": {
                    "intent": intent,
                    "category": CATEGORIES.get(intent, "投诉"),
                    "confidence": round(confidence, 3),
                    "details": details,
                    "text": str(tracker.latest_message.get("text") or ""),
                }
            }
        )
        return []
