"""The complaint intake as the gateway sees it: drafts the actions send, when one is worth a ticket, and what
the citizen is told when it is filed without their confirmation. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.tickets import DETAIL_FIELDS
from lexicon.cues import SUPPOSES

# The form's slots in domain.yml, emptied when the gateway files an abandoned intake so that the citizen's
# next message starts afresh.
FORM_SLOTS = (
    "complaint_what", "complaint_shop", "complaint_address", "complaint_price", "complaint_time",
    "complaint_product", "complaint_confirm", "complaint_category", "requested_slot",
)  # fmt: skip
MEDIA_TYPES = frozenset({"image", "video", "shortvideo", "file", "voice"})
# A description this long says what happened by itself, without a shop or a price.
CONCRETE_SUMMARY_CHARS = 10
# Evidence sent outside a complaint: kept for one that may follow.
LOOSE_TYPES = frozenset({"image", "video", "shortvideo", "file"})


@dataclass(frozen=True)
class Draft:
    """An intake in progress: the form's answers so far and the evidence sent with it."""

    category: str
    summary: str
    details: dict[str, str]
    started: float
    attachments: tuple[dict[str, Any], ...] = field(default=())

    @classmethod
    def from_signal(cls, signal: dict[str, Any]) -> Draft:
        details = signal.get("details") if isinstance(signal.get("details"), dict) else {}
        return cls(
            category=str(signal.get("category") or "投诉"),
            summary=str(signal.get("summary") or "")[:500],
            details={k: str(v)[:200] for k, v in (details or {}).items() if k in DETAIL_FIELDS and v},
            started=float(signal.get("started") or 0.0),
        )

    def as_record(self) -> dict[str, Any]:
        return {
            "category": self.category, "summary": self.summary, "details": self.details,
            "started": self.started, "attachments": list(self.attachments),
        }  # fmt: skip

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Draft:
        attachments = tuple(a for a in record.get("attachments") or [] if isinstance(a, dict))
        return replace(cls.from_signal(record), attachments=attachments)


def is_concrete(draft: Draft) -> bool:
    """Worth a ticket without the citizen's confirmation: something was said, and it names a shop, place,
    product or price, or describes what happened at length, or came with evidence. A description that only
    supposes ("万一碰到药店乱涨价可以找谁") reports nothing, however long."""
    if not draft.summary and not draft.details:
        return False
    named = any(draft.details.get(k) for k in ("shop", "address", "product", "price"))
    if named:
        return True
    if SUPPOSES.search(draft.summary):
        return False  # a screenshot beside "万一…" does not make it a report
    return len(draft.summary) >= CONCRETE_SUMMARY_CHARS or bool(draft.attachments)


def is_closed(signal: dict[str, Any]) -> bool:
    """The intake ended without a ticket from the form (cancelled)."""
    return bool(signal.get("closed"))


FILED_UNCONFIRMED_MARK = "登记为工单（未经您确认），工单号："  # the benchmark tells these notices apart by it


def filed_unconfirmed_message(number: str, category: str) -> str:
    return (
        f"您刚才反映的{category}问题，我们已按您提供的信息{FILED_UNCONFIRMED_MARK}{number}。"
        "工作人员核实后会与您联系；如需补充或更正，请直接回复。"
    )


ATTACHED_MESSAGE = "已收到，这份材料已作为证据附在您正在登记的投诉举报中。请继续回答上面的问题。"


def attached_to_ticket_message(number: str) -> str:
    return f"已收到，这份材料已附在您的工单 {number} 中，工作人员会看到。"


KEPT_MESSAGE = (
    "已收到您发来的材料。我目前看不懂图片和文件的内容：如果您要投诉举报，请用文字告诉我商家和发生了什么，"
    "这份材料会作为证据附在工单里；其他问题也请用文字描述，需要人工服务请回复“人工”。"
)


def form_reset_events() -> list[dict[str, Any]]:
    """Rasa tracker events that end the intake form."""
    return [{"event": "active_loop", "name": None}] + [
        {"event": "slot", "name": slot, "value": None} for slot in FORM_SLOTS
    ]
