"""GET /healthz: whether the gateway's dependencies answer."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.appkeys import RASA, REDIS
from bot.storage.redis import redis_is_up


async def healthz(request: web.Request) -> web.Response:
    redis_ok, rasa_ok = await asyncio.gather(redis_is_up(request.app[REDIS]), request.app[RASA].is_ready())
    ok = redis_ok and rasa_ok
    return web.json_response(
        {"status": "ok" if ok else "degraded", "redis": redis_ok, "rasa": rasa_ok},
        status=200 if ok else 503,
    )
