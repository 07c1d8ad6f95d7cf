"""What to do with each kind of push. Pure: decides, does no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.core import answers
from bot.wechat.inbound import Inbound
from bot.wechat.menu import Menu


class Effect(Enum):
    NONE = "none"
    UNSUBSCRIBE = "unsubscribe"  # close the citizen's conversation state
    RECORD_EVENT = "record_event"  # kf_* and other events worth keeping on the conversation


@dataclass(frozen=True)
class Route:
    reply: str | None = None  # a fixed answer, given at once
    ask_bot: str | None = None  # text for Rasa, answered under the 5-second contract
    effect: Effect = Effect.NONE

    @property
    def silent(self) -> bool:
        return self.reply is None and self.ask_bot is None


SILENT_EVENTS = frozenset({"view", "location", "templatesendjobfinish", "view_miniprogram"})


def route(inbound: Inbound, menu: Menu) -> Route:
    if inbound.msg_type == "text":
        text = inbound.text.strip()
        return Route(ask_bot=inbound.text) if text else Route(reply=answers.EMPTY_TEXT)
    if inbound.msg_type == "voice":
        text = inbound.text.strip()
        return Route(ask_bot=text) if text else Route(reply=answers.VOICE_UNRECOGNISED)
    if inbound.msg_type in ("image", "video", "shortvideo", "location", "link", "file"):
        return Route(reply=answers.NOT_TEXT)
    if inbound.msg_type == "event":
        return _route_event(inbound, menu)
    return Route(reply=answers.NOT_TEXT)  # a message type WeChat added after us


def _route_event(inbound: Inbound, menu: Menu) -> Route:
    event = inbound.event
    if event in ("subscribe", "subscribe_scan", "scan"):
        # wechatpy strips `qrscene_` from subscribe scenes; SCAN keys arrive bare.
        intent = menu.scene_intents.get(inbound.event_key)
        if event == "scan" and intent is None:
            return Route()
        return Route(ask_bot=f"/{intent}" if intent else "/greet")
    if event == "unsubscribe":
        return Route(effect=Effect.UNSUBSCRIBE)
    if event == "click":
        intent = menu.click_intents.get(inbound.event_key)
        return Route(ask_bot=f"/{intent}") if intent else Route(reply=answers.UNKNOWN_MENU)
    if event.startswith("kf_"):
        return Route(effect=Effect.RECORD_EVENT)
    if event in SILENT_EVENTS:
        return Route()
    return Route(effect=Effect.RECORD_EVENT)  # unknown events: keep a trace, answer nothing
