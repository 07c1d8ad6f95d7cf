"""`make chat`: a citizen on WeChat, in the terminal. Each line is signed and delivered like WeChat does;
messages the bot sends later through the customer-service API (the outbox) are shown as they arrive,
read from the local WeChat API's record of sends."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import aiohttp

from bot.wechat.simulator import WeChatSimulator, text_push


async def show_outbox(session: aiohttp.ClientSession, api_base: str, openid: str) -> None:
    seen = 0
    while True:
        await asyncio.sleep(0.5)
        try:
            async with session.get(f"{api_base}/_fake/sends", params={"touser": openid}) as response:
                sends = await response.json() if response.status == 200 else []
        except (aiohttp.ClientError, TimeoutError, ValueError):
            continue
        for send in sends[seen:]:
            print(f"\n12315（客服消息）：{send.get('content')}\n你：", end="", flush=True)
        seen = max(seen, len(sends))


async def chat_loop(url: str, token: str, api_base: str) -> int:
    simulator = WeChatSimulator(url=url, token=token)
    print(f"模拟微信用户 {simulator.openid} → {url}")
    print("输入消息后回车发送；输入 /quit 或按 Ctrl-D 退出。")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        watcher = asyncio.create_task(show_outbox(session, api_base, simulator.openid))
        try:
            while True:
                try:
                    line = await asyncio.to_thread(input, "你：")
                except (EOFError, KeyboardInterrupt):
                    print()
                    return 0
                if line.strip() == "/quit":
                    return 0
                try:
                    push = text_push(simulator.openid, simulator.account, line)
                    delivery = await simulator.deliver(session, push)
                except (aiohttp.ClientError, RuntimeError) as exc:
                    print(f"[发送失败] {exc}", file=sys.stderr)
                    continue
                if delivery.reply is not None:
                    print(f"12315：{delivery.reply}")
                elif delivery.deliveries:
                    print(f"（{delivery.deliveries} 次投递后网关回复 success：答复将以客服消息发送）")
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
