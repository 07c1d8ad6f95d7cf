"""A local stand-in for WeChat's API (api.weixin.qq.com): records every send, answers with WeChat's
error codes on demand, or hangs. `make run` starts it when no real WECHAT_APPID is configured; tests
run it in-process.

Control routes (not WeChat's): GET /_fake/sends[?touser=], POST /_fake/script {"results": [...]} where each
result is an errcode (0 for success) or {"hang": seconds}, POST /_fake/expire_tokens, POST /_fake/reset,
GET /_fake/stats.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import time
from typing import Any

from aiohttp import web

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40014: "invalid access_token",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    42001: "access_token expired",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
}
_escaped_cjk = re.compile(r"\\u[4-9a-f][0-9a-f]{3}", re.IGNORECASE)


class FakeWeChat:
    def __init__(self, appid: str, secret: str) -> None:
        self.appid = appid
        self.secret = secret
        self.reset()

    def reset(self) -> None:
        self.sends: list[dict[str, Any]] = []
        self.menus: list[dict[str, Any]] = []
        self.script: list[Any] = []
        self.token_fetches = 0
        self.send_attempts = 0
        self.valid_tokens: set[str] = set()
        self._serial = itertools.count(1)

    def issue_token(self, keep_previous: bool) -> str:
        token = f"fake-token-{next(self._serial)}"
        self.valid_tokens = ({*self.valid_tokens} if keep_previous else set()) | {token}
        self.token_fetches += 1
        return token

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/stable_token", self.stable_token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom_send)
        app.router.add_post("/cgi-bin/message/custom/typing", self.typing)
        app.router.add_post("/cgi-bin/menu/create", self.menu_create)
        app.router.add_get("/_fake/sends", self.list_sends)
        app.router.add_post("/_fake/script", self.set_script)
        app.router.add_post("/_fake/expire_tokens", self.expire_tokens)
        app.router.add_post("/_fake/reset", self.reset_route)
        app.router.add_get("/_fake/stats", self.stats)
        return app

    @staticmethod
    def error(errcode: int) -> web.Response:
        return web.json_response({"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error")})

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("appid") != self.appid or q.get("secret") != self.secret:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        # A plain fetch invalidates the previous token (WeChat keeps a 5-minute overlap; we keep none
        # so that a process using a stale token is caught).
        return web.json_response({"access_token": self.issue_token(keep_previous=False), "expires_in": 7200})

    async def stable_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("appid") != self.appid or body.get("secret") != self.secret:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if self.valid_tokens and not body.get("force_refresh"):
            token = sorted(self.valid_tokens)[-1]
        else:
            token = self.issue_token(keep_previous=False)
        return web.json_response({"access_token": token, "expires_in": 7200})

    def _authorised(self, request: web.Request) -> int:
        token = request.query.get("access_token", "")
        if not token:
            return 41001
        return 0 if token in self.valid_tokens else 40001

    async def custom_send(self, request: web.Request) -> web.Response:
        self.send_attempts += 1
        if code := self._authorised(request):
            return self.error(code)
        raw = await request.read()
        text = raw.decode("utf-8")
        if _escaped_cjk.search(text):
            return self.error(40033)
        if self.script:
            result = self.script.pop(0)
            if isinstance(result, dict) and "hang" in result:
                await asyncio.sleep(float(result["hang"]))
            elif int(result) != 0:
                return self.error(int(result))
        body = json.loads(text)
        self.sends.append(
            {
                "touser": body.get("touser"),
                "msgtype": body.get("msgtype"),
                "content": (body.get("text") or {}).get("content"),
                "at": time.time(),
            }
        )
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def typing(self, request: web.Request) -> web.Response:
        if code := self._authorised(request):
            return self.error(code)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def menu_create(self, request: web.Request) -> web.Response:
        if code := self._authorised(request):
            return self.error(code)
        raw = (await request.read()).decode("utf-8")
        if _escaped_cjk.search(raw):
            return self.error(40033)
        self.menus.append(json.loads(raw))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def list_sends(self, request: web.Request) -> web.Response:
        touser = request.query.get("touser")
        sends = [s for s in self.sends if touser is None or s["touser"] == touser]
        return web.json_response(sends, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def set_script(self, request: web.Request) -> web.Response:
        self.script = list((await request.json())["results"])
        return web.json_response({"ok": True})

    async def expire_tokens(self, request: web.Request) -> web.Response:
        self.valid_tokens = set()
        return web.json_response({"ok": True})

    async def reset_route(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"token_fetches": self.token_fetches, "send_attempts": self.send_attempts, "menus": self.menus},
            dumps=lambda o: json.dumps(o, ensure_ascii=False),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="local fake of WeChat's API")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--appid", default="wx0000000000012315")
    parser.add_argument("--secret", default="dev-secret-12315")
    args = parser.parse_args()
    web.run_app(FakeWeChat(args.appid, args.secret).app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
