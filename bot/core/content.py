"""What maintainers publish (announcements, the mask-booking rules, FAQ answers): the rules every change must
pass, and the answer a citizen sees. Pure, no I/O.

The action server formats its answers with `format_section` and the console's preview calls the same
function, so a maintainer sees exactly the message a citizen will get. Content lives in Redis
(`bot/storage/content.py`), seeded from content/answers.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core.text import MAX_TEXT_BYTES

INTENT_SECTIONS = {
    "ask_mask_booking": "booking",
    "ask_booking_result": "booking_result",
    "ask_mask_pickup": "pickup",
    "ask_announcement": "announcements",
}
SECTIONS = ("booking", "booking_result", "pickup", "announcements")
ANSWER_SECTIONS = ("booking", "booking_result", "pickup")  # one text each (pickup adds its points)
SECTION_NAMES = {
    "booking": "预约办法",
    "booking_result": "预约结果",
    "pickup": "领取须知",
    "announcements": "公告",
}
# The mask-booking rules, each a line of the booking answer when given (the booking `text` adds notes).
BOOKING_RULES = {
    "channels": "预约渠道",
    "opens": "开放时间",
    "quantity": "预约数量",
    "eligibility": "预约对象",
}
MAX_RULE_CHARS = 80
MAX_CHANNELS = 6
UNAVAILABLE = "抱歉，相关信息正在更新，请稍后再问，或回复“人工”咨询工作人员。"
NO_ANNOUNCEMENT = "目前没有新的公告。如有最新通告，我们会第一时间在这里发布。"

ANNOUNCEMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
DAY = "%Y-%m-%d"
STAMP = "%Y-%m-%d %H:%M"
MAX_TITLE_CHARS = 60
MAX_TAGS = 8
MAX_TAG_CHARS = 12
MAX_POINTS = 30


class ContentInvalid(ValueError):
    """A change breaks a rule; `field` names where (e.g. `announcements[2026-05].expires`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Check:
    """Validation walks one section and names each field it looks at."""

    section: str

    def fail(self, field: str, message: str) -> ContentInvalid:
        return ContentInvalid(f"{self.section}.{field}" if field else self.section, message)


# ---- the answer a citizen sees ------------------------------------------------------------------


def _stamp(updated_at: Any) -> str:
    return f"（信息更新于 {updated_at}）" if updated_at else ""


def _day(value: Any) -> str:
    return str(value or "")[:10]


def current_announcements(items: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Published and not yet expired, newest first: one published for a later day waits for it, and an
    expired one is never shown."""
    day = today.isoformat()
    valid = [
        a for a in items if _day(a.get("published")) <= day and _day(a.get("expires") or "9999-12-31") >= day
    ]
    return sorted(valid, key=lambda a: str(a.get("published") or ""), reverse=True)


def _issued(item: dict[str, Any]) -> str:
    return "，".join(str(p) for p in (item.get("authority"), _day(item.get("published"))) if p)


def format_announcement(item: dict[str, Any]) -> str:
    return f"{item['title']}（{_issued(item)}）\n{item.get('text', '')}".strip()


def format_section(section: str, data: Any, today: date) -> str:
    if data is None:
        return UNAVAILABLE
    if section == "announcements":
        items = current_announcements(list(data), today)
        if not items:
            return NO_ANNOUNCEMENT
        latest, rest = items[0], items[1:4]
        lines = [f"最新公告：{format_announcement(latest)}"]
        if rest:
            lines.append("其他有效公告：" + "；".join(f"{a['title']}（{_issued(a)}）" for a in rest))
        return "\n".join(lines)
    text = str(data.get("text", "")).strip()
    if section == "booking":
        text = "\n".join([*_booking_rule_lines(data), text]).strip()
    if section == "pickup":
        points = [f"· {p['name']}：{p['address']}，{p['hours']}" for p in data.get("points") or []]
        if points:
            text += "\n领取网点：\n" + "\n".join(points)
    return f"{text}\n{_stamp(data.get('updated_at'))}".strip()


def _booking_rule_lines(data: dict[str, Any]) -> list[str]:
    lines = []
    for name, label in BOOKING_RULES.items():
        value = data.get(name)
        if isinstance(value, list):
            value = "；".join(str(v) for v in value if str(v).strip())
        if value:
            lines.append(f"{label}：{value}")
    return (["口罩预约办法："] if lines else []) + [f"· {line}" for line in lines]


# ---- the rules a change must pass ----------------------------------------------------------------


def _text(check: Check, item: dict[str, Any], name: str, limit_chars: int | None = None) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value.strip():
        raise check.fail(name, "不能为空")
    if limit_chars is not None and len(value.strip()) > limit_chars:
        raise check.fail(name, f"不能超过 {limit_chars} 个字（现在 {len(value.strip())} 个）")
    return value.strip()


def _date(check: Check, item: dict[str, Any], name: str, required: bool) -> str:
    value = item.get(name)
    if value in (None, ""):
        if required:
            raise check.fail(name, "不能为空，格式 YYYY-MM-DD")
        return ""
    raw = value.isoformat() if isinstance(value, (date, datetime)) else str(value).strip()
    for pattern in (DAY, STAMP):
        try:
            datetime.strptime(raw, pattern)
            return raw
        except ValueError:
            continue
    raise check.fail(name, f"日期“{raw}”无效，格式 YYYY-MM-DD 或 YYYY-MM-DD HH:MM")


def _fits(check: Check, field: str, message: str) -> None:
    size = len(message.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise check.fail(field, f"太长：微信一条消息最多 {MAX_TEXT_BYTES} 字节，现在 {size} 字节，请删减")


def validate_answer(section: str, data: Any) -> dict[str, Any]:
    """A booking, booking-result or pickup answer, normalised; ContentInvalid names the first bad field."""
    check = Check(section)
    if not isinstance(data, dict):
        raise check.fail("", "应为包含 text 的一项")
    clean: dict[str, Any] = {}
    if section == "booking":
        clean |= _booking_rules(check, data)
    if clean and not str(data.get("text") or "").strip():
        clean["text"] = ""  # the rules say it all; notes are optional
    else:
        clean["text"] = _text(check, data, "text")
    updated = _date(check, data, "updated_at", required=False)
    if updated:
        clean["updated_at"] = updated
    if section == "pickup":
        points = data.get("points") or []
        if not isinstance(points, list) or len(points) > MAX_POINTS:
            raise check.fail("points", f"应为网点列表，最多 {MAX_POINTS} 个")
        clean_points = []
        for index, point in enumerate(points):
            point_check = Check(f"{section}.points[{index}]")
            if not isinstance(point, dict):
                raise point_check.fail("", "应有 name、address、hours")
            clean_points.append(
                {name: _text(point_check, point, name, 60) for name in ("name", "address", "hours")}
            )
        clean["points"] = clean_points
    _fits(check, "text", format_section(section, clean, date.today()))
    return clean


def _string_list(
    check: Check, field: str, value: object, separators: str, most: tuple[int, str, str], max_chars: int
) -> list[str]:
    """A list of short strings, or one string split at `separators` (what a form's text box gives).
    `most` is (how many at most, what they are called as a whole, what one is called)."""
    max_items, plural, singular = most
    items = value or []
    if isinstance(items, str):
        items = [x for x in re.split(separators, items) if x.strip()]
    if not isinstance(items, list) or len(items) > max_items:
        raise check.fail(field, f"{plural}最多 {max_items} 个")
    clean = [str(x).strip() for x in items if str(x).strip()]
    if any(len(x) > max_chars for x in clean):
        raise check.fail(field, f"每{singular}不超过 {max_chars} 个字")
    return clean


def _booking_rules(check: Check, data: dict[str, Any]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    clean_channels = _string_list(
        check, "channels", data.get("channels"), r"[\n；;]+",
        (MAX_CHANNELS, "预约渠道", "个渠道"), MAX_RULE_CHARS,
    )  # fmt: skip
    if clean_channels:
        rules["channels"] = clean_channels
    for name in ("opens", "quantity", "eligibility"):
        value = str(data.get(name) or "").strip()
        if len(value) > MAX_RULE_CHARS:
            raise check.fail(name, f"不能超过 {MAX_RULE_CHARS} 个字（现在 {len(value)} 个）")
        if value:
            rules[name] = value
    return rules


def validate_announcement(item: Any) -> dict[str, Any]:
    """One announcement, normalised; ContentInvalid names the first bad field."""
    if not isinstance(item, dict):
        raise ContentInvalid("announcements", "每条公告应有 id、title、text、published")
    raw_id = str(item.get("id") or "").strip()
    check = Check(f"announcements[{raw_id or '?'}]")
    if not ANNOUNCEMENT_ID.match(raw_id):
        raise check.fail("id", "编号只能用字母、数字、- 和 _，最多 32 个字符")
    clean: dict[str, Any] = {
        "id": raw_id,
        "title": _text(check, item, "title", MAX_TITLE_CHARS),
        "text": _text(check, item, "text"),
        "published": _date(check, item, "published", required=True),
    }
    authority = str(item.get("authority") or "").strip()
    if len(authority) > 40:
        raise check.fail("authority", "发布机关不能超过 40 个字")
    if authority:
        clean["authority"] = authority
    expires = _date(check, item, "expires", required=False)
    if expires:
        if expires <= clean["published"]:
            raise check.fail("expires", "失效时间必须晚于发布时间")
        clean["expires"] = expires
    clean_tags = _string_list(
        check, "tags", item.get("tags"), r"[,，、\s]+", (MAX_TAGS, "标签", "个标签"), MAX_TAG_CHARS
    )
    if clean_tags:
        clean["tags"] = clean_tags
    _fits(check, "text", "最新公告：" + format_announcement(clean))
    return clean


def validate_announcements(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ContentInvalid("announcements", "应为公告列表")
    clean = [validate_announcement(item) for item in items]
    seen: set[str] = set()
    for item in clean:
        if item["id"] in seen:
            raise ContentInvalid(f"announcements[{item['id']}].id", "编号重复")
        seen.add(item["id"])
    return clean


def validate_section(section: str, data: Any) -> Any:
    if section == "announcements":
        return validate_announcements(data)
    if section in ANSWER_SECTIONS:
        return validate_answer(section, data)
    raise ContentInvalid(section, f"没有这一类内容（可选：{'、'.join(SECTIONS)}）")


def validate_all(data: Any) -> dict[str, Any]:
    """Every section of a content file; nothing is written unless all of it passes."""
    if not isinstance(data, dict):
        raise ContentInvalid("content", "应为各类内容的映射")
    missing = [s for s in SECTIONS if s not in data]
    if missing:
        raise ContentInvalid(missing[0], "缺少这一类内容")
    unknown = [s for s in data if s not in SECTIONS]
    if unknown:
        raise ContentInvalid(str(unknown[0]), f"没有这一类内容（可选：{'、'.join(SECTIONS)}）")
    return {section: validate_section(section, data[section]) for section in SECTIONS}


def stamp_now(now: datetime) -> str:
    """The `updated_at` a change made now carries (the centre's local time)."""
    return now.strftime(STAMP)


# ---- telling citizens about a new announcement -------------------------------------------------------

# The questions an announcement's tags answer: citizens who asked them recently are its audience.
TAG_INTENTS: dict[str, tuple[str, ...]] = {
    "预约": ("ask_mask_booking", "ask_booking_result"),
    "预约结果": ("ask_booking_result",),
    "领取": ("ask_mask_pickup",),
    "网点": ("ask_mask_pickup",),
    "价格": ("report_price_gouging",),
    "假货": ("report_fake_goods",),
    "投诉": ("report_price_gouging", "report_fake_goods", "complain_other"),
    "举报": ("report_price_gouging", "report_fake_goods", "complain_other"),
}
NOTIFY_INTENTS = ("ask_announcement", *sorted({i for v in TAG_INTENTS.values() for i in v}))
NOTIFY_WINDOW_SECONDS = 48 * 3600


def topic_intents(item: dict[str, Any]) -> list[str]:
    """The intents whose askers an announcement concerns: its tags' questions, and asking for news."""
    found = {"ask_announcement"}
    for tag in item.get("tags") or []:
        found.update(TAG_INTENTS.get(str(tag), ()))
    return sorted(found)


def notice_text(item: dict[str, Any]) -> str:
    return "您关注的事项有新公告：\n" + format_announcement(item)
