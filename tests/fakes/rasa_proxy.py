"""A pass-through proxy in front of the real Rasa server that can make it slow on purpose and counts
the messages that reach it. Rasa itself stays real: every answer comes from the trained model."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
from aiohttp import web


class RasaProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.delay = 0.0
        self.down = False  # answer like a Rasa that cannot be reached (502), without forwarding
        self.slow_texts: dict[str, float] = {}  # text -> its own delay, instead of `delay`
        self.messages: Counter[str] = Counter()  # sender -> REST messages forwarded
        self.forwarded: list[tuple[str, str]] = []  # (sender, text) in the order they reached Rasa
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.forward)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def forward(self, request: web.Request) -> web.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        body = await request.read()
        if self.down:
            return web.Response(status=502, text="Rasa is down (test)")
        if request.path == "/webhooks/rest/webhook":
            message = await request.json()
            sender, text = message.get("sender", ""), message.get("message", "")
            self.messages[sender] += 1
            await asyncio.sleep(self.slow_texts.get(text, self.delay))
            self.forwarded.append((sender, text))
        async with self._session.request(
            request.method,
            f"{self.upstream}{request.path_qs}",
            data=body,
            headers={"Content-Type": "application/json"},
        ) as upstream:
            return web.Response(
                body=await upstream.read(), status=upstream.status, content_type="application/json"
            )
