"""The daily report as a pure function: one local day's turns and tickets in, a frozen `DailyReport` out.

No I/O here (collect.py reads Redis, render.py writes files), so every figure is tested on hand-made data.
Times are epoch seconds; days and hours are the centre's local time.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.misunderstood import INTENT_NAMES
from bot.core.privacy import mask_pii
from bot.core.shifts import Shift
from bot.storage.turnlog import Turn

INTENT_LABELS = {intent: f"{name}（{intent}）" for intent, name in INTENT_NAMES.items()}
REASON_LABELS = {
    "angry": "情绪激动",
    "request_human": "要求人工",
    "unresolved": "未解决",
    "complaint": "投诉举报",
}
CATEGORIES = ("投诉", "举报")
HOT_SPOT_KINDS = {"shop": "商家", "address": "街道", "product": "商品"}  # keys of a ticket's `details`
NO_SHIFT = "无班次"
NEW, RISING, LEVEL, FALLING = "新出现", "上升", "持平", "下降"
BASELINE_DAYS = 7  # today's hot spots are set against the daily mean of the week before
LOW_CONFIDENCE = 0.5  # below this the bot's answer was a guess: the message counts as not understood
TOP_HOT_SPOTS = 10
TOP_NOT_UNDERSTOOD = 20
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadDay(ValueError):
    """The requested day is malformed or in the future; the message is for the user, in Chinese."""


@dataclass(frozen=True)
class ReportInput:
    day: date
    timezone: ZoneInfo
    turns: tuple[Turn, ...]  # citizens' messages sent on the day
    tickets: tuple[Mapping[str, Any], ...]  # opened on the day, as TicketStore.many decodes them
    baseline_tickets: tuple[Mapping[str, Any], ...]  # opened on the BASELINE_DAYS days before
    shifts: tuple[Shift, ...]


@dataclass(frozen=True)
class Share:
    key: str  # as in the data: an intent name, a ticket reason
    label: str  # as a reader sees it
    count: int
    share: float  # of the section's total, 0..1


@dataclass(frozen=True)
class CategoryCount:
    category: str  # 投诉 or 举报
    tickets: int
    unconfirmed: int  # filed from a form the citizen left before confirming


@dataclass(frozen=True)
class HotSpot:
    kind: str  # shop | address | product
    kind_label: str
    name: str
    today: int  # complaint tickets naming it today
    baseline_mean: float  # ... per day over the BASELINE_DAYS days before
    change: float  # today - baseline_mean
    trend: str  # 新出现 | 上升 | 持平 | 下降


@dataclass(frozen=True)
class HotSpots:
    top: tuple[HotSpot, ...]  # the most named today, up to TOP_HOT_SPOTS of each kind
    rising: tuple[HotSpot, ...]  # above their weekly mean, the largest rise first


@dataclass(frozen=True)
class ShiftTimes:
    shift: str
    hours: str  # "22:00-08:00"; "" for the tickets outside every shift
    staff: int  # agents rostered
    tickets: int  # queued while the shift was on
    waiting_median: float | None  # seconds from queued to claimed (claimed tickets only)
    waiting_p90: float | None
    handling_median: float | None  # seconds from claimed to closed (closed tickets only)
    per_agent: float | None  # tickets per rostered agent; None when nobody is rostered
    unclaimed: int  # still waiting in the queue


@dataclass(frozen=True)
class Satisfaction:
    asked: int  # closed tickets an agent had: the citizen was asked for a 1-5 rating
    answered: int
    distribution: tuple[int, int, int, int, int]  # how many rated 1, 2, 3, 4, 5
    mean: float | None


@dataclass(frozen=True)
class NotUnderstood:
    text: str  # normalised: one row for every way of typing the same message
    count: int
    citizens: int
    intent: str  # what the bot guessed most often


@dataclass(frozen=True)
class DailyReport:
    day: date
    timezone: str
    messages: int
    citizens: int
    tickets: int
    per_hour: tuple[int, ...]  # 24 buckets, local hours
    intents: tuple[Share, ...]
    categories: tuple[CategoryCount, ...]
    hot_spots: HotSpots
    handoffs: tuple[Share, ...]
    shifts: tuple[ShiftTimes, ...]
    satisfaction: Satisfaction
    not_understood: tuple[NotUnderstood, ...]


def parse_day(text: str | None, today: date) -> date:
    """The report's day from YYYY-MM-DD; None means yesterday, the last whole day."""
    if text is None or text == "":
        return today - timedelta(days=1)
    if not _DATE.fullmatch(text):
        raise BadDay("日期格式应为 YYYY-MM-DD，例如 2020-02-13")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise BadDay("日期无效，请检查年月日") from exc
    if day > today:
        raise BadDay("日期不能晚于今天")
    if day.year < 2000:  # the report looks a week back: year 1 would overflow, and nothing is that old
        raise BadDay("日期不能早于 2000 年")
    return day


