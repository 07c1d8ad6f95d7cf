"""The daily report: the pure builder on hand-made turns and tickets, and the renderer's files and charts."""

from __future__ import annotations

import asyncio
import csv
import io
import struct
import subprocess
import sys
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from matplotlib import font_manager

from bot.core.shifts import parse_shifts
from bot.core.tickets import Reason
from bot.report import render
from bot.report.build import (
    NO_SHIFT,
    BadDay,
    DailyReport,
    ReportInput,
    ShiftTimes,
    build_report,
    normalise_text,
    parse_day,
    percentile,
    street_of,
)
from bot.report.cli import report_command
from bot.report.render import (
    CHARTS,
    SECTION_TITLES,
    FontMissing,
    cjk_font,
    csv_tables,
    markdown,
    render_chart,
    report_json,
    write_report,
)
from bot.storage import keys
from bot.storage.embedded import EmbeddedRedis
from bot.storage.tickets import TicketStore
from bot.storage.turnlog import Turn

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2020, 2, 17)  # a Monday
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The centre's roster, with a night shift on Sunday night only: Monday 03:00 belongs to it (the early part of
# an overnight shift that started the day before), Monday 23:00 to no shift.
SHIFTS = parse_shifts(
    {
        "shifts": [
            {"name": "白班", "start": "08:00", "end": "16:00", "staff": 3},
            {"name": "晚班", "start": "16:00", "end": "22:00", "staff": 2},
            {"name": "行政班", "start": "08:30", "end": "17:30", "days": [1, 2, 3, 4, 5], "staff": 1},
            {"name": "夜班", "start": "22:00", "end": "08:00", "days": [7], "staff": 1},
        ]
    }
)


def at(clock: str, day: date = DAY) -> float:
    """Epoch seconds of a local time on the report's day."""
    return datetime.combine(day, datetime.strptime(clock, "%H:%M").time(), tzinfo=SHANGHAI).timestamp()


def ticket(number: int, reason: str, queued: str, *, claimed: str = "", closed: str = "", status: str = "",
           category: str = "咨询", rating: int = 0, confirmed: bool = True, day: date = DAY,
           **details: str) -> dict[str, Any]:  # fmt: skip
    """A ticket as TicketStore.many decodes it."""
    found: dict[str, Any] = {
        "number": f"12315-{day:%Y%m%d}-{number:04d}", "openid": f"o_{number}", "reason": reason,
        "category": category, "summary": "", "details": details, "queued_at": at(queued, day),
        "status": status or ("closed" if closed else "claimed" if claimed else "queued"),
        "confirmed": confirmed, "live": reason != "complaint",
    }  # fmt: skip
    if claimed:
        found |= {"claimed_at": at(claimed, day), "agent": "5001"}
    if closed:
        found["closed_at"] = at(closed, day)
    if rating:
        found["rating"] = rating
    return found


TICKETS = [
    ticket(1, "complaint", "03:00", claimed="03:10", closed="03:30", category="投诉", rating=5,
           shop="华联超市", address="建国路88号", product="N95口罩"),
    ticket(2, "complaint", "09:00", claimed="09:02", closed="09:12", category="举报", rating=4, confirmed=False,
           shop="华联超市", address="建国路 90号", product="kn95"),
    ticket(3, "angry", "09:30", claimed="09:31", closed="09:41", shop="华联超市"),  # not a complaint: no hot spot
    ticket(4, "request_human", "10:00", claimed="10:05"),
    ticket(5, "unresolved", "17:00"),
    ticket(6, "complaint", "23:00", category="投诉", shop="ＡＢＣ药房"),
    ticket(7, "request_human", "12:00", status="closed"),  # the citizen cancelled before anyone claimed it
]  # fmt: skip


def baseline() -> list[dict[str, Any]]:
    """The week before: 华联超市 once a day (mean 1), 建国路 twice a day (mean 2), KN95 once a day, and a
    shop named only by a live handoff, which is no complaint."""
    tickets = []
    for n in range(1, 8):
        day = date(2020, 2, 17 - n)
        tickets += [
            ticket(
                1, "complaint", "10:00", category="投诉", day=day, shop="华联超市", address=f"建国路{n}号"
            ),
            ticket(2, "complaint", "11:00", category="投诉", day=day, address="建国路", product="KN95"),
            ticket(3, "angry", "12:00", day=day, shop="ABC药房"),
        ]
    return tickets


