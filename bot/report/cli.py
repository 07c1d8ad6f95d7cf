"""`python -m bot report [--date YYYY-MM-DD] [--out reports]`: one day's report into OUT/YYYY-MM-DD/."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.core.shifts import Shift
from bot.report.build import BadDay, DailyReport, build_report, parse_day
from bot.report.collect import collect_day, load_shifts
from bot.report.render import FontMissing, write_report
from bot.settings import SettingsError, load_settings
from bot.storage.redis import NO_REDIS_URL


async def _build(url: str, day: date, timezone: ZoneInfo, shifts: tuple[Shift, ...]) -> DailyReport:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        data = await collect_day(client, day, timezone, shifts)
    finally:
        await client.aclose()
    return build_report(data)


def report_command(date_text: str | None, out: str) -> int:
    try:
        # The report uses no WeChat or Rasa value: development defaults fill those in unless BOT_ENV says
        # otherwise, so a report needs only REDIS_URL (and BOT_TIMEZONE, SHIFTS_PATH when not the defaults).
        settings = load_settings(os.environ | {"BOT_ENV": os.environ.get("BOT_ENV", "development")})
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if settings.redis_url is None:
        print(NO_REDIS_URL, file=sys.stderr)
        return 2
    timezone = ZoneInfo(settings.timezone)
    try:
        day = parse_day(date_text, datetime.now(timezone).date())
    except BadDay as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    try:
        shifts = load_shifts(settings.shifts_path)
    except ValueError as exc:
        print(f"invalid shifts file {settings.shifts_path}: {exc}", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(_build(settings.redis_url, day, timezone, shifts))
    except (RedisError, OSError) as exc:
        print(f"cannot read the report's data from {settings.redis_url}: {exc}", file=sys.stderr)
        return 1
    folder = Path(out) / day.isoformat()
    try:
        written = write_report(report, folder)
    except FontMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"每日投诉热点 {day.isoformat()}：{report.messages} 条消息，{report.tickets} 张工单")
    print(f"written to {folder}/: {', '.join(p.name for p in written)}")
    return 0
