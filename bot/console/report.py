"""The supervisors' page of the daily complaint hot-spot report: /console/report (an HTML shell), its JSON
(/api/report?date=YYYY-MM-DD) and its charts (/api/report/YYYY-MM-DD/<chart>.png).

Each request reads the day from Redis again, so today's report grows while the day goes on. Building and
drawing are CPU work, so they run in a worker thread and the gateway keeps answering WeChat meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.appkeys import REDIS, SETTINGS
from bot.console.pages import templates
from bot.console.security import SESSION, Can, Refusal, error, requires
from bot.report.build import BadDay, DailyReport, build_report, parse_day
from bot.report.collect import collect_day, load_shifts
from bot.report.render import CHARTS, FontMissing, render_chart, report_json

log = logging.getLogger(__name__)


def _day(app: web.Application, text: str | None) -> date:
    today = datetime.now(ZoneInfo(app[SETTINGS].timezone)).date()
    try:
        return parse_day(text, today)
    except BadDay as exc:
        raise Refusal(400, "bad_date", str(exc)) from exc


async def _report(app: web.Application, day: date) -> DailyReport:
    settings = app[SETTINGS]
    try:
        shifts = load_shifts(settings.shifts_path)
    except ValueError as exc:
        raise Refusal(500, "bad_shifts", "班次配置文件有误，请联系维护人员") from exc
    data = await collect_day(app[REDIS], day, ZoneInfo(settings.timezone), shifts)
    return await asyncio.to_thread(build_report, data)


@requires(Can.SUPERVISE, page=True)
async def report_page(request: web.Request) -> web.Response:
    agent = request[SESSION].agent
    text = templates.get_template("report.html").render(agent=agent)
    return web.Response(text=text, content_type="text/html")


@requires(Can.SUPERVISE)
async def report_data(request: web.Request) -> web.Response:
    day = _day(request.app, request.query.get("date"))
    report = await _report(request.app, day)
    charts = {name: f"/api/report/{day.isoformat()}/{name}.png" for name in CHARTS}
    titles = {name: chart.title for name, chart in CHARTS.items()}
    return web.json_response(report_json(report) | {"charts": charts, "chart_titles": titles})


@requires(Can.SUPERVISE)
async def report_chart(request: web.Request) -> web.Response:
    name = request.match_info["chart"]
    if name not in CHARTS:
        return error(404, "not_found", "没有这张图表")
    day = _day(request.app, request.match_info["date"])
    report = await _report(request.app, day)
    try:
        png = await asyncio.to_thread(render_chart, report, name)
    except FontMissing as exc:
        log.error("report chart %s not drawn: %s", name, exc)
        return error(503, "font_missing", "服务器缺少中文字体 Noto Sans CJK SC，无法绘制图表")
    return web.Response(body=png, content_type="image/png")


def add_report_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/console/report", report_page)
    router.add_get("/api/report", report_data)
    router.add_get("/api/report/{date}/{chart}.png", report_chart)