def turn(clock: str, text: str, intent: str, confidence: float, sender: str = "o_1",
         actions: tuple[str, ...] = ("utter_answer",)) -> Turn:  # fmt: skip
    return Turn(at(clock), sender, text, intent, confidence, actions)


TURNS = [
    turn("00:10", "你好", "greet", 0.99),
    *[turn(f"09:{m:02d}", "口罩怎么预约", "ask_booking", 0.9, f"o_b{m}") for m in range(5)],
    turn("10:01", "口罩能退吗？", "nlu_fallback", 0.3, "o_x", ("action_default_fallback",)),
    turn("10:02", "口罩能退吗", "nlu_fallback", 0.3, "o_y", ("action_default_fallback",)),
    turn("10:03", "ＨＥＬＬＯ  world!", "ask_pickup", 0.45, "o_z"),  # low confidence
    turn("23:30", "哈哈哈", "ask_booking", 0.95, "o_x", ("utter_default",)),  # a fallback action answered
]


def sample_input() -> ReportInput:
    return ReportInput(DAY, SHANGHAI, tuple(TURNS), tuple(TICKETS), tuple(baseline()), SHIFTS)


@pytest.fixture(scope="module")
def report() -> DailyReport:
    return build_report(sample_input())


def test_totals_and_messages_per_local_hour(report: DailyReport) -> None:
    assert (report.messages, report.citizens, report.tickets) == (10, 9, 7)
    expected = [0] * 24
    expected[0], expected[9], expected[10], expected[23] = 1, 5, 3, 1
    assert list(report.per_hour) == expected


def test_intents_count_and_share(report: DailyReport) -> None:
    assert [(i.key, i.count, i.share) for i in report.intents] == [
        ("ask_booking", 6, 0.6), ("nlu_fallback", 2, 0.2), ("greet", 1, 0.1), ("ask_pickup", 1, 0.1),
    ]  # fmt: skip


def test_complaint_and_report_tickets_by_category(report: DailyReport) -> None:
    assert [(c.category, c.tickets, c.unconfirmed) for c in report.categories] == [
        ("投诉", 2, 0),
        ("举报", 1, 1),
    ]


def test_hot_spots_against_the_week_before(report: DailyReport) -> None:
    top = {(s.kind, s.name): (s.today, s.baseline_mean, s.trend) for s in report.hot_spots.top}
    assert top == {
        ("shop", "华联超市"): (2, 1.0, "上升"),  # the angry citizen's 华联超市 is no complaint
        ("shop", "ABC药房"): (1, 0.0, "新出现"),  # full width folded; last week only a live handoff named it
        ("address", "建国路"): (2, 2.0, "持平"),  # 88号 and 90号 are one street
        ("product", "KN95"): (1, 1.0, "持平"),
        ("product", "N95口罩"): (1, 0.0, "新出现"),
    }
    assert [(s.name, s.change) for s in report.hot_spots.rising] == [
        ("华联超市", 1.0), ("ABC药房", 1.0), ("N95口罩", 1.0),
    ]  # fmt: skip


def test_handoffs_by_reason_with_chinese_labels(report: DailyReport) -> None:
    assert [(h.label, h.count) for h in report.handoffs] == [
        ("投诉举报", 3), ("要求人工", 2), ("情绪激动", 1), ("未解决", 1),
    ]  # fmt: skip
    assert sum(h.share for h in report.handoffs) == pytest.approx(1.0)


def test_waiting_and_handling_per_shift(report: DailyReport) -> None:
    rows = {r.shift: r for r in report.shifts}
    assert [r.shift for r in report.shifts] == ["白班", "晚班", "行政班", "夜班", NO_SHIFT]
    # 09:00, 09:30, 10:00 and 12:00 fall in both overlapping day shifts, 17:00 in 晚班 and 行政班
    assert rows["白班"] == ShiftTimes("白班", "08:00-16:00", 3, 4, 120.0, 264.0, 600.0, 4 / 3, 0)
    assert rows["行政班"] == ShiftTimes("行政班", "08:30-17:30", 1, 5, 120.0, 264.0, 600.0, 5.0, 1)
    assert rows["晚班"] == ShiftTimes("晚班", "16:00-22:00", 2, 1, None, None, None, 0.5, 1)
    # Monday 03:00 is the early part of Sunday's night shift
    assert rows["夜班"] == ShiftTimes("夜班", "22:00-08:00", 1, 1, 600.0, 600.0, 1200.0, 1.0, 0)
    # Monday 23:00: no night shift on Monday
    assert rows[NO_SHIFT] == ShiftTimes(NO_SHIFT, "", 0, 1, None, None, None, None, 1)


