"""The daily report as the leadership reads it: Markdown, one CSV per section, PNG charts, and JSON for the
console's supervisor page.

Charts are drawn with matplotlib's Agg canvas on a Figure of their own (no pyplot, no global figure), one at
a time under a lock, since the console draws them in worker threads. Chinese labels need a CJK font: the
Debian font Noto Sans CJK SC is required, and its absence is an error, never a chart of empty boxes.
matplotlib is imported when the first chart is drawn: the gateway serves the supervisors' page, and every
gateway process would otherwise carry matplotlib and numpy (about 40 MB) for a page a few people open a day.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.report.build import DailyReport, HotSpot, ShiftTimes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

CJK_FONT_NAME = "Noto Sans CJK SC"
CJK_FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

SECTION_TITLES = (
    "一、每小时消息量",
    "二、意图分布",
    "三、投诉举报工单",
    "四、投诉热点",
    "五、转人工原因",
    "六、各班次等待与处理时长",
    "七、满意度",
    "八、机器人未能回答的消息",
)


class FontMissing(RuntimeError):
    """The CJK font is not installed: charts would show boxes instead of Chinese."""


# ---- text helpers ------------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} 秒"
    if whole < 3600:
        return f"{whole // 60} 分 {whole % 60} 秒"
    return f"{whole // 3600} 小时 {whole % 3600 // 60} 分"


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def mean_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def cell(text: object) -> str:
    """A Markdown table cell: what a citizen typed is shown as text, never as markup or a broken table."""
    return " ".join(str(text).split()).translate(_MARKDOWN_SPECIAL)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines if rows else [*lines, "| " + " | ".join(["—"] * len(headers)) + " |"]


def _hot_spot_row(spot: HotSpot) -> list[object]:
    change = spot.trend if spot.trend in ("新出现", "持平") else f"{spot.trend} {spot.change:+.1f}"
    return [spot.kind_label, spot.name, spot.today, f"{spot.baseline_mean:.2f}", change]


def _shift_row(row: ShiftTimes) -> list[object]:
    return [
        row.shift, row.hours or "—", row.staff, row.tickets, duration(row.waiting_median),
        duration(row.waiting_p90), duration(row.handling_median),
        "—" if row.per_agent is None else f"{row.per_agent:.1f}", row.unclaimed,
    ]  # fmt: skip


# ---- Markdown ----------------------------------------------------------------------------------------

HOT_SPOTS_NOTE = (
    "按投诉举报工单中提取的商家、街道（地址去掉门牌号）和商品统计；“前7日日均”为前 7 天每天的平均工单数。"
)
SHIFTS_NOTE = (
    "工单按进入队列时在岗的班次统计（班次重叠时计入每个在岗班次）；"
    "等待 = 进入队列到被认领，处理 = 认领到关闭。"
)
NOT_UNDERSTOOD_NOTE = (
    "机器人回退或置信度低于 0.5 的消息，按归一化文本合并（全角半角、大小写、空格和首尾标点不计）。"
)
SHIFT_HEADERS = [
    "班次",
    "时段",
    "排班人数",
    "工单数",
    "等待中位数",
    "等待 P90",
    "处理中位数",
    "人均工单",
    "仍未认领",
]


def _section(number: int, body: list[str], chart: str | None = None, note: str | None = None) -> list[str]:
    lines = [f"## {SECTION_TITLES[number]}", ""]
    lines += [note, ""] if note else []
    lines += [*body, ""]
    lines += [f"![{CHARTS[chart].title}]({CHARTS[chart].file})", ""] if chart else []
    return lines


def _hot_spot_tables(report: DailyReport) -> list[str]:
    hot = report.hot_spots
    lines: list[str] = []
    for kind in ("商家", "街道", "商品"):
        rows = [_hot_spot_row(s)[1:] for s in hot.top if s.kind_label == kind]
        lines += [f"### {kind}", "", *_table(["名称", "今日", "前7日日均", "变化"], rows), ""]
    rising = [_hot_spot_row(s) for s in hot.rising]
    return [*lines, "### 较前 7 日上升", "", *_table(["类型", "名称", "今日", "前7日日均", "变化"], rising)]


def _satisfaction_lines(report: DailyReport) -> list[str]:
    s = report.satisfaction
    rate = f"{s.answered / s.asked * 100:.0f}%" if s.asked else "—"
    rows = [[f"{score} 分", n] for score, n in enumerate(s.distribution, start=1)]
    return [
        f"邀请评价 {s.asked} 次（已关闭且有坐席处理的工单），收到评价 {s.answered} 条（{rate}），"
        f"平均 {mean_text(s.mean)} 分。",
        "",
        *_table(["评分", "数量"], rows),
    ]


def markdown(report: DailyReport) -> str:
    day = report.day.isoformat()
    hours = [[f"{h:02d}:00-{h + 1:02d}:00", n] for h, n in enumerate(report.per_hour)]
    intents = [[i.label, i.count, percent(i.share)] for i in report.intents]
    categories = [[c.category, c.tickets, c.unconfirmed] for c in report.categories]
    handoffs = [[h.label, h.count, percent(h.share)] for h in report.handoffs]
    unanswered = [[i, u.text, u.count, u.citizens, u.intent] for i, u in enumerate(report.not_understood, 1)]
    lines = [
        f"# 12315 每日投诉热点（{day}）",
        "",
        f"统计范围：{day} 全天（{report.timezone}）。群众消息 {report.messages} 条，"
        f"来自 {report.citizens} 位群众；当日新建工单 {report.tickets} 张。",
        "",
        *_section(0, _table(["时段", "消息数"], hours), "messages_per_hour"),
        *_section(1, _table(["意图", "消息数", "占比"], intents)),
        *_section(2, _table(["类别", "工单数", "其中未经群众确认"], categories)),
        *_section(3, _hot_spot_tables(report), "complaints", HOT_SPOTS_NOTE),
        *_section(4, _table(["原因", "工单数", "占比"], handoffs), "handoffs"),
        *_section(5, _table(SHIFT_HEADERS, [_shift_row(r) for r in report.shifts]), "shifts", SHIFTS_NOTE),
        *_section(6, _satisfaction_lines(report), "satisfaction"),
        *_section(7, _table(["排名", "消息", "次数", "群众数", "机器人猜测的意图"], unanswered), None,
                  NOT_UNDERSTOOD_NOTE),
    ]  # fmt: skip
    return "\n".join(lines)


# ---- CSV ---------------------------------------------------------------------------------------------


def _csv_safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula, whatever a citizen typed (=, +, -, @)."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([[_csv_safe(v) for v in row] for row in rows])
    return buffer.getvalue()


def _number(value: float | None, digits: int = 1) -> object:
    return "" if value is None else round(value, digits)


def csv_tables(report: DailyReport) -> dict[str, str]:
    """File name → CSV text, one per section; durations in seconds, shares 0..1."""
    s = report.satisfaction
    boards = [("今日最多", spot) for spot in report.hot_spots.top]
    boards += [("较前7日上升", spot) for spot in report.hot_spots.rising]
    hot = [
        [board, h.kind_label, h.name, h.today, round(h.baseline_mean, 2), round(h.change, 2), h.trend]
        for board, h in boards
    ]
    shifts = [
        [r.shift, r.hours, r.staff, r.tickets, _number(r.waiting_median), _number(r.waiting_p90),
         _number(r.handling_median), _number(r.per_agent, 2), r.unclaimed]
        for r in report.shifts
    ]  # fmt: skip
    ratings: list[list[object]] = [
        ["邀请评价", s.asked],
        ["收到评价", s.answered],
        ["平均分", _number(s.mean, 2)],
    ]
    ratings += [[f"{score}分", n] for score, n in enumerate(s.distribution, start=1)]
    return {
        "messages_per_hour.csv": _csv(["小时", "消息数"], list(enumerate(report.per_hour))),
        "intents.csv": _csv(
            ["意图", "消息数", "占比"], [[i.key, i.count, round(i.share, 4)] for i in report.intents]
        ),
        "categories.csv": _csv(
            ["类别", "工单数", "未经群众确认"],
            [[c.category, c.tickets, c.unconfirmed] for c in report.categories],
        ),
        "hot_spots.csv": _csv(["榜单", "类型", "名称", "今日", "前7日日均", "变化", "趋势"], hot),
        "handoffs.csv": _csv(
            ["原因", "代码", "工单数", "占比"],
            [[h.label, h.key, h.count, round(h.share, 4)] for h in report.handoffs],
        ),
        "shifts.csv": _csv(
            [
                "班次",
                "时段",
                "排班人数",
                "工单数",
                "等待中位数(秒)",
                "等待P90(秒)",
                "处理中位数(秒)",
                "人均工单",
                "仍未认领",
            ],
            shifts,
        ),
        "satisfaction.csv": _csv(["项目", "数值"], ratings),
        "not_understood.csv": _csv(
            ["排名", "消息", "次数", "群众数", "机器人猜测的意图"],
            [[i, u.text, u.count, u.citizens, u.intent] for i, u in enumerate(report.not_understood, 1)],
        ),
    }


# ---- JSON --------------------------------------------------------------------------------------------


def report_json(report: DailyReport) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    data["day"] = report.day.isoformat()
    return data


# ---- charts ------------------------------------------------------------------------------------------

_DRAWING = threading.Lock()
_BLUE, _GREY, _RED, _ORANGE = "#3b6fb6", "#b0b7c3", "#c8161d", "#f0a020"


def cjk_font() -> str:
    """The font file matplotlib uses for Chinese; FontMissing when Noto Sans CJK SC is not installed."""
    from matplotlib import font_manager

    if not CJK_FONT_FILE.exists():
        raise FontMissing(
            f"{CJK_FONT_NAME} is missing ({CJK_FONT_FILE}): install Debian's fonts-noto-cjk for the charts"
        )
    # matplotlib's font list is cached from its first run; a font installed later is added here.
    if CJK_FONT_NAME not in {entry.name for entry in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    try:
        found: str = font_manager.findfont(
            font_manager.FontProperties(family=CJK_FONT_NAME), fallback_to_default=False
        )
    except ValueError as exc:
        raise FontMissing(f"matplotlib cannot load {CJK_FONT_NAME} from {CJK_FONT_FILE}: {exc}") from exc
    return found


def _label(text: str, limit: int = 14) -> str:
    """A citizen's name for a shop as a chart label: BMP characters only (emoji have no glyph in the font),
    and short enough to leave room for the bars."""
    plain = "".join(c for c in text if c.isprintable() and ord(c) <= 0xFFFF)
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def _whole_numbers(axis: Axis) -> None:
    """Counts of messages and tickets: no 0.25 of a ticket on the axis."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _nothing(axes: Axes, title: str) -> None:
    axes.set_title(title)
    axes.text(0.5, 0.5, "当日无数据", ha="center", va="center", transform=axes.transAxes, color="#777")
    axes.set_xticks([])
    axes.set_yticks([])


