"""Custom actions: thin and stateless. Content comes from Redis; tickets and modes belong to the gateway,
which the actions only signal with custom payloads (`{"handoff": ...}`, `{"ticket": ...}`)."""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

import redis.asyncio as aioredis
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import complaint
from actions.content import INTENT_SECTIONS, UNAVAILABLE, format_section
from actions.signals import (
    anger_score,
    guesses_behind_fallback,
    sounds_angry,
    trailing_repeats,
    user_intents,
)
from bot.storage import keys  # the one key builder, shared with the gateway

HANDOFF_REASON_REQUEST_HUMAN = "request_human"
HANDOFF_REASON_ANGRY = "angry"
HANDOFF_REASON_UNRESOLVED = "unresolved"
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
    """Did not understand: ask to rephrase; the second time in a row, or at once when the message is angry,
    offer a person (an angry citizen is not asked to say it again more nicely)."""

    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intents = user_intents(tracker.events)
        if intents and intents[-1] == "nlu_fallback" and trailing_repeats(intents) >= 1:
            return [FollowupAction("utter_offer_human")]
        text = str(tracker.latest_message.get("text") or "")
        if sounds_angry(text, guesses_behind_fallback(tracker.latest_message.get("intent_ranking") or [])):
            return [FollowupAction("utter_offer_human")]
        dispatcher.utter_message(response="utter_default")
        return []


COMPLAINT_SLOTS = (
    "complaint_what",
    "complaint_shop",
    "complaint_address",
    "complaint_price",
    "complaint_time",
)


class ActionStartComplaint(Action):
    """Opens the intake: the first message is what happened; its entities fill what they can."""

    def name(self) -> str:
        return "action_start_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent, _ = latest_intent(tracker)
        dispatcher.utter_message(response="utter_complaint_start")
        text = str(tracker.latest_message.get("text") or "").strip()
        events: list[EventType] = [
            SlotSet("complaint_category", CATEGORIES.get(intent, "投诉")),
            SlotSet("complaint_confirm", None),
        ]
        if len(text) >= 6:  # long enough to say what happened; "我要投诉" is not
            events.append(SlotSet("complaint_what", text[:300]))
        return events


class ValidateComplaintForm(FormValidationAction):
    """Skips, cancellation and corrections; the answers themselves are kept as the citizen wrote them."""

    def name(self) -> str:
        return "validate_complaint_form"

    @staticmethod
    def _answer(slot: str, value: Any) -> dict[str, Any]:
        text = str(value or "")
        if complaint.is_cancel(text):
            # fill every question so the form ends; the submit action sees the cancellation
            return {s: complaint.SKIPPED for s in COMPLAINT_SLOTS} | {"complaint_confirm": "cancel"}
        return {slot: complaint.answer_value(text)}

    async def validate_complaint_what(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_what", value)

    async def validate_complaint_shop(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_shop", value)

    async def validate_complaint_address(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_address", value)

    async def validate_complaint_price(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_price", value)

    async def validate_complaint_time(self, value: Any, *_: Any) -> dict[str, Any]:
        return self._answer("complaint_time", value)

    async def validate_complaint_confirm(self, value: Any, *_: Any) -> dict[str, Any]:
        decision = complaint.confirmation(str(value or ""))
        if decision in ("yes", "cancel"):
            return {"complaint_confirm": decision}
        if decision is None:
            return {"complaint_confirm": None}  # unclear: the form asks again
        return {decision: None, "complaint_confirm": None}  # ask that question again, then confirm


class ActionSubmitComplaint(Action):
    """Ends the intake: signals the ticket to the gateway (which replies with its number) or cancels."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in (*COMPLAINT_SLOTS, "complaint_confirm", "complaint_product")]
        if tracker.get_slot("complaint_confirm") != "yes":
            dispatcher.utter_message(response="utter_complaint_cancelled")
            return reset

        def value(slot: str) -> str | None:
            found = tracker.get_slot(slot)
            return None if found in (None, complaint.SKIPPED) else str(found)

        details = {
            "shop": value("complaint_shop"),
            "address": value("complaint_address"),
            "product": value("complaint_product"),
            "price": value("complaint_price"),
            "time": value("complaint_time"),
        }
        dispatcher.utter_message(response="utter_complaint_submitted")
        dispatcher.utter_message(
            json_message={
                "ticket": {
                    "category": tracker.get_slot("complaint_category") or "投诉",
                    "summary": value("complaint_what") or "",
                    "details": {k: v for k, v in details.items() if v},
                }
            }
        )
        return reset
