"""Asyncio Redis clients for the Rasa server's stores, one per event loop.

Rasa awaits its tracker store, lock store and (through our tracker store) turn log, but Rasa's Redis stores
use redis-py's synchronous client, which holds the event loop for every round trip. With every parse cached,
py-spy found the Rasa server waiting on Redis replies for 27 % of its time (five round trips a turn), time in
which no other citizen's turn could run; under load that wait grows, since Redis needs a core to answer.
With an asyncio client the loop runs other turns meanwhile.

An asyncio connection belongs to the loop that opened it, so each loop gets its own client: Rasa runs one
loop per worker, the tests several in turn or in threads.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import redis.asyncio

Made = TypeVar("Made")


class PerLoop(Generic[Made]):
    """What `make` builds, once for each running event loop (dropped once its loop is closed)."""

    def __init__(self, make: Callable[[], Made]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Made] = weakref.WeakKeyDictionary()

    def get(self) -> Made:
        loop = asyncio.get_running_loop()
        made = self._made.get(loop)
        if made is None:
            # A client's connections refer to their loop, so a closed loop is never collected on its own.
            for closed in [known for known in self._made if known.is_closed()]:
                del self._made[closed]
            made = self._made[loop] = self._make()
        return made


def _retrieved(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # a failure was already handled by the awaiter, or is dropped on purpose


_running: set[asyncio.Future[Any]] = set()  # asyncio keeps only weak references to tasks


def keep_until_done(step: Awaitable[Any]) -> asyncio.Future[Any]:
    """Run `step` in the background, holding it until it ends; its errors are its own to handle."""
    task = asyncio.ensure_future(step)
    _running.add(task)
    task.add_done_callback(_running.discard)
    task.add_done_callback(_retrieved)
    return task


async def finish_even_if_cancelled(step: Awaitable[Any]) -> Any:
    """Run `step` to its end even when the awaiting turn is cancelled (a citizen's request timed out), and
    pass the cancellation on only after it: a synchronous save could not be cut off half-way, nor overtaken
    by the next turn, which may start as soon as this turn's lock is given back. A Redis error is raised to
    the awaiter."""
    task = keep_until_done(step)
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task})  # a cancellation ends this wait, not the task
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
    return task.result()


def client(
    *,
    host: str,
    port: int,
    db: int,
    username: str | None = None,
    password: str | None = None,
    ssl: bool = False,
    socket_timeout: float | None = None,
    **ssl_files: Any,
) -> redis.asyncio.Redis:
    """An asyncio client with the settings Rasa's synchronous stores take from endpoints.yml."""
    extra = {name: value for name, value in ssl_files.items() if value is not None} if ssl else {}
    return redis.asyncio.Redis(
        host=host,
        port=port,
        db=db,
        username=username,
        password=password,
        ssl=ssl,
        socket_timeout=socket_timeout,
        **extra,
    )