def _messages_per_hour(figure: Figure, report: DailyReport) -> None:
    axes = figure.subplots()
    axes.bar(range(24), report.per_hour, color=_BLUE)
    axes.set(xticks=range(24), xlabel="时（本地时间）", ylabel="消息数", xlim=(-0.6, 23.6))
    axes.set_title(f"每小时消息量（共 {report.messages} 条）")
    _whole_numbers(axes.yaxis)
    axes.grid(axis="y", alpha=0.3)


def _complaints(figure: Figure, report: DailyReport) -> None:
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
    names = [c.category for c in report.categories]
    confirmed = [c.tickets - c.unconfirmed for c in report.categories]
    left.bar(names, confirmed, color=_BLUE, label="已确认")
    unconfirmed = [c.unconfirmed for c in report.categories]
    left.bar(names, unconfirmed, bottom=confirmed, color=_ORANGE, label="未确认")
    left.set(title="投诉举报工单", ylabel="工单数")
    _whole_numbers(left.yaxis)
    left.legend()
    spots = sorted(report.hot_spots.top, key=lambda s: (-s.today, -s.change))[:10][::-1]
    if not spots:
        _nothing(right, "投诉热点")
        return
    rows = range(len(spots))
    right.barh([r + 0.2 for r in rows], [s.today for s in spots], height=0.4, color=_RED, label="今日")
    right.barh([r - 0.2 for r in rows], [s.baseline_mean for s in spots], height=0.4, color=_GREY,
               label="前7日日均")  # fmt: skip
    right.set_yticks(list(rows), [f"{s.kind_label}·{_label(s.name)}" for s in spots])
    for row, spot in zip(rows, spots, strict=True):
        if spot.trend == "新出现":
            right.text(spot.today, row + 0.2, " 新出现", va="center", color=_RED, fontsize=8)
    right.set(title="投诉热点（今日与前7日日均）", xlabel="工单数")
    _whole_numbers(right.xaxis)
    right.legend(loc="lower right")


