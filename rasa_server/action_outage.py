"""An action server that cannot answer fails the turn instead of being skipped, so the message is kept.

Rasa logs an exception from a custom action ("Bot will continue, but the actions events are lost") and
goes on: the citizen gets a half answer or none, and the message is spent. Here a custom action that could
not be run (the action server down, or answering 5xx) ends the turn before the tracker is saved, and the
REST channel's reply carries `{"custom": {"retry": "actions"}}`: the gateway keeps the message and sends it
again when the action server is back (bot/desk.py), and the tracker holds it once. A 400 (the action
rejected itself) is Rasa's normal flow and is left alone.
"""

from __future__ import annotations

import contextvars
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.core.processor import MessageProcessor
from rasa.shared.exceptions import RasaException

RETRY_PAYLOAD = {"retry": "actions"}
_failures: contextvars.ContextVar[list[str]] = contextvars.ContextVar("action_failures")


class ActionServerUnavailable(RasaException):
    """A custom action could not be run: the turn is abandoned unsaved, to be sent again."""


def install() -> None:
    if getattr(MessageProcessor, "_front_door_action_outage", False):
        return
    remote_run = RemoteAction.run
    run_action = MessageProcessor._run_action

    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        try:
            return await remote_run(self, *args, **kwargs)
        except RasaException:
            failures = _failures.get(None)
            if failures is not None:
                failures.append(self.name())
            raise

    async def _run_action(self: MessageProcessor, action: Any, tracker: Any, output_channel: Any,
                          nlg: Any, prediction: Any) -> bool:  # fmt: skip
        failures: list[str] = []
        token = _failures.set(failures)
        try:
            result = await run_action(self, action, tracker, output_channel, nlg, prediction)
        finally:
            _failures.reset(token)
        if failures:
            await output_channel.send_custom_json(tracker.sender_id, RETRY_PAYLOAD)
            raise ActionServerUnavailable(f"custom action {', '.join(failures)} could not be run")
        return bool(result)

    RemoteAction.run = run  # type: ignore[method-assign]
    MessageProcessor._run_action = _run_action  # type: ignore[method-assign]
    MessageProcessor._front_door_action_outage = True  # type: ignore[attr-defined]
