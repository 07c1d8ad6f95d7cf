"""Inbound pushes: parse WeChat's XML with wechatpy into one small model the gateway routes on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.messages import BaseMessage


class BadMessage(ValueError):
    """The body is not a WeChat push we can read; answered with 400, never sent to Rasa."""


@dataclass(frozen=True)
class Inbound:
    account: str  # ToUserName: the official account's gh_ id
    openid: str  # FromUserName: the citizen
    create_time: int
    msg_type: str  # lower case: text, voice, image, ..., event
    msg_id: str | None  # absent on events
    text: str  # Content of text, Recognition of voice, "" for everything else
    event: str = ""  # lower case event name for MsgType=event
    event_key: str = ""
    media_id: str = ""  # MediaId of an image, voice, video or file

    @property
    def dedupe_key(self) -> str:
        """MsgId for messages; FromUserName + CreateTime + Event + EventKey for events."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.openid}:{self.create_time}:{self.event}:{self.event_key}"


# Characters XML 1.0 forbids; a stray one in a citizen's text would otherwise make the whole push unreadable.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_inbound(body: bytes) -> Inbound:
    try:
        text = _XML_ILLEGAL.sub("", body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadMessage("body is not valid UTF-8") from exc
    try:
        message: BaseMessage | None = parse_message(text)
    except (ExpatError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # xmltodict refuses entities with ValueError (XXE, billion laughs) and raises ExpatError on
        # broken XML; a missing <xml> root or MsgType is a bare KeyError.
        raise BadMessage(f"not a WeChat XML push: {type(exc).__name__}") from exc
    if message is None:
        raise BadMessage("empty body")
    raw = getattr(message, "_data", {})
    if not isinstance(raw, dict):
        raise BadMessage("not a WeChat XML push")
    openid = raw.get("FromUserName")
    account = raw.get("ToUserName")
    if not isinstance(openid, str) or not openid or not isinstance(account, str):
        raise BadMessage("push without FromUserName or ToUserName")
    try:
        create_time = int(raw.get("CreateTime") or 0)
    except (TypeError, ValueError) as exc:
        raise BadMessage("CreateTime is not a number") from exc
    msg_type = str(raw.get("MsgType") or "").lower()
    msg_id = raw.get("MsgId")
    # Voice carries Recognition only when speech recognition is on, and often empty.
    content = raw.get({"text": "Content", "voice": "Recognition"}.get(msg_type, ""))
    return Inbound(
        account=account,
        openid=openid,
        create_time=create_time,
        msg_type=msg_type,
        msg_id=str(msg_id) if msg_id else None,
        text=content if isinstance(content, str) else "",
        event=str(raw.get("Event") or "").lower(),
        event_key=str(raw.get("EventKey") or ""),
        media_id=str(raw.get("MediaId") or ""),
    )