def _shifts(figure: Figure, report: DailyReport) -> None:
    axes = figure.subplots()
    rows = [r for r in report.shifts if r.tickets or r.staff]
    if not any(r.tickets for r in rows):
        _nothing(axes, "各班次等待与处理时长")
        return
    series = [("等待中位数", "waiting_median", _BLUE), ("等待 P90", "waiting_p90", _ORANGE),
              ("处理中位数", "handling_median", _RED)]  # fmt: skip
    longest = max((getattr(r, field) or 0) for r in rows for _label, field, _colour in series)
    unit, per = ("秒", 1) if longest < 120 else ("分钟", 60)  # a quick day in seconds, a busy one in minutes
    for index, (label, field, colour) in enumerate(series):
        values = [(getattr(r, field) or 0) / per for r in rows]
        axes.bar([i + (index - 1) * 0.27 for i in range(len(rows))], values, width=0.27, color=colour,
                 label=label)  # fmt: skip
    waiting = {r.shift: f"，{r.unclaimed} 张未认领" if r.unclaimed else "" for r in rows}
    axes.set_xticks(range(len(rows)), [f"{r.shift}\n{r.tickets} 张{waiting[r.shift]}" for r in rows])
    axes.set(title="各班次等待与处理时长", ylabel=unit)
    axes.grid(axis="y", alpha=0.3)
    axes.legend()


