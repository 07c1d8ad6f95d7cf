"""The app factory: wiring, cleanup contexts, routes."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bot.appkeys import (
    AGENTS,
    CANNED,
    CONTRACT,
    CONVERSATIONS,
    CRYPTO,
    DESK,
    HTTP,
    MENU,
    METRICS,
    RASA,
    REDIS,
    SETTINGS,
    STREAMS,
    WECHAT_API,
)
from bot.console.routes import add_console
from bot.console.security import security_headers
from bot.contract import Contract, ContractTiming, Waiters, listen_for_answers
from bot.core import answers
from bot.core.content import ContentInvalid
from bot.core.quota import QuotaRule, QuotaRules
from bot.core.shifts import parse_shifts
from bot.desk import HelpDesk
from bot.dev.simulator_page import add_simulator
from bot.files import read_yaml_mapping
from bot.health import healthz
from bot.metrics import Metrics
from bot.metrics_endpoint import scrape
from bot.rasa.client import RasaClient
from bot.settings import Settings
from bot.storage.agents import AgentStore
from bot.storage.content import ContentError, load_content
from bot.storage.conversations import Conversations
from bot.storage.intake import IntakeStore
from bot.storage.messages import MessageStore
from bot.storage.redis import redis_context
from bot.storage.tickets import TicketStore
from bot.storage.tokens import TokenStore
from bot.storage.turnlog import TurnLog
from bot.wechat import views as wechat_views
from bot.wechat.api import WeChatAPI
from bot.wechat.crypto import MessageCrypto
from bot.wechat.menu import load_menu
from bot.workers.inbox import InboxWorker
from bot.workers.memory import HeapTrimmer
from bot.workers.outbox import OutboxPolicy, OutboxSender
from bot.workers.tasks import TaskSet

log = logging.getLogger(__name__)


async def http_context(app: web.Application) -> AsyncIterator[None]:
    """One client session for every outbound call (Rasa, WeChat's API)."""
    settings = app[SETTINGS]
    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30), connector=aiohttp.TCPConnector(limit=100)
    )
    app[HTTP] = session
    app[RASA] = RasaClient(session, settings.rasa_url, settings.rasa_token, app[METRICS])
    app[WECHAT_API] = WeChatAPI(
        session,
        settings.wechat_api_base,
        settings.wechat_appid,
        settings.wechat_secret,
        TokenStore(app[REDIS]),
        stable_token=settings.wechat_stable_token,
    )
    try:
        yield
    finally:
        await session.close()


async def domain_context(app: web.Application) -> AsyncIterator[None]:
    """The contract and the conversation records, over the shared Redis."""
    settings = app[SETTINGS]
    rules = QuotaRules(
        after_message=QuotaRule(settings.quota_message_sends, int(settings.quota_message_hours * 3600)),
        after_event=QuotaRule(settings.quota_event_sends, settings.quota_event_seconds),
    )
    try:
        loaded = await load_content(app[REDIS], settings.content_path, overwrite=False)
    except (ContentError, ContentInvalid) as exc:  # what Redis holds is still served; missing parts say so
        log.error("content file %s not loaded, nothing changed: %s", settings.content_path, exc)
        loaded = []
    if loaded:
        log.info("content sections loaded into Redis from %s: %s", settings.content_path, ", ".join(loaded))
    app[CONVERSATIONS] = Conversations(app[REDIS], rules, flood_per_minute=settings.flood_per_minute)
    app[CONTRACT] = Contract(
        MessageStore(app[REDIS], ttl=settings.message_retention),
        Waiters(),
        ContractTiming(
            budget=settings.reply_budget, poll=settings.reply_budget, admit_wait=settings.admit_wait
        ),
        app[METRICS],
        TurnLog(app[REDIS]),
    )
    app[AGENTS] = AgentStore(app[REDIS])
    timezone = ZoneInfo(settings.timezone)
    app[DESK] = HelpDesk(
        app[REDIS],
        TicketStore(
            app[REDIS],
            escalate_after=settings.escalate_after,
            timezone=timezone,
            retention_seconds=int(settings.ticket_retention_days * 86400),
        ),
        app[AGENTS],
        app[RASA],
        parse_shifts(read_yaml_mapping(settings.shifts_path, ValueError)),
        timezone,
        IntakeStore(app[REDIS], idle_seconds=settings.complaint_idle_seconds),
        rasa_timeout=settings.rasa_timeout,
    )
    yield


async def workers_context(app: web.Application) -> AsyncIterator[None]:
    """The inbox worker, the outbox sender and the sweeper of this process, stopped on shutdown."""
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    contract, desk = app[CONTRACT], app[DESK]
    # The inbox worker wakes this process's deliveries itself; other gateways hear it on the channel.
    inbox = InboxWorker(
        app[REDIS],
        MessageStore(app[REDIS], ttl=app[SETTINGS].message_retention),
        desk.answer,
        consumer,
        on_finished=contract.waiters.notify,
        turn_timeout=app[SETTINGS].rasa_timeout + 5,
        # within the message's retention, so its record is still there to send the apology through
        give_up_after=max(60.0, app[SETTINGS].message_retention - 600),
        gave_up=[answers.GAVE_UP],
        behind_held_notice=[answers.RECORDED],
        out_of_turn=desk.out_of_turn,
    )
    outbox = OutboxSender(
        app[REDIS], app[WECHAT_API], app[CONVERSATIONS], consumer,
        OutboxPolicy(sent_marker_seconds=app[SETTINGS].message_retention), on_refused=desk.on_refused,
        metrics=app[METRICS],
    )  # fmt: skip
    tasks = TaskSet()
    tasks.spawn(_forever("inbox worker", inbox.run), "inbox worker")
    tasks.spawn(_forever("outbox sender", outbox.run), "outbox sender")
    tasks.spawn(_forever("sweeper", lambda: _sweep(contract)), "sweeper")
    tasks.spawn(
        _forever("answer listener", lambda: listen_for_answers(app[REDIS], contract.waiters)),
        "answer listener",
    )
    tasks.spawn(_forever("ticket timers", desk.escalate_forever), "ticket timers")
    tasks.spawn(_forever("intake timers", desk.file_abandoned_forever), "intake timers")
    # not _forever: where there is nothing to trim (no glibc) it returns at once and stays returned
    tasks.spawn(HeapTrimmer.for_this_process().run(), "heap trimmer")
    try:
        yield
    finally:
        await tasks.close()


async def _sweep(contract: Contract) -> None:
    while True:
        await contract.sweep()
        await asyncio.sleep(1)


async def _forever(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Restart a worker loop after an error (Redis restarting, say); it resumes from Redis."""
    while True:
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; restarting in 1 s", name)
            await asyncio.sleep(1)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=[security_headers])
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[CANNED] = list(read_yaml_mapping(settings.canned_path, ValueError).get("canned") or [])
    app[STREAMS] = set()
    app[MENU] = load_menu(settings.menu_path)
    app[CRYPTO] = (
        MessageCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
        if settings.wechat_aes_key
        else None
    )
    app.cleanup_ctx.append(redis_context)
    app.cleanup_ctx.append(http_context)
    app.cleanup_ctx.append(domain_context)
    app.cleanup_ctx.append(workers_context)
    app.router.add_get("/wechat", wechat_views.verify)
    app.router.add_post("/wechat", wechat_views.receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
    add_console(app)
    if settings.environment == "development":  # never routed in production
        add_simulator(app)
    return app
