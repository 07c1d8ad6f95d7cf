"""Reading what one day's report needs: the turn log of the day, and the tickets opened on it and on the
week before (the hot spots' baseline), from the running system's Redis; the shifts from their YAML file."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from bot.core.shifts import Shift, parse_shifts
from bot.files import read_yaml_mapping
from bot.report.build import BASELINE_DAYS, ReportInput
from bot.storage.tickets import TicketStore
from bot.storage.turnlog import TurnLog


def day_bounds(day: date, timezone: ZoneInfo) -> tuple[float, float]:
    """[local midnight, next local midnight) as epoch seconds; a day with a clock change is 23 or 25 h."""
    start = datetime.combine(day, time(0), tzinfo=timezone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=timezone)
    return start.timestamp(), end.timestamp()


def load_shifts(path: Path) -> tuple[Shift, ...]:
    """The shifts file, read at each report (a roster changed today shows in tonight's report)."""
    try:
        return parse_shifts(read_yaml_mapping(path, ValueError))
    except (KeyError, TypeError) as exc:  # a shift without its start or end, or a list where a time goes
        raise ValueError(f"{path}: a shift lacks or garbles {exc}") from exc


async def _opened_on(store: TicketStore, days: list[date]) -> list[dict[str, Any]]:
    numbers: list[str] = []
    for day in days:
        numbers.extend(await store.opened_on(day.strftime("%Y%m%d")))
    return await store.many(numbers) if numbers else []


async def collect_day(
    client: aioredis.Redis, day: date, timezone: ZoneInfo, shifts: tuple[Shift, ...]
) -> ReportInput:
    start, end = day_bounds(day, timezone)
    store = TicketStore(client, timezone=timezone)
    week_before = [day - timedelta(days=n) for n in range(1, BASELINE_DAYS + 1)]
    return ReportInput(
        day=day,
        timezone=timezone,
        turns=tuple(await TurnLog(client).between(start, end)),
        tickets=tuple(await _opened_on(store, [day])),
        baseline_tickets=tuple(await _opened_on(store, week_before)),
        shifts=shifts,
    )
