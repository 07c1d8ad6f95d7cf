"""Run an aiohttp app on a real local port inside the test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from bot.logs import AccessLog
from bot.storage.embedded import free_port


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Yields the base URL; the app is cleaned up on exit. Requests are logged as `python -m bot serve`
    logs them (by route: no openid or token from a URL reaches the log)."""
    port = free_port()
    runner = web.AppRunner(app, access_log_class=AccessLog)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
