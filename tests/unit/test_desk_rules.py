"""Pure rules of the help desk: priorities, cancel and rating answers, shifts, password hashes."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.passwords import hash_password, verify_password
from bot.core.shifts import describe_opening, next_opening, on_duty, parse_shifts
from bot.core.tickets import (
    QueueView,
    Reason,
    category_for,
    handoff_message,
    is_cancel,
    priority_for,
    queue_score,
    rating_of,
    reason_of,
    summary_of,
)
from bot.files import read_yaml_mapping
from bot.launcher import ROOT
from bot.rasa.transcript import details_from_events, transcript_from_events

SHIFTS = parse_shifts(read_yaml_mapping(ROOT / "content" / "shifts.yml", ValueError))


def test_angrier_citizens_and_live_handoffs_come_first() -> None:
    assert (
        priority_for(Reason.ANGRY, 0.9)
        < priority_for(Reason.ANGRY, 0.3)
        < priority_for(Reason.REQUEST_HUMAN, 0)
    )
    assert priority_for(Reason.REQUEST_HUMAN, 0) < priority_for(Reason.COMPLAINT, 0)
    # priority first, then waiting time
    assert queue_score(2, 2_000_000_000) < queue_score(3, 1_000_000_000)
    assert queue_score(3, 1_000) < queue_score(3, 2_000)


def test_reasons_and_categories() -> None:
    assert reason_of("angry") is Reason.ANGRY and reason_of("who knows") is Reason.REQUEST_HUMAN
    assert category_for(Reason.COMPLAINT, "举报") == "举报" and category_for(Reason.COMPLAINT, "x") == "投诉"
    assert category_for(Reason.ANGRY) == "咨询"


@pytest.mark.parametrize("text", ["不用了", "算了。", " 取消 ", "不需要了!"])
def test_cancel_words(text: str) -> None:
    assert is_cancel(text)


@pytest.mark.parametrize("text", ["不用了，我还是想问口罩怎么预约", "你们不用了吧", "取消预约怎么弄"])
def test_longer_messages_are_not_a_cancel(text: str) -> None:
    assert not is_cancel(text)


@pytest.mark.parametrize(("text", "rating"), [("5", 5), ("１", 1), ("4分", 4), (" 3 ", 3), ("6", None), ("55", None),
                                              ("好评", None)])  # fmt: skip
def test_ratings(text: str, rating: int | None) -> None:
    assert rating_of(text) == rating


def test_the_wait_is_told_honestly() -> None:
    busy = handoff_message("12315-20261128-0001", QueueView(position=3, agents_online=2, in_hours=True))
    assert "2 位接线员在线" in busy and "前面还有 2 位" in busy
    nobody = handoff_message("n", QueueView(position=1, agents_online=0, in_hours=True))
    assert "暂时都不在线" in nobody
    night = handoff_message(
        "n", QueueView(position=1, agents_online=0, in_hours=False, next_opening="明天 08:00")
    )
    assert "不在人工服务时间" in night and "明天 08:00" in night


def test_shifts_cover_the_day_and_leave_weekday_nights_uncovered() -> None:
    wednesday_noon = datetime(2026, 11, 25, 12, 0)
    assert set(on_duty(SHIFTS, wednesday_noon)) == {"白班", "行政班"}
    assert on_duty(SHIFTS, datetime(2026, 11, 25, 23, 30)) == []  # Wednesday night
    assert on_duty(SHIFTS, datetime(2026, 11, 27, 23, 30)) == ["夜班"]  # Friday night
    assert on_duty(SHIFTS, datetime(2026, 11, 28, 3, 0)) == ["夜班"]  # ... which runs past midnight
    assert on_duty(SHIFTS, datetime(2026, 11, 29, 3, 0)) == ["夜班"]  # Saturday's night shift
    assert on_duty(SHIFTS, datetime(2026, 11, 30, 3, 0)) == []  # no Sunday night shift


def test_out_of_hours_the_next_opening_is_named() -> None:
    wednesday_night = datetime(2026, 11, 25, 23, 30)
    opening = next_opening(SHIFTS, wednesday_night)
    assert opening == datetime(2026, 11, 26, 8, 0)
    assert describe_opening(opening, wednesday_night) == "明天 08:00"


def test_shift_days_are_checked() -> None:
    with pytest.raises(ValueError, match="days"):
        parse_shifts({"shifts": [{"name": "x", "start": "08:00", "end": "09:00", "days": [8]}]})


def test_password_hashes_verify_only_the_right_password() -> None:
    encoded = hash_password("correct-horse-12315", n=2**10)  # a small cost: the rule, not the timing
    assert encoded.startswith("scrypt$1024$8$1$")
    assert verify_password("correct-horse-12315", encoded)
    assert not verify_password("correct-horse-12316", encoded)
    assert not verify_password("x", "not-a-hash") and not verify_password("x", "bcrypt$1$2$3$4$5")
    assert hash_password("same", n=2**10) != hash_password("same", n=2**10)  # salted


def test_transcript_and_details_from_rasa_events() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "华联超市口罩卖50一个", "timestamp": 1.0,
         "parse_data": {"intent": {"name": "report_price_gouging", "confidence": 0.91234},
                        "entities": [{"entity": "shop", "value": "华联超市"}, {"entity": "price", "value": "50一个"},
                                     {"entity": "product", "value": "N95口罩", "start": 0, "end": 5},
                                     {"entity": "product", "value": "口罩", "start": 3, "end": 5},
                                     {"entity": "mood", "value": "x"}]}},
        {"event": "bot", "text": "好的，我来帮您登记", "timestamp": 2.0},
        {"event": "bot", "timestamp": 2.1},
    ]  # fmt: skip
    assert transcript_from_events(events) == [
        {"who": "citizen", "text": "华联超市口罩卖50一个", "at": 1.0, "intent": "report_price_gouging",
         "confidence": 0.912},
        {"who": "bot", "text": "好的，我来帮您登记", "at": 2.0},
    ]  # fmt: skip
    assert details_from_events(events) == {"shop": "华联超市", "price": "50一个", "product": "N95口罩"}
    assert summary_of(["第一句", "第二句"]) == "第二句 / 第一句"
    assert summary_of(["长" * 200]).endswith("…")