def test_satisfaction_counts_only_citizens_who_were_asked(report: DailyReport) -> None:
    s = report.satisfaction
    assert (s.asked, s.answered, s.distribution, s.mean) == (3, 2, (0, 0, 0, 1, 1), 4.5)


def test_messages_the_bot_could_not_answer(report: DailyReport) -> None:
    assert [(u.text, u.count, u.citizens, u.intent) for u in report.not_understood] == [
        ("口罩能退吗", 2, 2, "nlu_fallback"), ("hello world", 1, 1, "ask_pickup"), ("哈哈哈", 1, 1, "ask_booking"),
    ]  # fmt: skip


def test_not_understood_keeps_the_top_twenty() -> None:
    turns = [
        turn("08:00", f"问题{n}", "nlu_fallback", 0.2, f"o_{n}_{k}") for n in range(25) for k in range(n + 1)
    ]
    built = build_report(ReportInput(DAY, SHANGHAI, tuple(turns), (), (), SHIFTS))
    assert [u.text for u in built.not_understood] == [f"问题{n}" for n in range(24, 4, -1)]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("口罩能退吗？？", "口罩能退吗"),
        ("  ＫＮ９５ 有货吗  ", "kn95 有货吗"),
        ("？？？", "???"),
        ("!!", "!!"),
    ],
)
def test_normalised_text(raw: str, normal: str) -> None:
    assert normalise_text(raw) == normal


def test_streets_and_percentiles() -> None:
    assert street_of("朝阳区建国路88号华联超市") == "朝阳区建国路"
    assert street_of("和平街道 5 号") == "和平街道"
    assert street_of("地铁3号线") == "地铁3号线"  # a number not after a street word is kept
    assert percentile([], 50) is None
    assert percentile([60, 120], 50) == 90
    assert percentile([60, 120, 300], 90) == pytest.approx(264)


def test_the_day_asked_for() -> None:
    today = date(2020, 2, 18)
    assert parse_day(None, today) == date(2020, 2, 17)
    assert parse_day("2020-02-18", today) == today
    for bad in ("20200217", "2020-2-17", "2020-02-30", "2020-W08-1", "2020-02-19", "昨天"):
        with pytest.raises(BadDay):
            parse_day(bad, today)


def test_an_empty_day_builds_and_renders(tmp_path: Path) -> None:
    empty = build_report(ReportInput(DAY, SHANGHAI, (), (), (), SHIFTS))
    assert empty.messages == 0 and empty.satisfaction.mean is None and not empty.hot_spots.top
    for name in CHARTS:
        assert render_chart(empty, name).startswith(PNG_SIGNATURE)


# ---- rendering ---------------------------------------------------------------------------------------


def test_matplotlib_resolves_the_cjk_font_to_noto() -> None:
    assert Path(cjk_font()).name.startswith("NotoSansCJK")
    found = font_manager.findfont(
        font_manager.FontProperties(family="Noto Sans CJK SC"), fallback_to_default=False
    )
    assert Path(found).name.startswith("NotoSansCJK")


