"""A WeChat push simulator: builds, signs and (in safe mode) encrypts pushes exactly as WeChat's servers
do, and delivers them with WeChat's retry timing (5 s per delivery, three deliveries in all).

Used by `make chat` and by the tests. It is the only fake of WeChat's push side.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from dataclasses import dataclass, field
from enum import Enum
from xml.etree import ElementTree

import aiohttp

from bot.wechat import signature
from bot.wechat.crypto import MessageCrypto

_msg_ids = itertools.count(int(time.time() * 1000) * 1000)


class Mode(Enum):
    PLAIN = "plain"  # 明文
    COMPATIBLE = "compatible"  # 兼容: plain fields and Encrypt side by side
    SAFE = "safe"  # 安全: Encrypt only, and the reply must be encrypted


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def push_xml(fields: dict[str, str | int]) -> str:
    """A push with WeChat's layout: strings in CDATA, numbers bare."""
    nodes = "".join(
        f"<{name}>{value}</{name}>" if isinstance(value, int) else f"<{name}>{cdata(value)}</{name}>"
        for name, value in fields.items()
    )
    return f"<xml>{nodes}</xml>"


def _created(create_time: int | None) -> int:
    """WeChat's CreateTime: now, unless a caller plays a message sent at another time (demo data)."""
    return int(time.time()) if create_time is None else create_time


def text_push(
    openid: str, account: str, content: str, msg_id: int | None = None, create_time: int | None = None
) -> str:
    return push_xml(
        {
            "ToUserName": account,
            "FromUserName": openid,
            "CreateTime": _created(create_time),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id if msg_id is not None else next(_msg_ids),
        }
    )


def media_push(
    openid: str,
    account: str,
    msg_type: str,
    media_id: str,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    """An image, voice or file message: WeChat sends its MediaId, not the content."""
    return push_xml(
        {
            "ToUserName": account,
            "FromUserName": openid,
            "CreateTime": _created(create_time),
            "MsgType": msg_type,
            "MediaId": media_id,
            "MsgId": msg_id if msg_id is not None else next(_msg_ids),
        }
    )


def event_push(
    openid: str, account: str, event: str, event_key: str | None = None, create_time: int | None = None
) -> str:
    fields: dict[str, str | int] = {
        "ToUserName": account,
        "FromUserName": openid,
        "CreateTime": _created(create_time),
        "MsgType": "event",
        "Event": event,
    }
    if event_key is not None:
        fields["EventKey"] = event_key
    return push_xml(fields)


def signed_query(token: str, openid: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = str(random.randint(10**8, 10**10))
    return {
        "signature": signature.sign(token, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
        "openid": openid,
    }


def _fields(xml: str) -> dict[str, str]:
    """The top-level fields of a WeChat XML message. ElementTree's C parser: the benchmark's load generator
    shares the cores with what it measures, and xmltodict's Python handlers were a tenth of its time."""
    root = ElementTree.fromstring(xml)
    if root.tag != "xml":
        raise ValueError(f"not a WeChat message: <{root.tag}>")
    return {child.tag: child.text or "" for child in root}


def reply_text(body: str) -> str | None:
    """The Content of a passive text reply, or None for `success` / an empty body."""
    if body.strip() in ("", "success"):
        return None
    return _fields(body).get("Content", "")


@dataclass
class Delivery:
    """What WeChat saw: the passive reply (None for `success`), and each delivery's HTTP status."""

    reply: str | None
    statuses: list[int | None] = field(default_factory=list)  # None: timed out

    @property
    def deliveries(self) -> int:
        return len(self.statuses)


@dataclass
class WeChatSimulator:
    """One citizen on one official account, talking to a gateway's callback URL."""

    url: str
    token: str
    openid: str = "o_demo_citizen_0001"
    account: str = "gh_12315demo"
    mode: Mode = Mode.PLAIN
    crypto: MessageCrypto | None = None
    timeout: float = 5.0  # WeChat drops a delivery after 5 s ...
    attempts: int = 3  # ... and tries three times in all

    def sign(self, xml: str) -> tuple[dict[str, str], bytes]:
        """Query and body of one push, encrypted as the account's mode requires."""
        query = signed_query(self.token, self.openid)
        if self.mode is Mode.PLAIN:
            return query, xml.encode("utf-8")
        if self.crypto is None:
            raise ValueError("compatible and safe mode need the account's MessageCrypto")
        envelope = _fields(self.crypto.encrypt(xml, query["timestamp"], query["nonce"]))
        encrypt = envelope["Encrypt"]
        query |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
        if self.mode is Mode.SAFE:
            outer = push_xml({"ToUserName": self.account, "Encrypt": encrypt})
        else:
            outer = xml.replace("</xml>", f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>")
        return query, outer.encode("utf-8")

    def open_reply(self, body: str, query: dict[str, str]) -> str | None:
        """The citizen-visible text of a reply, decrypting and checking it in safe/compatible mode."""
        if body.strip() in ("", "success") or query.get("encrypt_type") != "aes":
            return reply_text(body)
        assert self.crypto is not None
        envelope = _fields(body)
        inner = self.crypto.decrypt(
            envelope["Encrypt"], envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        return reply_text(inner.decode("utf-8"))

    async def deliver(self, session: aiohttp.ClientSession, xml: str) -> Delivery:
        """Deliver one push the way WeChat does: the same push again after each 5-second timeout."""
        query, body = self.sign(xml)
        result = Delivery(reply=None)
        for _ in range(self.attempts):
            try:
                # asyncio's timeout, not aiohttp's: a ClientTimeout(total=5) let a 5.5 s answer through here.
                async with (
                    asyncio.timeout(self.timeout),
                    session.post(self.url, params=query, data=body) as response,
                ):
                    raw = await response.text()
            except TimeoutError:
                result.statuses.append(None)
                continue
            result.statuses.append(response.status)
            if response.status != 200:
                raise RuntimeError(f"gateway answered HTTP {response.status}: {raw[:200]}")
            result.reply = self.open_reply(raw, query)
            return result
        return result

    # `create_time`: the message's CreateTime (default now). The push is still signed with the current time,
    # since the gateway refuses signatures older than 5 minutes; only CreateTime says when it was sent.
    async def send_text(
        self, session: aiohttp.ClientSession, content: str, create_time: int | None = None
    ) -> str | None:
        push = text_push(self.openid, self.account, content, create_time=create_time)
        return (await self.deliver(session, push)).reply

    async def send_media(
        self, session: aiohttp.ClientSession, msg_type: str, media_id: str, create_time: int | None = None
    ) -> str | None:
        push = media_push(self.openid, self.account, msg_type, media_id, create_time=create_time)
        return (await self.deliver(session, push)).reply

    async def send_event(
        self,
        session: aiohttp.ClientSession,
        event: str,
        key: str | None = None,
        create_time: int | None = None,
    ) -> str | None:
        push = event_push(self.openid, self.account, event, key, create_time=create_time)
        return (await self.deliver(session, push)).reply
