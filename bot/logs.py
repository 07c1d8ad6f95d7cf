"""The gateway's logs: JSON lines in production, readable text in development, and nothing a log reader
should not see.

- A citizen's openid is never logged in clear: `citizen(openid)` gives a short tag (the same openid always
  gives the same tag, so one citizen's lines can still be found together).
- What citizens write is never logged at info level or above (the code logs message keys and tags only).
- The configured secrets (WeChat token, secret and AES key, Rasa token, metrics token) are redacted from
  every record by `RedactSecrets`, should one ever reach a log line or a traceback; so are `token=`,
  `secret=`, `password=` and `access_token=` values and the console's session cookie.
- The access log names the route, not the URL: WeChat puts the citizen's openid in the callback's query
  string, and Rasa's routes carry it in the path.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from bot.core.privacy import mask_pii
from bot.settings import Settings

REDACTED = "[redacted]"
# WeChat's server token may be as short as 3 characters; anything shorter would mangle every line.
MIN_SECRET_LENGTH = 3
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# `name=value` pairs whose value is a credential wherever they appear (a URL, a cookie header).
_CREDENTIAL_PAIRS = re.compile(
    r"(?i)\b(\w*(?:token|secret|password)|fd_session|authorization)(\s*[=:]\s*)(bearer\s+)?[^&\s;,\"']+"
)

# The attributes every LogRecord has; anything else on a record came from `extra=` and is a field of its own.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def citizen(openid: str) -> str:
    """A citizen's tag for logs: the first 8 hex digits of the openid's sha256 ("c:1a2b3c4d").

    Unsalted on purpose: every gateway process gives one citizen the same tag, on every day. An openid is
    a random per-account id of 28 characters, so the tag cannot be turned back into it by guessing."""
    return "c:" + hashlib.sha256(openid.encode()).hexdigest()[:8]


def message_ref(dedupe_key: str) -> str:
    """A message's dedupe key fit for logs: an event's key carries the citizen's openid, tagged here.

    The key's shapes are `Inbound.dedupe_key`'s: `msg:<MsgId>`, `evt:<openid>:<CreateTime>:<Event>:<Key>`."""
    kind, _, rest = dedupe_key.partition(":")
    if kind != "evt":
        return dedupe_key
    openid, _, tail = rest.partition(":")
    return f"evt:{citizen(openid)}:{tail}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, then any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Chinese stays readable; default=str: an odd `extra` value never breaks the line.
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactSecrets(logging.Filter):
    """Replaces the configured secret values, and credential-looking `name=value` pairs, in every record.

    Installed on the handlers (a filter on a logger would miss the records its children propagate)."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is replaced whole.
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        self._secrets = sorted(values, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        # and a citizen's phone or ID number, should a debug line carry a text
        return mask_pii(_CREDENTIAL_PAIRS.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call (arguments not matching): the handler reports it as logging does
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


def secrets_of(settings: Settings) -> list[str | None]:
    return [
        settings.wechat_token,
        settings.wechat_secret,
        settings.wechat_aes_key,
        settings.rasa_token,
        settings.metrics_token,
    ]


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    """The root handler of `python -m bot serve`: JSON lines or text, with secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    logging.basicConfig(level=level, handlers=[handler], force=True)


class AccessLog(AbstractAccessLogger):
    """One line per request, naming the route ("/conversations/{sender}/tracker"), never the URL itself:
    the query string of a WeChat push carries the citizen's openid, and other paths carry ids."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        route = _route_of(request)
        self.logger.info(
            "%s %s %d %.1f ms",
            request.method,
            route,
            response.status,
            time * 1000,
            extra={"method": request.method, "route": route, "status": response.status,
                   "duration_ms": round(time * 1000, 1), "remote": request.remote},
        )  # fmt: skip


def _route_of(request: BaseRequest) -> str:
    match_info = getattr(request, "match_info", None)
    route = getattr(match_info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is not None:
        return str(resource.canonical)
    return "(no route)"  # a 404: the path is whatever the caller made up, and stays out of the log
