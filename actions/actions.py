"""Custom actions: thin and stateless; anything durable belongs to the gateway."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

HANDOFF_REASON_REQUEST_HUMAN = "request_human"


class ActionHandoff(Action):
    """Tells the citizen a person is coming and signals the handoff to the gateway.

    The gateway reads the ``{"handoff": ...}`` custom payload, creates the ticket and
    owns the conversation mode from then on; this action never touches tickets.
    """

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        intent = tracker.latest_message.get("intent") or {}
        dispatcher.utter_message(response="utter_handoff")
        dispatcher.utter_message(
            json_message={
                "handoff": {
                    "reason": HANDOFF_REASON_REQUEST_HUMAN,
                    "intent": intent.get("name"),
                    "confidence": float(intent.get("confidence") or 0.0),
                }
            }
        )
        return []
