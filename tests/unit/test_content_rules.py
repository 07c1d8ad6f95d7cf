"""The rules published content must pass, and the answer a citizen sees from it (bot/core/content.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.core.content import (
    ContentInvalid,
    current_announcements,
    format_section,
    topic_intents,
    validate_all,
    validate_announcement,
    validate_answer,
)

GOOD: dict[str, Any] = {
    "id": "2026-07",
    "title": "关于调整口罩领取时间的通知",
    "authority": "市疫情防控指挥部",
    "published": "2026-12-01",
    "expires": "2026-12-31",
    "tags": "领取，预约",
    "text": "自 12 月 2 日起，各领取网点每天 8:00 开门。",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "announcements[2026-07].title"),
        ({"title": "长" * 61}, "announcements[2026-07].title"),
        ({"text": ""}, "announcements[2026-07].text"),
        ({"published": "2026-13-01"}, "announcements[2026-07].published"),
        ({"published": None}, "announcements[2026-07].published"),
        ({"expires": "2026-11-30"}, "announcements[2026-07].expires"),  # before it is published
        ({"expires": "2026-12-01"}, "announcements[2026-07].expires"),  # the same day: never shown
        ({"id": "../x"}, "announcements[../x].id"),
        ({"tags": ["很长很长很长很长很长很长的标签"]}, "announcements[2026-07].tags"),
        ({"text": "口罩" * 1100}, "announcements[2026-07].text"),  # more than one WeChat message
    ],
)
def test_a_bad_announcement_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ContentInvalid) as refused:
        validate_announcement(GOOD | change)
    assert refused.value.field == field


def test_a_good_announcement_is_normalised() -> None:
    clean = validate_announcement(GOOD)
    assert clean["tags"] == ["领取", "预约"]
    assert clean["expires"] == "2026-12-31"
    assert validate_announcement(GOOD | {"expires": ""}).get("expires") is None  # in force until removed


@pytest.mark.parametrize(
    ("section", "value", "field"),
    [
        ("booking", {"text": ""}, "booking.text"),
        ("booking", "just a string", "booking"),
        ("booking_result", {"text": "查询方式……", "updated_at": "yesterday"}, "booking_result.updated_at"),
        (
            "pickup",
            {"text": "领取须知", "points": [{"name": "某药房", "address": ""}]},
            "pickup.points[0].address",
        ),
        ("pickup", {"text": "领取须知", "points": "人民路"}, "pickup.points"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field(section: str, value: Any, field: str) -> None:
    with pytest.raises(ContentInvalid) as refused:
        validate_answer(section, value)
    assert refused.value.field == field


def test_a_content_file_must_have_every_section_and_no_other() -> None:
    answer = {"text": "……"}
    whole = {"booking": answer, "booking_result": answer, "pickup": answer, "announcements": [GOOD]}
    assert set(validate_all(whole)) == set(whole)
    with pytest.raises(ContentInvalid, match="pickup"):
        validate_all({k: v for k, v in whole.items() if k != "pickup"})
    with pytest.raises(ContentInvalid, match="weather"):
        validate_all(whole | {"weather": answer})
    with pytest.raises(ContentInvalid, match="编号重复"):
        validate_all(whole | {"announcements": [GOOD, GOOD]})


def test_an_announcement_shows_from_its_published_day_until_its_expiry_day() -> None:
    items = [validate_announcement(GOOD)]
    assert current_announcements(items, date(2026, 11, 30)) == []  # not yet published
    assert current_announcements(items, date(2026, 12, 1)) == items
    assert current_announcements(items, date(2026, 12, 31)) == items
    assert current_announcements(items, date(2027, 1, 1)) == []  # expired: never shown
    assert format_section("announcements", items, date(2027, 1, 1)).startswith("目前没有新的公告")


def test_the_citizen_sees_the_newest_announcement_with_its_authority() -> None:
    older = validate_announcement(GOOD | {"id": "2026-06", "title": "旧通知", "published": "2026-11-20"})
    text = format_section("announcements", [older, validate_announcement(GOOD)], date(2026, 12, 5))
    assert text.startswith("最新公告：关于调整口罩领取时间的通知（市疫情防控指挥部，2026-12-01）")
    assert "其他有效公告：旧通知" in text


def test_an_announcements_audience_follows_its_tags() -> None:
    assert topic_intents({"tags": ["领取"]}) == ["ask_announcement", "ask_mask_pickup"]
    assert "report_price_gouging" in topic_intents({"tags": ["价格"]})
    assert topic_intents({}) == ["ask_announcement"]


def test_the_booking_rules_are_lines_of_the_answer_and_each_is_checked() -> None:
    rules = {
        "channels": "公众号菜单；社区登记",
        "opens": "每天 9:00",
        "quantity": "每人每次 5 只",
        "text": "",
    }
    clean = validate_answer("booking", rules)
    assert clean["channels"] == ["公众号菜单", "社区登记"] and clean["text"] == ""
    text = format_section("booking", clean, date(2026, 12, 5))
    assert text.splitlines()[:4] == [
        "口罩预约办法：",
        "· 预约渠道：公众号菜单；社区登记",
        "· 开放时间：每天 9:00",
        "· 预约数量：每人每次 5 只",
    ]
    with pytest.raises(ContentInvalid) as refused:
        validate_answer("booking", rules | {"quantity": "多" * 81})
    assert refused.value.field == "booking.quantity"
    with pytest.raises(ContentInvalid) as refused:
        validate_answer("booking", {"text": "", "opens": ""})  # neither rules nor text
    assert refused.value.field == "booking.text"
