"""Passive replies: the XML WeChat shows the citizen, rendered by wechatpy with CDATA made safe."""

from __future__ import annotations

import re
import time

from wechatpy.replies import TextReply

from bot.wechat.inbound import Inbound

# Characters XML 1.0 cannot carry at all, even inside CDATA.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def escape_cdata(text: str) -> str:
    """wechatpy puts every field inside CDATA unescaped: a `]]>` would end the section early, and a control
    character would make the whole reply unreadable to WeChat. Applied to the account and openid echoed back
    too (the fuzz test found a push whose FromUserName broke the reply)."""
    return _XML_ILLEGAL.sub("", text).replace("]]>", "]]]]><![CDATA[>")


def text_reply(inbound: Inbound, text: str, now: float | None = None) -> str:
    reply = TextReply(
        source=escape_cdata(inbound.account),
        target=escape_cdata(inbound.openid),
        content=escape_cdata(text),
        time=int(now if now is not None else time.time()),
    )
    return str(reply.render())
