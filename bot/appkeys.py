"""Typed application keys: what the app factory puts into the app and handlers read back."""

from __future__ import annotations

from asyncio import Task
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from bot.contract import Contract
from bot.desk import HelpDesk
from bot.metrics import Metrics
from bot.rasa.client import RasaClient
from bot.settings import Settings
from bot.storage.agents import AgentStore
from bot.storage.conversations import Conversations
from bot.wechat.api import WeChatAPI
from bot.wechat.crypto import MessageCrypto
from bot.wechat.menu import Menu

SETTINGS = web.AppKey("settings", Settings)
MENU = web.AppKey("menu", Menu)
CRYPTO: web.AppKey[MessageCrypto | None] = web.AppKey("crypto")  # None: plain mode only
REDIS = web.AppKey("redis", aioredis.Redis)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", RasaClient)
WECHAT_API = web.AppKey("wechat_api", WeChatAPI)
CONVERSATIONS = web.AppKey("conversations", Conversations)
CONTRACT = web.AppKey("contract", Contract)
DESK = web.AppKey("desk", HelpDesk)
AGENTS = web.AppKey("agents", AgentStore)
CANNED: web.AppKey[list[dict[str, str]]] = web.AppKey("canned")
METRICS = web.AppKey("metrics", Metrics)  # this app's own registry: several apps in one process count apart
STREAMS: web.AppKey[set[Task[Any]]] = web.AppKey("streams")  # open SSE handlers, cancelled on shutdown
