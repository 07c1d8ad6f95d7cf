"""The gateway's logs: JSON lines, citizens tagged not named, secrets redacted, URLs kept out."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web

from bot.logs import REDACTED, JsonFormatter, RedactSecrets, citizen, message_ref, setup_logging
from bot.settings import load_settings
from tests.fakes.servers import serving

OPENID = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc"
SECRET = "wechat-app-secret-9f8e7d"


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """setup_logging replaces the root handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def json_logger(name: str, *secrets: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_object_per_line_with_its_extra_fields() -> None:
    log, stream = json_logger("test.logs.json")
    log.info("ticket %s queued", "12315-20200213-0042", extra={"citizen": citizen(OPENID), "priority": 2})
    log.warning("两行\n的消息")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("worker failed")
    first, second, third = lines(stream)
    assert set(first) == {"time", "level", "logger", "message", "citizen", "priority"}
    assert first["level"] == "INFO" and first["logger"] == "test.logs.json"
    assert first["message"] == "ticket 12315-20200213-0042 queued"
    assert first["citizen"] == citizen(OPENID) and first["priority"] == 2
    assert str(first["time"]).endswith("+00:00")
    assert second["message"] == "两行\n的消息"  # Chinese readable, the newline inside the JSON string
    assert "ValueError: boom" in str(third["exception"])


def test_a_citizen_is_a_short_stable_tag_never_the_openid() -> None:
    tag = citizen(OPENID)
    assert tag.startswith("c:") and len(tag) == 10
    assert int(tag[2:], 16) >= 0  # hex
    assert OPENID not in tag
    assert citizen(OPENID) == tag  # the same citizen, the same tag: their lines can be found together
    assert citizen(OPENID + "x") != tag


def test_an_event_key_names_the_citizen_by_tag() -> None:
    assert message_ref("msg:24000111222333") == "msg:24000111222333"
    ref = message_ref(f"evt:{OPENID}:1581566400:click:BOOKING")
    assert ref == f"evt:{citizen(OPENID)}:1581566400:click:BOOKING"
    assert OPENID not in ref


def test_secrets_are_redacted_from_messages_extras_and_tracebacks() -> None:
    log, stream = json_logger("test.logs.redact", SECRET, "ab")  # "ab": too short to redact safely
    log.warning("token refresh with %s failed", SECRET)
    log.info("calling", extra={"url": f"https://api.weixin.qq.com/cgi-bin/token?secret={SECRET}&x=1"})
    try:
        raise RuntimeError(f"refused credential {SECRET}")
    except RuntimeError:
        log.exception("send failed")
    log.info("fetched https://api/cgi-bin/message/custom/send?access_token=ACCESS_TOKEN_VALUE&y=2")
    log.info("cookie fd_session=abcdef0123; Authorization: Bearer metrics-token-value")
    log.info("about a tab")
    output = stream.getvalue()
    assert SECRET not in output
    assert "ACCESS_TOKEN_VALUE" not in output
    assert "abcdef0123" not in output and "metrics-token-value" not in output
    first, second, third, fourth, _, last = lines(stream)
    assert first["message"] == f"token refresh with {REDACTED} failed"
    assert second["url"] == f"https://api.weixin.qq.com/cgi-bin/token?secret={REDACTED}&x=1"
    assert f"refused credential {REDACTED}" in str(third["exception"])
    assert fourth["message"] == f"fetched https://api/cgi-bin/message/custom/send?access_token={REDACTED}&y=2"
    assert last["message"] == "about a tab"


def test_production_logs_json_lines_and_development_text(
    root_logging: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    production = load_settings(
        {"WECHAT_TOKEN": "tok-prod-1", "WECHAT_APPID": "wx1", "WECHAT_SECRET": SECRET, "RASA_URL": "http://r",
         "RASA_TOKEN": "rasa-prod-token"}
    )  # fmt: skip
    assert production.log_format == "json"
    setup_logging(production)
    logging.getLogger("bot.test").info("secret is %s, rasa token %s", SECRET, "rasa-prod-token")
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["logger"] == "bot.test"
    assert entry["message"] == f"secret is {REDACTED}, rasa token {REDACTED}"

    setup_logging(load_settings({"BOT_ENV": "development"}))
    logging.getLogger("bot.test").info("plain words")
    assert capsys.readouterr().err.strip().endswith("INFO bot.test: plain words")


async def _tracker(request: web.Request) -> web.Response:
    return web.json_response({})


async def test_the_access_log_names_the_route_not_the_url(caplog: pytest.LogCaptureFixture) -> None:
    app = web.Application()
    app.router.add_get("/conversations/{sender}/tracker", _tracker)
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with serving(app) as base, aiohttp.ClientSession() as session:  # serves with AccessLog
        tracker = f"{base}/conversations/{OPENID}/tracker"
        async with session.get(tracker, params={"token": "rasa-token-in-query"}) as response:
            assert response.status == 200
        async with session.get(f"{base}/wechat/{OPENID}", params={"openid": OPENID}) as response:
            assert response.status == 404  # no such route
    access = [r for r in caplog.records if r.name == "aiohttp.access"]
    assert [r.getMessage().rsplit(" ", 2)[0] for r in access] == [
        "GET /conversations/{sender}/tracker 200",
        "GET (no route) 404",
    ]
    assert all(OPENID not in r.getMessage() and "rasa-token" not in r.getMessage() for r in access)
    assert access[0].__dict__["route"] == "/conversations/{sender}/tracker"


def test_a_malformed_log_call_does_not_raise_at_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    log, stream = json_logger("test.logs.malformed", SECRET)
    monkeypatch.setattr(logging, "raiseExceptions", False)  # as in production: report and go on
    log.info("two %s %s", "but one")  # noqa: PLE1206 (the mistake under test)
    assert stream.getvalue() == ""  # dropped by the handler, as the standard library does
