"""Answers from the content maintainers publish (Redis, seeded from content/answers.yml). Pure formatting."""

from __future__ import annotations

from datetime import date
from typing import Any

INTENT_SECTIONS = {
    "ask_mask_booking": "booking",
    "ask_booking_result": "booking_result",
    "ask_mask_pickup": "pickup",
    "ask_announcement": "announcements",
}
UNAVAILABLE = "抱歉，相关信息正在更新，请稍后再问，或回复“人工”咨询工作人员。"


def _stamp(updated_at: Any) -> str:
    return f"（信息更新于 {updated_at}）" if updated_at else ""


def current_announcements(items: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    """Announcements not yet expired, newest first; an expired one is never shown."""
    valid = [a for a in items if str(a.get("expires") or "9999-12-31") >= today.isoformat()]
    return sorted(valid, key=lambda a: str(a.get("published") or ""), reverse=True)


def format_section(section: str, data: Any, today: date) -> str:
    if data is None:
        return UNAVAILABLE
    if section == "announcements":
        items = current_announcements(list(data), today)
        if not items:
            return "目前没有新的公告。如有最新通告，我们会第一时间在这里发布。"
        latest, rest = items[0], items[1:4]
        lines = [f"最新公告：{latest['title']}（{latest.get('published', '')}）", str(latest.get("text", ""))]
        if rest:
            lines.append(
                "其他有效公告：" + "；".join(f"{a['title']}（{a.get('published', '')}）" for a in rest)
            )
        return "\n".join(lines)
    text = str(data.get("text", "")).strip()
    if section == "pickup":
        points = [f"· {p['name']}：{p['address']}，{p['hours']}" for p in data.get("points") or []]
        if points:
            text += "\n领取网点：\n" + "\n".join(points)
    return f"{text}\n{_stamp(data.get('updated_at'))}".strip()
