"""Passive replies: the XML WeChat shows the citizen, rendered by wechatpy with CDATA made safe."""

from __future__ import annotations

import time

from wechatpy.replies import TextReply

from bot.wechat.inbound import Inbound


def escape_cdata(text: str) -> str:
    """wechatpy puts text inside CDATA unescaped: a citizen's `]]>` would end the section early."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def text_reply(inbound: Inbound, text: str, now: float | None = None) -> str:
    reply = TextReply(
        source=inbound.account,
        target=inbound.openid,
        content=escape_cdata(text),
        time=int(now if now is not None else time.time()),
    )
    return str(reply.render())
