"""Agents' shifts: is someone meant to be on duty now, and if not, when next. Pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Shift:
    name: str
    start: time
    end: time
    days: frozenset[int]  # isoweekday of the day the shift starts on
    staff: int = 0  # agents rostered on it (the daily report sets waiting times against it)

    def covers(self, now: datetime) -> bool:
        today = now.isoweekday()
        yesterday = (now - timedelta(days=1)).isoweekday()
        clock = now.time()
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        # past midnight: the evening part belongs to today, the early-morning part to yesterday's shift
        return (today in self.days and clock >= self.start) or (yesterday in self.days and clock < self.end)


def parse_shifts(data: Mapping[str, Any]) -> tuple[Shift, ...]:
    shifts = []
    for item in data.get("shifts") or []:
        days = frozenset(int(d) for d in item.get("days") or range(1, 8))
        if not days <= set(range(1, 8)):
            raise ValueError(f"shift {item.get('name')}: days are 1 (Monday) to 7 (Sunday)")
        staff = int(item.get("staff") or 0)
        if staff < 0:
            raise ValueError(f"shift {item.get('name')}: staff is a number of agents, 0 or more")
        start, end = time.fromisoformat(item["start"]), time.fromisoformat(item["end"])
        shifts.append(Shift(str(item["name"]), start, end, days, staff))
    if not shifts:
        raise ValueError("no shifts defined")
    return tuple(shifts)


def on_duty(shifts: Sequence[Shift], now: datetime) -> list[str]:
    return [s.name for s in shifts if s.covers(now)]


def next_opening(shifts: Sequence[Shift], now: datetime) -> datetime | None:
    """The next time any shift starts, within a week; None if no shift ever starts."""
    candidates = []
    for offset in range(8):
        day = now.date() + timedelta(days=offset)
        for shift in shifts:
            start = datetime.combine(day, shift.start, tzinfo=now.tzinfo)
            if day.isoweekday() in shift.days and start > now:
                candidates.append(start)
    return min(candidates, default=None)


def describe_opening(opening: datetime, now: datetime) -> str:
    """'今天 16:00', '明天 08:00' or '周一 08:00', as a citizen reads it."""
    days = (opening.date() - now.date()).days
    label = {0: "今天", 1: "明天"}.get(days, f"周{WEEKDAYS[opening.isoweekday() - 1]}")
    return f"{label} {opening:%H:%M}"
