"""Client for the Rasa server's HTTP API: the REST channel and the status route."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.metrics import Metrics


class RasaUnavailable(RuntimeError):
    """Rasa did not answer in time or answered with an error.

    `kind` says which, for the metrics: timeout, unreachable, http_status or bad_response."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class BotTurn:
    """What Rasa answered to one message: texts to show, and custom payloads (handoff signals)."""

    texts: tuple[str, ...]
    custom: tuple[dict[str, Any], ...] = field(default=())


def turn_from_rest(messages: list[dict[str, Any]]) -> BotTurn:
    texts: list[str] = []
    custom: list[dict[str, Any]] = []
    for message in messages:
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            texts.append(text)
        payload = message.get("custom")
        if isinstance(payload, dict):
            custom.append(payload)
    return BotTurn(texts=tuple(texts), custom=tuple(custom))


class RasaClient:
    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str, metrics: Metrics | None = None
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._metrics = metrics or Metrics()

    async def send(self, sender: str, text: str, timeout: float, sent_at: int = 0) -> BotTurn:
        """Post one citizen message to the REST channel; the sender id is the citizen's openid.

        `sent_at` (WeChat's CreateTime) goes in the message's metadata, where Rasa's turn log reads it."""
        message: dict[str, Any] = {"sender": sender, "message": text}
        if sent_at:
            message["metadata"] = {"sent_at": sent_at}
        body = await self._call("message", "POST", "/webhooks/rest/webhook", timeout, json=message)
        if not isinstance(body, list):
            self._metrics.rasa_failed("message", "bad_response")
            raise RasaUnavailable("Rasa answered something other than a list of messages", "bad_response")
        return turn_from_rest([m for m in body if isinstance(m, dict)])

    async def tracker(self, sender: str, timeout: float = 5.0) -> dict[str, Any]:
        """The conversation so far (events since the last restart), for a ticket's transcript."""
        params = {"token": self._token, "include_events": "AFTER_RESTART"}
        body = await self._call("tracker", "GET", f"/conversations/{sender}/tracker", timeout, params=params)
        return body if isinstance(body, dict) else {}

    async def add_event(self, sender: str, event: str, timeout: float = 5.0) -> None:
        """Append an event (`pause`, `resume`) to the citizen's tracker."""
        path = f"/conversations/{sender}/tracker/events"
        await self._call(
            "events", "POST", path, timeout, params={"token": self._token}, json={"event": event}
        )

    async def add_events(self, sender: str, events: list[dict[str, Any]], timeout: float = 5.0) -> None:
        """Append several events at once (ending a form: the loop and its slots)."""
        path = f"/conversations/{sender}/tracker/events"
        await self._call("events", "POST", path, timeout, params={"token": self._token}, json=events)

    async def _call(
        self,
        call: str,
        method: str,
        path: str,
        timeout: float,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | list[dict[str, Any]] | None = None,
    ) -> Any:
        """One request to Rasa, timed and, when it fails, counted under `call` (see bot/metrics.py)."""
        started = time.perf_counter()
        try:
            return await self._request(method, path, timeout, params, json)
        except RasaUnavailable as exc:
            self._metrics.rasa_failed(call, exc.kind)
            raise
        finally:
            self._metrics.rasa_called(call, time.perf_counter() - started)

    async def _request(
        self,
        method: str,
        path: str,
        timeout: float,
        params: dict[str, str] | None,
        json: dict[str, Any] | list[dict[str, Any]] | None,
    ) -> Any:
        try:
            async with self._session.request(
                method,
                f"{self._base_url}{path}",
                params=params,
                json=json,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}", "http_status")
                return await response.json(content_type=None)
        except TimeoutError as exc:
            raise RasaUnavailable("Rasa did not answer in time", "timeout") from exc
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(f"Rasa did not answer: {type(exc).__name__}", "unreachable") from exc
        except ValueError as exc:
            raise RasaUnavailable(f"Rasa's answer is not JSON: {type(exc).__name__}", "bad_response") from exc

    async def is_ready(self, timeout: float = 2.0) -> bool:
        """True when the server answers and has a model loaded."""
        try:
            async with self._session.get(
                f"{self._base_url}/status",
                params={"token": self._token},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                if response.status != 200:
                    return False
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False
        return isinstance(body, dict) and bool(body.get("model_file"))
