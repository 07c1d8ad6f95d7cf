"""Tickets (工单) and conversation modes as pure rules: priorities, queue order, what the citizen is told.

No I/O: the ticket store applies these in Redis, the help desk and the console show them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    """Who answers a citizen: the bot, nobody yet (a ticket waits in the queue), or one agent."""

    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"


class Reason(StrEnum):
    ANGRY = "angry"
    REQUEST_HUMAN = "request_human"
    UNRESOLVED = "unresolved"
    COMPLAINT = "complaint"


class Status(StrEnum):
    QUEUED = "queued"
    CLAIMED = "claimed"
    CLOSED = "closed"


# 0 is the most urgent. An angry citizen waits least; a complaint from the intake form can wait for a
# callback, since the citizen already has a ticket number and stays with the bot.
_PRIORITY = {Reason.ANGRY: 2, Reason.REQUEST_HUMAN: 3, Reason.UNRESOLVED: 3, Reason.COMPLAINT: 5}
VERY_ANGRY = 0.7
DETAIL_FIELDS = ("shop", "address", "product", "price", "time")
RESOLUTIONS = {
    "resolved": "已解答",
    "complaint_registered": "已登记投诉举报",
    "transferred_offline": "转线下处理",
    "no_response": "群众未回复",
    "invalid": "无效咨询",
    "citizen_cancelled": "群众取消",
}


def reason_of(signal_reason: str) -> Reason:
    """The reason Rasa's action gave; anything unknown is treated as a plain request for a person."""
    try:
        return Reason(signal_reason)
    except ValueError:
        return Reason.REQUEST_HUMAN


def priority_for(reason: Reason, anger: float) -> int:
    base = _PRIORITY[reason]
    return base - 1 if reason is Reason.ANGRY and anger >= VERY_ANGRY else base


def category_for(reason: Reason, complaint_category: str | None = None) -> str:
    """投诉 / 举报 for complaints (the intake form knows which), 咨询 for a live handoff."""
    if reason is Reason.COMPLAINT:
        return complaint_category if complaint_category in ("投诉", "举报") else "投诉"
    return "咨询"


def queue_score(priority: int, queued_at: float) -> float:
    """Sorted-set score: priority first, then waiting time (earlier first)."""
    return priority * 1e10 + queued_at


_CANCEL = re.compile(r"^\s*(不用了|不用|算了|取消|不需要了?|不要了)\s*[。.!！~～]*\s*$")
_RATING = re.compile(r"^\s*([1-5１-５])\s*(分|星)?\s*[。.!！]*\s*$")


def is_cancel(text: str) -> bool:
    """The citizen no longer wants a person ("不用了")."""
    return bool(_CANCEL.match(text))


def rating_of(text: str) -> int | None:
    """A 1-5 satisfaction answer, half-width or full-width; None for anything else."""
    match = _RATING.match(text)
    if not match:
        return None
    return int(match.group(1).translate(str.maketrans("１２３４５", "12345")))


@dataclass(frozen=True)
class QueueView:
    """What the citizen is honestly told about the wait."""

    position: int  # 1: next in line
    agents_online: int
    in_hours: bool
    next_opening: str | None = None  # e.g. "明天 08:00", when out of hours


def handoff_message(number: str, view: QueueView) -> str:
    head = f"已为您转人工服务，工单号：{number}。"
    if not view.in_hours:
        when = view.next_opening or "下一个工作时段"
        return (
            head + f"现在不在人工服务时间，工作人员将于{when}起按顺序处理，您可以先留言，消息会附在工单里。"
        )
    if view.agents_online == 0:
        return (
            head + f"接线员暂时都不在线，您前面还有 {view.position - 1} 位，请留言说明情况，我们会尽快回复。"
        )
    return (
        head
        + f"目前有 {view.agents_online} 位接线员在线，您前面还有 {view.position - 1} 位。"
        + "请直接留言说明情况，回复“不用了”可取消排队。"
    )


def still_queued_message(number: str, view: QueueView) -> str:
    return f"您的留言已附到工单 {number}，您前面还有 {view.position - 1} 位，请稍候。回复“不用了”可取消排队。"


def agent_joined_message(number: str, agent_id: str) -> str:
    return f"工作人员（工号 {agent_id}）已接手您的工单 {number}，请直接在这里回复，我们会尽快答复您。"


def menu_while_with_person(number: str) -> str:
    return (
        f"您正在人工服务中（工单 {number}），请直接留言；人工服务结束后即可使用菜单。回复“不用了”可取消排队。"
    )


def cancelled_message(number: str) -> str:
    return f"已为您取消人工排队（工单 {number}）。有问题可以随时再问我。"


CLOSING_MESSAGE = (
    "本次人工服务已结束，感谢您的耐心。请为本次服务打分：回复 1-5（5 为非常满意）。"
    "之后有问题可以直接问我，需要人工请回复“人工”。"
)
RATING_THANKS = "感谢您的评价！有其他问题可以随时问我。"


def summary_of(texts: list[str], limit: int = 120) -> str:
    """The citizen's own words, latest first, as the queue's one-line summary."""
    joined = " / ".join(t.strip() for t in reversed(texts) if t.strip())
    return joined[:limit] + ("…" if len(joined) > limit else "")
