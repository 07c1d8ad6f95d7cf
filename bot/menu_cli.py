"""`python -m bot menu check | push`: validate content/menu.yml, and publish it through WeChat's API."""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
import redis.asyncio as aioredis

from bot.settings import Settings
from bot.storage.embedded import EmbeddedRedis
from bot.storage.tokens import TokenStore
from bot.wechat.api import WeChatAPI, WeChatError, WeChatUnreachable
from bot.wechat.menu import Menu, MenuError, load_menu


async def push_menu(settings: Settings, menu: Menu) -> None:
    """Publish through the shared token in Redis (REDIS_URL), so no running gateway loses its token."""
    embedded = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.var_dir / "menu-redis", appendonly=False)
        await asyncio.to_thread(embedded.start)
        url = embedded.url
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        async with aiohttp.ClientSession() as session:
            api = WeChatAPI(
                session, settings.wechat_api_base, settings.wechat_appid, settings.wechat_secret,
                TokenStore(client), stable_token=settings.wechat_stable_token,
            )  # fmt: skip
            await api.create_menu(menu.wechat)
    finally:
        await client.aclose()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


def menu_command(action: str, settings: Settings) -> int:
    try:
        menu = load_menu(settings.menu_path)
    except MenuError as exc:
        print(f"菜单无效 / invalid menu: {exc}", file=sys.stderr)
        return 1
    if action == "check":
        print(json.dumps(menu.wechat, ensure_ascii=False, indent=2))
        print(f"{settings.menu_path}: valid ({len(menu.click_intents)} click buttons)")
        return 0
    try:
        asyncio.run(push_menu(settings, menu))
    except (WeChatError, WeChatUnreachable) as exc:
        print(f"push failed: {exc}", file=sys.stderr)
        return 1
    print(f"menu pushed to {settings.wechat_api_base}")
    return 0
