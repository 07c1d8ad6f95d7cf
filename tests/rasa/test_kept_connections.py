"""Rasa's calls to the action server reuse one connection instead of opening one per action."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("rasa")

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.storage.embedded import free_port
from rasa_server import kept_connections


async def _serve(peers: list[int], bodies: list[object] | None = None) -> tuple[web.AppRunner, int]:
    async def webhook(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        peers.append(peer[1] if peer else -1)
        if bodies is not None:
            bodies.append(await request.json())
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def test_actions_share_a_connection_and_idle_ones_are_dropped_before_the_server_drops_them() -> None:
    kept_connections.install()
    peers: list[int] = []

    async def main() -> None:
        runner, port = await _serve(peers)
        try:
            endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
            for _ in range(5):
                assert await endpoint.request(json={"next_action": "a"}, method="post") == {
                    "events": [], "responses": [],
                }  # fmt: skip
            # idle past the client's keep-alive: the connection is dropped, the next action opens one
            await asyncio.sleep(kept_connections.KEEPALIVE_SECONDS + 1.0)
            await endpoint.request(json={"next_action": "b"}, method="post")
        finally:
            await kept_connections.close_all()
            await runner.cleanup()

    asyncio.run(main())
    assert len(peers) == 6
    assert len(set(peers[:5])) == 1  # Rasa's own session: five connections
    assert peers[5] != peers[0]


def test_the_action_server_receives_the_tracker_as_sent() -> None:
    kept_connections.install()
    bodies: list[object] = []
    body = {"next_action": "action_answer_content", "tracker": {"events": [{"text": "口罩/预约", "t": 1.25}]}}

    async def main() -> None:
        runner, port = await _serve([], bodies)
        try:
            await EndpointConfig(url=f"http://127.0.0.1:{port}/webhook").request(json=body, method="post")
        finally:
            await kept_connections.close_all()
            await runner.cleanup()

    asyncio.run(main())
    assert bodies == [body]