def build_report(data: ReportInput) -> DailyReport:
    complaints = [t for t in data.tickets if t.get("reason") == "complaint"]
    return DailyReport(
        day=data.day,
        timezone=data.timezone.key,
        messages=len(data.turns),
        citizens=len({t.sender for t in data.turns}),
        tickets=len(data.tickets),
        per_hour=per_hour(data.turns, data.timezone),
        intents=tuple(  # only the intents heard, each with its Chinese name
            replace(i, label=INTENT_LABELS.get(i.key, i.key))
            for i in _shares(Counter(t.intent or "(无)" for t in data.turns), {})
        ),
        categories=categories(complaints),
        hot_spots=hot_spots(complaints, [t for t in data.baseline_tickets if t.get("reason") == "complaint"]),
        handoffs=_shares(Counter(str(t.get("reason") or "") for t in data.tickets), REASON_LABELS),
        shifts=shift_times(data.tickets, data.shifts, data.timezone),
        satisfaction=satisfaction(data.tickets),
        not_understood=not_understood(data.turns),
    )


def per_hour(turns: Iterable[Turn], timezone: ZoneInfo) -> tuple[int, ...]:
    buckets = [0] * 24
    for turn in turns:
        buckets[datetime.fromtimestamp(turn.at, timezone).hour] += 1
    return tuple(buckets)


def _shares(counts: Counter[str], labels: Mapping[str, str]) -> tuple[Share, ...]:
    """Every labelled key (even at 0, so a reader sees what did not happen), then the rest, most first."""
    total = sum(counts.values())
    keys = list(labels) + [k for k, _ in counts.most_common() if k not in labels]
    rows = [Share(k, labels.get(k, k), counts[k], counts[k] / total if total else 0.0) for k in keys]
    return tuple(sorted(rows, key=lambda r: -r.count))


def categories(complaints: Iterable[Mapping[str, Any]]) -> tuple[CategoryCount, ...]:
    tickets: Counter[str] = Counter()
    unconfirmed: Counter[str] = Counter()
    for ticket in complaints:
        category = str(ticket.get("category") or "投诉")
        tickets[category] += 1
        unconfirmed[category] += not ticket.get("confirmed", True)
    names = list(CATEGORIES) + sorted(set(tickets) - set(CATEGORIES))
    return tuple(CategoryCount(name, tickets[name], unconfirmed[name]) for name in names)


# ---- hot spots ---------------------------------------------------------------------------------------

_STREET_END = re.compile(r"(?<=[路街道巷弄里])\s*\d+\s*号.*$")


