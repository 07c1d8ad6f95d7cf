"""Connections to the action server kept open between actions instead of one new client per action.

Rasa's `EndpointConfig.request` opens a new aiohttp `ClientSession` (a connector, a TCP connection, the
handshake) for every custom action and closes it after: a turn runs one to three custom actions, and py-spy
at 50 msg/s found the connection set-up alone at 3.7 % of the Rasa server's time. Here each endpoint's
session is made once per event loop and kept, so its connections are reused.

The tracker each action is sent is written with `rasa_server.fast_json` (aiohttp's default is `json.dumps`).

Idle connections are dropped after `KEEPALIVE_SECONDS`, before the action server (Sanic, 5 s) drops them:
otherwise a request could go out on a connection the server is closing, and aiohttp does not send it again.
Rasa has no setting for this; `install` replaces `EndpointConfig.session` (Rasa 3.6), and `rasa_server`
installs it before Rasa's own command line runs.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import aiohttp
import rasa.core.run as rasa_run
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from rasa_server import fast_json

KEEPALIVE_SECONDS = 2.0  # under Sanic's KEEP_ALIVE_TIMEOUT (5 s) on the action server's side
_Key = tuple[str, tuple[tuple[str, str], ...], tuple[str, str] | None]  # url, headers, basic auth
# each with the loop it was made on: a session is only good on its own loop
_sessions: dict[_Key, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


class _Kept:
    """`async with` over a kept session: entering hands it out, leaving keeps it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None


def kept_session(endpoint: EndpointConfig) -> Any:
    """The endpoint's session on the running loop, made on first use; a closed one, or one made on another
    loop, is made again."""
    auth = endpoint.basic_auth or None
    loop = asyncio.get_running_loop()
    key: _Key = (
        str(endpoint.url),
        tuple(sorted((str(k), str(v)) for k, v in (endpoint.headers or {}).items())),
        (str(auth["username"]), str(auth["password"])) if auth else None,
    )
    made_on, session = _sessions.get(key, (None, None))
    if session is None or session.closed or made_on is not loop:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=fast_json.dumps,  # the tracker sent with every action
        )
        _sessions[key] = (loop, session)
    return _Kept(session)


async def close_all(*_: Any) -> None:
    """Close every kept session (the server's `after_server_stop`: no "Unclosed client session" at exit)."""
    while _sessions:
        _, (_, session) = _sessions.popitem()
        if not session.closed:
            await session.close()


def install() -> None:
    if getattr(EndpointConfig, "_front_door_kept_connections", False):
        return
    EndpointConfig.session = kept_session  # type: ignore[method-assign,assignment]
    configure_app = rasa_run.configure_app

    def configured(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        app.register_listener(close_all, "after_server_stop")
        return app

    rasa_run.configure_app = configured
    EndpointConfig._front_door_kept_connections = True  # type: ignore[attr-defined]
