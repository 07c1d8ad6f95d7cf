"""Server-sent events: every ticket change, live, to each open console; also the agent's presence."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from bot.appkeys import AGENTS, REDIS, STREAMS
from bot.console.security import HEADERS, SESSION, Can, requires
from bot.storage import keys

HEARTBEAT = 15.0  # seconds; keeps proxies from closing the stream and the agent counted online


@requires(Can.WORK_TICKETS)
async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"} | HEADERS
    )
    await response.prepare(request)
    me = request[SESSION].agent.agent_id
    agents = request.app[AGENTS]
    task = asyncio.current_task()
    if task is not None:
        request.app[STREAMS].add(task)  # cancelled on shutdown: an open console must not hold it up
    pubsub = request.app[REDIS].pubsub()
    await pubsub.subscribe(keys.desk_events())
    try:
        await response.write(b"retry: 2000\n\n")
        beat = 0.0
        while True:
            if time.monotonic() - beat >= HEARTBEAT:
                await agents.heartbeat(me)
                await response.write(b": heartbeat\n\n")
                beat = time.monotonic()
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None:
                await response.write(f"event: ticket\ndata: {message['data']}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the agent closed the page, or the gateway is stopping
    finally:
        if task is not None:
            request.app[STREAMS].discard(task)
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
    return response


async def close_streams(app: web.Application) -> None:
    streams = app[STREAMS]
    for task in tuple(streams):
        task.cancel()