def _plain(value: str) -> str:
    """Full-width to half-width, whitespace collapsed: 'ＫＮ９５ 口罩' and 'KN95  口罩' are one name."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def street_of(address: str) -> str:
    """An address without its house number, so complaints about one street add up: 建国路88号 → 建国路."""
    plain = _plain(address)
    return _STREET_END.sub("", plain) or plain


_NAME_OF: dict[str, Callable[[str], str]] = {
    "shop": _plain,
    "address": street_of,
    "product": lambda value: _plain(value).upper(),  # kn95 and KN95
}


def _named(tickets: Iterable[Mapping[str, Any]], kind: str) -> Counter[str]:
    """Tickets naming each shop (street, product); a ticket counts once per name."""
    counts: Counter[str] = Counter()
    for ticket in tickets:
        details = ticket.get("details")
        value = details.get(kind) if isinstance(details, Mapping) else None
        name = _NAME_OF[kind](str(value)) if value else ""
        if name:
            counts[name] += 1
    return counts


def trend(today: int, baseline_mean: float) -> str:
    if baseline_mean == 0:
        return NEW if today > 0 else LEVEL
    if math.isclose(today, baseline_mean):
        return LEVEL
    return RISING if today > baseline_mean else FALLING


def hot_spots(complaints: Sequence[Mapping[str, Any]], baseline: Sequence[Mapping[str, Any]]) -> HotSpots:
    top: list[HotSpot] = []
    everything: list[HotSpot] = []
    for kind, kind_label in HOT_SPOT_KINDS.items():
        before = _named(baseline, kind)
        spots = []
        for name, today in _named(complaints, kind).items():
            mean = before[name] / BASELINE_DAYS
            spots.append(HotSpot(kind, kind_label, name, today, mean, today - mean, trend(today, mean)))
        spots.sort(key=lambda s: (-s.today, -s.change, s.name))
        top.extend(spots[:TOP_HOT_SPOTS])
        everything.extend(spots)
    rising = sorted((s for s in everything if s.change > 0), key=lambda s: (-s.change, -s.today, s.name))
    return HotSpots(tuple(top), tuple(rising[:TOP_HOT_SPOTS]))


# ---- shifts ------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile, interpolated between the nearest values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _seconds(ticket: Mapping[str, Any], start: str, end: str) -> float | None:
    if not ticket.get(start) or not ticket.get(end):
        return None
    # Clocks of two gateways may disagree by a little; a negative wait is a zero wait.
    return max(0.0, float(ticket[end]) - float(ticket[start]))


def _times(name: str, hours: str, staff: int, tickets: Sequence[Mapping[str, Any]]) -> ShiftTimes:
    waits = [w for t in tickets if (w := _seconds(t, "queued_at", "claimed_at")) is not None]
    handling = [h for t in tickets if (h := _seconds(t, "claimed_at", "closed_at")) is not None]
    return ShiftTimes(
        shift=name,
        hours=hours,
        staff=staff,
        tickets=len(tickets),
        waiting_median=percentile(waits, 50),
        waiting_p90=percentile(waits, 90),
        handling_median=percentile(handling, 50),
        per_agent=len(tickets) / staff if staff else None,
        unclaimed=sum(1 for t in tickets if t.get("status") == "queued"),
    )


def shift_times(
    tickets: Iterable[Mapping[str, Any]], shifts: Sequence[Shift], timezone: ZoneInfo
) -> tuple[ShiftTimes, ...]:
    """Each ticket belongs to every shift on duty when it was queued (白班 and 行政班 overlap), or to
    无班次 when none was: those waited for the next shift to start."""
    by_shift: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for ticket in tickets:
        if not ticket.get("queued_at"):
            continue
        moment = datetime.fromtimestamp(float(ticket["queued_at"]), timezone)
        covering = [s.name for s in shifts if s.covers(moment)] or [NO_SHIFT]
        for name in covering:
            by_shift[name].append(ticket)
    rows = [_times(s.name, f"{s.start:%H:%M}-{s.end:%H:%M}", s.staff, by_shift[s.name]) for s in shifts]
    return (*rows, _times(NO_SHIFT, "", 0, by_shift[NO_SHIFT]))


# ---- satisfaction and what the bot did not understand ------------------------------------------------


def satisfaction(tickets: Iterable[Mapping[str, Any]]) -> Satisfaction:
    asked = [t for t in tickets if t.get("status") == "closed" and t.get("claimed_at")]
    ratings = [int(t["rating"]) for t in asked if t.get("rating") and 1 <= int(t["rating"]) <= 5]
    counts = Counter(ratings)
    distribution = (counts[1], counts[2], counts[3], counts[4], counts[5])
    mean = sum(ratings) / len(ratings) if ratings else None
    return Satisfaction(len(asked), len(ratings), distribution, mean)


_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def normalise_text(text: str) -> str:
    """One form for the ways of typing one message: width, case, spacing and end punctuation ignored."""
    plain = _plain(text).lower()
    return _EDGE_PUNCTUATION.sub("", plain) or plain


def not_understood(turns: Iterable[Turn]) -> tuple[NotUnderstood, ...]:
    counts: Counter[str] = Counter()
    senders: dict[str, set[str]] = defaultdict(set)
    guesses: dict[str, Counter[str]] = defaultdict(Counter)
    for turn in turns:
        if not (turn.fell_back or turn.confidence < LOW_CONFIDENCE):
            continue
        text = mask_pii(normalise_text(turn.text))  # a report leaves the centre: no phone or ID numbers
        if not text:
            continue
        counts[text] += 1
        senders[text].add(turn.sender)
        guesses[text][turn.intent] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], -len(senders[item[0]]), item[0]))
    return tuple(
        NotUnderstood(text, count, len(senders[text]), guesses[text].most_common(1)[0][0])
        for text, count in ranked[:TOP_NOT_UNDERSTOOD]
    )