def test_a_missing_cjk_font_is_an_error_not_boxes(
    report: DailyReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "CJK_FONT_FILE", tmp_path / "NotoSansCJK-Regular.ttc")
    with pytest.raises(FontMissing, match="fonts-noto-cjk"):
        render_chart(report, "complaints")
    with pytest.raises(FontMissing):
        write_report(report, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_report_folder_has_markdown_csv_and_png(report: DailyReport, tmp_path: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_report(report, tmp_path)
    assert not [w for w in caught if "missing from font" in str(w.message)], "Chinese drawn as boxes"
    names = {p.name for p in written}
    assert {"report.md", "hot_spots.csv", "shifts.csv", "not_understood.csv"} <= names
    assert len([n for n in names if n.endswith(".png")]) == len(CHARTS) >= 3
    for chart in CHARTS.values():
        png = (tmp_path / chart.file).read_bytes()
        assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width >= 700 and height >= 350 and len(png) > 10_000, chart.file
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    for title in SECTION_TITLES:
        assert f"## {title}" in text
    for chart in CHARTS.values():
        assert f"({chart.file})" in text
    rows = list(csv.reader(io.StringIO((tmp_path / "shifts.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "班次" and rows[-1][:4] == [NO_SHIFT, "", "0", "1"]


def test_what_citizens_typed_stays_text() -> None:
    hostile = ticket(1, "complaint", "09:00", category="投诉", shop="=HYPERLINK(1)", address="<b>|*x*")
    built = build_report(ReportInput(DAY, SHANGHAI, (), (hostile,), (), SHIFTS))
    text = markdown(built)
    assert "\\<b\\>\\|\\*x\\*" in text and "<b>" not in text
    hot = list(csv.reader(io.StringIO(csv_tables(built)["hot_spots.csv"])))
    assert hot[1][:3] == ["今日最多", "商家", "'=HYPERLINK(1)"]


def test_json_has_every_section(report: DailyReport) -> None:
    data = report_json(report)
    assert data["day"] == "2020-02-17" and len(data["per_hour"]) == 24
    for section in (
        "intents",
        "categories",
        "hot_spots",
        "handoffs",
        "shifts",
        "satisfaction",
        "not_understood",
    ):
        assert data[section], section
    assert data["hot_spots"]["rising"][0] == {
        "kind": "shop", "kind_label": "商家", "name": "华联超市", "today": 2, "baseline_mean": 1.0, "change": 1.0,
        "trend": "上升",
    }  # fmt: skip


# ---- the command ----------------------------------------------------------------------------------------


async def seed(url: str) -> None:
    """The sample day's messages (as Rasa's event broker logs them: entry ids are when they were logged) and
    two of its tickets, and a complaint about the same shop the week before."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        await client.flushdb()
        for serial, t in enumerate(sorted(TURNS, key=lambda t: t.at)):
            fields = {"at": f"{t.at:.3f}", "sender": t.sender, "text": t.text, "intent": t.intent,
                      "confidence": f"{t.confidence:.4f}", "actions": " ".join(t.actions), "entities": "[]"}  # fmt: skip
            await client.xadd(keys.turn_log(), fields, id=f"{int(t.at * 1000)}-{serial}")
        store = TicketStore(client, timezone=SHANGHAI)
        for when, shop in ((at("09:00"), "华联超市"), (at("09:00", date(2020, 2, 12)), "华联超市")):
            await store.open(f"o_{when}", f"s_{when}", Reason.COMPLAINT, priority=5, category="投诉", summary="涨价",
                             details={"shop": shop}, live=False, now=when)  # fmt: skip
        await store.open("o_h", "s_h", Reason.REQUEST_HUMAN, priority=3, category="咨询", summary="人工", live=True,
                         now=at("10:00"))  # fmt: skip
    finally:
        await client.aclose()


def test_the_command_writes_the_day_into_its_folder(
    redis_server: EmbeddedRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = redis_server.url.rsplit("/", 1)[0] + "/13"
    asyncio.run(seed(url))
    monkeypatch.setenv("REDIS_URL", url)
    assert report_command("2020-02-17", str(tmp_path)) == 0
    assert "10 条消息，2 张工单" in capsys.readouterr().out
    folder = tmp_path / "2020-02-17"
    assert (folder / "report.md").read_text(encoding="utf-8").startswith("# 12315 每日投诉热点（2020-02-17）")
    hot = list(csv.reader(io.StringIO((folder / "hot_spots.csv").read_text(encoding="utf-8-sig"))))
    assert hot[1] == ["今日最多", "商家", "华联超市", "1", "0.14", "0.86", "上升"]
    assert all((folder / chart.file).read_bytes().startswith(PNG_SIGNATURE) for chart in CHARTS.values())

    assert report_command("2020-2-17", str(tmp_path)) == 2
    assert "日期格式" in capsys.readouterr().err
    monkeypatch.delenv("REDIS_URL")
    assert report_command("2020-02-17", str(tmp_path)) == 2
    assert "REDIS_URL" in capsys.readouterr().err


def test_the_gateway_does_not_load_matplotlib_until_a_chart_is_drawn() -> None:
    """Each gateway process would carry matplotlib and numpy (about 40 MB) for a page a few people open."""
    probe = "import sys, bot.app; print(sorted({'matplotlib', 'numpy'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
