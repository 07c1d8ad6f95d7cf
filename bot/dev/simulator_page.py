"""`/simulator`: a phone-style WeChat chat in the browser, for development only (never routed when
BOT_ENV=production). The page plays one citizen: what they type, the menu's buttons and images become pushes
built, signed and (with an EncodingAESKey) encrypted by the same WeChatSimulator the tests use, delivered to
this gateway's own /wechat with WeChat's 5-second cut-off and retries. Passive replies come back at once; the
outbox's customer-service messages are read from the local WeChat API fake, so an agent's reply typed in the
console arrives in the chat.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import jinja2
from aiohttp import web

from bot.appkeys import CRYPTO, HTTP, MENU, SETTINGS
from bot.wechat.simulator import Mode, WeChatSimulator, event_push, media_push, text_push

HERE = Path(__file__).parent
STATIC = HERE / "static"
ACCOUNT = "gh_12315simulator"
MAX_TEXT_CHARS = 2000  # WeChat's own input box stops near this many characters
KINDS = ("text", "click", "view", "image", "subscribe")
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
)


def add_simulator(app: web.Application) -> None:
    r = app.router
    r.add_get("/simulator", page)
    r.add_static("/simulator/static", STATIC)
    r.add_get("/simulator/api/menu", menu)
    r.add_post("/simulator/api/push", push)
    r.add_get("/simulator/api/sends", sends)


async def page(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    safe = request.app[CRYPTO] is not None
    html = _templates.get_template("simulator.html").render(
        mode="安全模式（加密）" if safe else "明文模式", appid=settings.wechat_appid
    )
    return web.Response(text=html, content_type="text/html")


async def menu(request: web.Request) -> web.Response:
    return web.json_response({"button": request.app[MENU].wechat.get("button", [])}, dumps=_dumps)


def _refuse(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400, dumps=_dumps)


def _push_xml(openid: str, body: dict[str, Any]) -> str | web.Response:
    """The push WeChat would send for what the citizen did, or a 400 saying what is wrong."""
    kind = body.get("kind")
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _refuse("text 不能为空")
        if len(text) > MAX_TEXT_CHARS:
            return _refuse(f"text 最多 {MAX_TEXT_CHARS} 字")
        return text_push(openid, ACCOUNT, text)
    if kind in ("click", "view"):
        key = body.get("key")
        if not isinstance(key, str) or not key:
            return _refuse("key 不能为空")
        return event_push(openid, ACCOUNT, kind.upper(), key)
    if kind == "image":
        # WeChat gives the gateway a MediaId, never the picture; the page keeps the picture to show it.
        return media_push(openid, ACCOUNT, "image", f"sim-{os.urandom(12).hex()}")
    if kind == "subscribe":
        return event_push(openid, ACCOUNT, "subscribe")
    return _refuse(f"kind 必须是 {', '.join(KINDS)} 之一")


async def push(request: web.Request) -> web.Response:
    # JSON only: another site's page can post a form or text/plain here without a CORS preflight, not JSON
    if request.content_type != "application/json":
        return _refuse("请求体必须是 JSON（Content-Type: application/json）")
    try:
        body = await request.json()
    except ValueError:
        return _refuse("请求体必须是 JSON")
    if not isinstance(body, dict):
        return _refuse("请求体必须是 JSON 对象")
    openid = body.get("openid")
    if not isinstance(openid, str) or not (8 <= len(openid) <= 64) or not openid.isascii():
        return _refuse("openid 必须是 8-64 个 ASCII 字符")
    xml = _push_xml(openid, body)
    if isinstance(xml, web.Response):
        return xml
    crypto = request.app[CRYPTO]
    citizen = WeChatSimulator(
        url=f"http://127.0.0.1:{_own_port(request)}/wechat",
        token=request.app[SETTINGS].wechat_token,
        openid=openid,
        account=ACCOUNT,
        mode=Mode.SAFE if crypto is not None else Mode.PLAIN,
        crypto=crypto,
    )
    started = time.monotonic()
    try:
        delivery = await citizen.deliver(request.app[HTTP], xml)
    except (RuntimeError, aiohttp.ClientError) as exc:
        return web.json_response({"error": f"网关拒绝了推送：{exc}"}, status=502, dumps=_dumps)
    return web.json_response(
        {
            "reply": delivery.reply,
            "statuses": delivery.statuses,  # one per delivery; null: WeChat's 5 s passed, it retried
            "ms": round((time.monotonic() - started) * 1000),
        },
        dumps=_dumps,
    )


def _own_port(request: web.Request) -> int:
    """The port this gateway accepted the request on: the pushes go to this very gateway, never to wherever a
    Host header points."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else request.app[SETTINGS].bot_port


async def sends(request: web.Request) -> web.Response:
    """The customer-service messages the local WeChat API fake recorded for one citizen."""
    openid = request.query.get("openid", "")
    if not openid:
        return _refuse("openid 不能为空")
    url = f"{request.app[SETTINGS].wechat_api_base}/_fake/sends"
    try:
        async with request.app[HTTP].get(
            url, params={"touser": openid}, timeout=aiohttp.ClientTimeout(total=5)
        ) as response:
            if response.status != 200:  # a real WeChat API: its sends cannot be read back
                return web.json_response({"available": False, "sends": []}, dumps=_dumps)
            recorded = await response.json()
    except (aiohttp.ClientError, TimeoutError):
        return web.json_response({"available": False, "sends": []}, dumps=_dumps)
    return web.json_response(
        {
            "available": True,
            "sends": [
                {"msgtype": s.get("msgtype"), "content": s.get("content"), "at": s.get("at")}
                for s in recorded
            ],
        },
        dumps=_dumps,
    )


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
