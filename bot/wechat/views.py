"""HTTP handlers for WeChat's callback URL. Thin: authenticate, decrypt, parse, route, reply."""

from __future__ import annotations

import logging
import time

import xmltodict
from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import CONTRACT, CONVERSATIONS, CRYPTO, DESK, MENU, METRICS, REDIS, SETTINGS
from bot.core import answers
from bot.core.intake import MEDIA_TYPES
from bot.logs import citizen
from bot.wechat import security
from bot.wechat.crypto import CryptoError
from bot.wechat.inbound import BadMessage, Inbound, parse_inbound
from bot.wechat.replies import text_reply
from bot.wechat.routing import Effect, route

log = logging.getLogger(__name__)

SUCCESS = "success"  # "received, nothing to show": WeChat stops retrying and shows the citizen nothing


async def verify(request: web.Request) -> web.Response:
    """GET: WeChat's server verification; echo `echostr` (plain even in safe mode) when signed."""
    try:
        security.check_signature(request.app[SETTINGS].wechat_token, request.query)
    except security.Refused as exc:
        log.warning("GET /wechat refused from %s: %s", request.remote, exc)
        raise web.HTTPForbidden(text=str(exc)) from exc
    return web.Response(text=request.query.get("echostr", ""))


async def receive(request: web.Request) -> web.Response:
    """POST: one push from WeChat, answered with a passive reply or `success`, never a 5xx."""
    arrived = time.perf_counter()
    metrics = request.app[METRICS]
    try:
        inbound, encrypted, body = await _authentic_push(request)
    except web.HTTPException as exc:
        metrics.push_rejected(exc.status)
        raise
    try:
        await _not_replayed(request, body)
    except web.HTTPException as exc:
        metrics.push_rejected(exc.status)
        raise
    except RedisError as exc:
        # The replay check needs Redis, and so does everything after it: nothing is recorded. The push is
        # signed and fresh, so the citizen is told to send it again rather than shown a 5xx.
        log.error("push from %s not checked for replay, Redis failed: %r", citizen(inbound.openid), exc)
        return _reply(request, inbound, encrypted, answers.NOT_RECORDED, arrived)
    metrics.push_received(inbound.msg_type)
    try:
        text = await _answer(request, inbound)
    except RedisError as exc:
        # Redis is gone past the client's retries. A message it had accepted is answered through the outbox
        # (the contract replies `success` then); this one was not recorded: say so, not a 5xx.
        log.error("push from %s not recorded, Redis failed: %r", citizen(inbound.openid), exc)
        text = answers.NOT_RECORDED
    return _reply(request, inbound, encrypted, text, arrived)


def _reply(
    request: web.Request, inbound: Inbound, encrypted: bool, text: str | None, arrived: float
) -> web.Response:
    metrics = request.app[METRICS]
    if text is None:
        metrics.replied(time.perf_counter() - arrived, passive=False)
        return web.Response(text=SUCCESS)
    xml = text_reply(inbound, text)
    if encrypted:
        crypto = request.app[CRYPTO]
        assert crypto is not None  # _decrypt refused the push otherwise
        xml = crypto.encrypt(xml, str(int(time.time())), request.query.get("nonce", ""))
    metrics.replied(time.perf_counter() - arrived, passive=True)
    return web.Response(text=xml, content_type="application/xml")


async def _authentic_push(request: web.Request) -> tuple[Inbound, bool, bytes]:
    """The push, parsed, whether it came encrypted, and its body; 403 when it is not WeChat's, 400 when
    unreadable. The replay check (`_not_replayed`) comes after, so that a Redis failure there can still be
    answered to the citizen the push names."""
    settings = request.app[SETTINGS]
    body = await request.read()  # over client_max_size: aiohttp answers 413 itself
    try:
        security.check_signature(settings.wechat_token, request.query)
        security.check_fresh(request.query, settings.timestamp_tolerance)
        encrypted = request.query.get("encrypt_type", "raw").lower() == "aes"
        inner = _decrypt(request, body) if encrypted else body
    except security.Refused as exc:
        log.warning("POST /wechat refused from %s: %s", request.remote, exc)
        raise web.HTTPForbidden(text=str(exc)) from exc
    except CryptoError as exc:
        log.warning("POST /wechat with an undecryptable body from %s: %s", request.remote, exc)
        if exc.forbidden:
            raise web.HTTPForbidden(text=str(exc)) from exc
        raise web.HTTPBadRequest(text=f"malformed WeChat push: {exc}") from exc
    try:
        return parse_inbound(inner), encrypted, body
    except BadMessage as exc:
        log.warning("POST /wechat with a malformed body: %s", exc)
        raise web.HTTPBadRequest(text=f"malformed WeChat push: {exc}") from exc


async def _not_replayed(request: web.Request, body: bytes) -> None:
    """403 for a used (timestamp, nonce) under another body; RedisError when Redis cannot tell."""
    try:
        await security.check_not_replayed(
            request.app[REDIS], request.query, body, request.app[SETTINGS].timestamp_tolerance
        )
    except security.Refused as exc:
        log.warning("POST /wechat refused from %s: %s", request.remote, exc)
        raise web.HTTPForbidden(text=str(exc)) from exc


def _decrypt(request: web.Request, body: bytes) -> bytes:
    crypto = request.app[CRYPTO]
    if crypto is None:
        raise CryptoError("an encrypted push, but WECHAT_AES_KEY is not configured")
    try:
        outer = xmltodict.parse(body)["xml"]
        encrypt = outer["Encrypt"]
    except Exception as exc:  # xmltodict raises several types for broken XML; all mean the same here
        raise CryptoError(f"no Encrypt field: {type(exc).__name__}") from exc
    if not isinstance(encrypt, str):
        raise CryptoError("no Encrypt field")
    q = request.query
    return crypto.decrypt(encrypt, q.get("msg_signature", ""), q.get("timestamp", ""), q.get("nonce", ""))


async def _answer(request: web.Request, inbound: Inbound) -> str | None:
    decision = route(inbound, request.app[MENU])
    conversations = request.app[CONVERSATIONS]
    if decision.effect is Effect.UNSUBSCRIBE:
        await conversations.unsubscribe(inbound.openid)
    elif decision.effect is Effect.RECORD_EVENT:
        await conversations.record_event(inbound.openid, inbound.event)
    if decision.silent:
        return None
    is_event = inbound.msg_type == "event"
    if await conversations.arrive(inbound.openid, is_event, inbound.dedupe_key):
        request.app[METRICS].throttled()  # neither queued for Rasa nor slowing the other citizens
        return answers.SLOW_DOWN
    if decision.ask_bot is None:
        if inbound.msg_type in MEDIA_TYPES and inbound.media_id:
            # evidence for a complaint being taken in is kept with it
            attached = await request.app[DESK].attach_media(
                inbound.openid, inbound.msg_type, inbound.media_id, inbound.create_time
            )
            return attached or decision.reply
        return decision.reply
    ready = await request.app[DESK].published_answer(decision.ask_bot) if is_event else None
    texts = await request.app[CONTRACT].reply(
        inbound.dedupe_key, inbound.openid, decision.ask_bot, is_event, inbound.create_time, ready
    )
    return texts[0] if texts else None