def _handoffs(figure: Figure, report: DailyReport) -> None:
    axes = figure.subplots()
    if not report.tickets:
        _nothing(axes, "转人工原因")
        return
    bars = axes.bar([h.label for h in report.handoffs], [h.count for h in report.handoffs], color=_BLUE)
    axes.bar_label(bars, labels=[f"{h.count}（{percent(h.share)}）" for h in report.handoffs])
    axes.set(title=f"转人工原因（共 {report.tickets} 张工单）", ylabel="工单数")
    _whole_numbers(axes.yaxis)


def _satisfaction(figure: Figure, report: DailyReport) -> None:
    axes = figure.subplots()
    s = report.satisfaction
    axes.bar([f"{n} 分" for n in range(1, 6)], s.distribution, color=[_RED, _ORANGE, _GREY, _BLUE, _BLUE])
    axes.set(ylabel="评价数")
    _whole_numbers(axes.yaxis)
    axes.set_title(f"满意度：邀请 {s.asked} 次，收到 {s.answered} 条，平均 {mean_text(s.mean)} 分")


@dataclasses.dataclass(frozen=True)
class Chart:
    file: str
    title: str
    draw: Callable[[Figure, DailyReport], None]
    size: tuple[float, float] = (10, 4.5)


CHARTS: dict[str, Chart] = {
    "messages_per_hour": Chart("messages_per_hour.png", "每小时消息量", _messages_per_hour),
    "complaints": Chart("complaints.png", "投诉举报工单与热点", _complaints, (12, 5)),
    "shifts": Chart("shifts.png", "各班次等待与处理时长", _shifts),
    "handoffs": Chart("handoffs.png", "转人工原因", _handoffs),
    "satisfaction": Chart("satisfaction.png", "满意度", _satisfaction, (8, 4)),
}


def render_chart(report: DailyReport, name: str) -> bytes:
    """One chart as PNG bytes (KeyError for an unknown name)."""
    chart = CHARTS[name]
    with _DRAWING:  # also keeps two threads from adding the font to matplotlib's list at once
        cjk_font()
        return _draw(chart, report)


def _draw(chart: Chart, report: DailyReport) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(
        {
            "font.family": [CJK_FONT_NAME],
            "axes.unicode_minus": False,
            "text.parse_math": False,  # a shop called "$5$" is a name, not a formula
        }
    ):
        figure = Figure(figsize=chart.size, dpi=100)
        FigureCanvasAgg(figure)  # the Agg canvas draws it, whatever backend the process chose
        chart.draw(figure, report)
        figure.suptitle(f"12315 每日投诉热点 {report.day.isoformat()}", fontsize=9, x=0.99, ha="right")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def write_report(report: DailyReport, folder: Path) -> list[Path]:
    """report.md, a CSV per section and the charts into `folder`; returns the files written."""
    cjk_font()  # no half-written report when the charts cannot be drawn
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "report.md"]
    written[0].write_text(markdown(report), encoding="utf-8")
    for file_name, text in csv_tables(report).items():
        # utf-8 with a BOM: Excel, which the centre's office opens CSVs with, then reads the Chinese right.
        (folder / file_name).write_text(text, encoding="utf-8-sig")
        written.append(folder / file_name)
    for name, chart in CHARTS.items():
        (folder / chart.file).write_bytes(render_chart(report, name))
        written.append(folder / chart.file)
    return written
