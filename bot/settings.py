"""One frozen Settings object, read from the environment once at start.

In development (`BOT_ENV=development`, what `make run` and the tests use) missing WeChat values fall back
to well-known defaults that point at the local WeChat simulator, and every default used is printed, so
nothing is ever used silently. In production (`BOT_ENV=production`, the default) a missing required
value stops the process with a message naming it.

Operations: `METRICS_TOKEN` protects `GET /metrics` (a scraper sends `Authorization: Bearer <token>`; unset,
only loopback addresses may scrape). `LOG_FORMAT` is `json` (one JSON object per line, the production
default) or `text` (the development default).
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOG_FORMATS = ("json", "text")
Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
REQUIRED = ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "RASA_URL", "RASA_TOKEN")

# Safe only on a developer's machine: they are public in this repository.
DEVELOPMENT_DEFAULTS: Mapping[str, str] = {
    "WECHAT_TOKEN": "dev-token-12315",
    "WECHAT_APPID": "wx0000000000012315",
    "WECHAT_SECRET": "dev-secret-12315",
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "WECHAT_API_BASE": "http://127.0.0.1:8081",
    "RASA_URL": "http://127.0.0.1:5005",
    "RASA_TOKEN": "dev-rasa-token",
}


class SettingsError(RuntimeError):
    """A configuration value is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    # Secrets stay out of repr(): a Settings printed in a traceback or a debug line shows none of them.
    wechat_token: str = field(repr=False)
    wechat_appid: str
    wechat_secret: str = field(repr=False)
    rasa_url: str
    rasa_token: str = field(repr=False)
    wechat_aes_key: str | None = field(default=None, repr=False)
    wechat_api_base: str = "https://api.weixin.qq.com"
    redis_url: str | None = None  # None: start an embedded redis-server under var_dir
    bot_host: str = "0.0.0.0"
    bot_port: int = 8080
    var_dir: Path = Path("var")
    environment: str = "production"
    rasa_timeout: float = 30.0  # the inbox worker's wait for Rasa; citizens wait only `reply_budget`
    reply_budget: float = 4.5  # seconds a delivery waits for the answer; WeChat gives up at 5
    admit_wait: float = 3.0  # inbox this many seconds behind: new messages get `success` and the outbox
    # How long a message's record (state, answer, turn) and an outbox send's marker stay in Redis: well past
    # WeChat's 15 s of retries and the outbox's last retry, and what bounds Redis's per-message memory.
    message_retention: int = 3600
    reuse_port: bool = False  # several gateway processes listen on one port; the kernel spreads connections
    timestamp_tolerance: float = 300.0  # pushes signed longer ago than this are refused
    wechat_stable_token: bool = False  # fetch tokens with /cgi-bin/stable_token
    menu_path: Path = Path("content/menu.yml")
    content_path: Path = Path("content/answers.yml")
    quota_message_sends: int = 5  # customer-service sends allowed after a citizen's message ...
    quota_message_hours: float = 48.0  # ... within this many hours
    quota_event_sends: int = 3  # after a menu click, subscribe or QR scan ...
    quota_event_seconds: int = 60  # ... within this many seconds
    max_body_bytes: int = 64 * 1024
    shifts_path: Path = Path("content/shifts.yml")
    canned_path: Path = Path("content/canned.yml")
    escalate_after: float = (
        600.0  # a queued ticket unclaimed this long rises in priority, supervisors alerted
    )
    # A complaint intake left this long without a message is filed as an unconfirmed ticket.
    complaint_idle_seconds: float = 600.0
    # One citizen's messages a minute beyond which each is answered with a request to slow down (0: off).
    flood_per_minute: int = 20
    # Closed tickets, with their transcripts and messages, are deleted this long after they close (open ones
    # this long after they open); the daily reports look back 8 days, so keep at least that.
    ticket_retention_days: float = 400.0
    timezone: str = "Asia/Shanghai"  # shifts and ticket dates are the centre's local time
    cookie_secure: bool = True  # console cookies only over HTTPS (off in development: plain localhost)
    # GET /metrics wants `Authorization: Bearer <metrics_token>`; None: only loopback addresses may scrape.
    metrics_token: str | None = field(default=None, repr=False)
    log_format: str = "json"  # "json": one object per line for the log collector; "text" for people
    # Proxies (nginx) whose X-Real-IP names the client: login limits count the citizen's or agent's address,
    # not the proxy's, which every request behind it shares.
    trusted_proxies: Networks = ()
    defaults_used: tuple[str, ...] = field(default=(), compare=False)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds: finite and not negative (a negative ADMIT_WAIT read as "never" in one step of the
    contract and "always" in another)."""
    value = _float(env, name, default)
    if not math.isfinite(value) or value < 0:
        raise SettingsError(f"{name} must be a number of seconds, 0 or more, got {env.get(name)!r}")
    return value


def _networks(env: Mapping[str, str], name: str) -> Networks:
    """Comma-separated addresses or networks (10.0.0.5, 172.30.0.0/24)."""
    found = []
    for item in (env.get(name) or "").split(","):
        if item.strip():
            try:
                found.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError as exc:
                raise SettingsError(f"{name} must list addresses or networks, not {item.strip()!r}") from exc
    return tuple(found)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (the process environment by default)."""
    source = dict(os.environ if env is None else env)
    environment = source.get("BOT_ENV", "production")
    if environment not in ("production", "development"):
        raise SettingsError(f"BOT_ENV must be 'production' or 'development', got {environment!r}")

    used: list[str] = []
    if environment == "development":
        for name, value in DEVELOPMENT_DEFAULTS.items():
            if not source.get(name):
                source[name] = value
                used.append(name)

    missing = [name for name in REQUIRED if not source.get(name)]
    if missing:
        raise SettingsError(
            "missing required setting(s): "
            + ", ".join(missing)
            + " (set them in the environment, or BOT_ENV=development for local defaults)"
        )

    timezone = source.get("BOT_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        raise SettingsError(f"BOT_TIMEZONE must be a time zone like Asia/Shanghai, not {timezone!r}") from exc
    aes_key = source.get("WECHAT_AES_KEY") or None
    if aes_key is not None and len(aes_key) != 43:
        raise SettingsError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")

    log_format = source.get("LOG_FORMAT") or ("text" if environment == "development" else "json")
    if log_format not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be 'json' or 'text', got {log_format!r}")

    return Settings(
        wechat_token=source["WECHAT_TOKEN"],
        wechat_appid=source["WECHAT_APPID"],
        wechat_secret=source["WECHAT_SECRET"],
        wechat_aes_key=aes_key,
        wechat_api_base=source.get("WECHAT_API_BASE") or "https://api.weixin.qq.com",
        rasa_url=source["RASA_URL"].rstrip("/"),
        rasa_token=source["RASA_TOKEN"],
        redis_url=source.get("REDIS_URL") or None,
        bot_host=source.get("BOT_HOST") or "0.0.0.0",
        bot_port=_int(source, "BOT_PORT", 8080),
        var_dir=Path(source.get("BOT_VAR_DIR") or "var"),
        environment=environment,
        rasa_timeout=_float(source, "RASA_TIMEOUT", 30.0),
        reply_budget=_seconds(source, "REPLY_BUDGET", 4.5),
        admit_wait=_seconds(source, "ADMIT_WAIT", 3.0),
        message_retention=_int(source, "MESSAGE_RETENTION_SECONDS", 3600),
        timestamp_tolerance=_float(source, "WECHAT_TIMESTAMP_TOLERANCE", 300.0),
        wechat_stable_token=source.get("WECHAT_STABLE_TOKEN", "").lower() in ("1", "true", "yes"),
        reuse_port=source.get("BOT_REUSE_PORT", "").lower() in ("1", "true", "yes"),
        menu_path=Path(source.get("MENU_PATH") or "content/menu.yml"),
        content_path=Path(source.get("CONTENT_PATH") or "content/answers.yml"),
        quota_message_sends=_int(source, "QUOTA_MESSAGE_SENDS", 5),
        quota_message_hours=_float(source, "QUOTA_MESSAGE_HOURS", 48.0),
        quota_event_sends=_int(source, "QUOTA_EVENT_SENDS", 3),
        quota_event_seconds=_int(source, "QUOTA_EVENT_SECONDS", 60),
        shifts_path=Path(source.get("SHIFTS_PATH") or "content/shifts.yml"),
        canned_path=Path(source.get("CANNED_PATH") or "content/canned.yml"),
        escalate_after=60 * _float(source, "ESCALATE_MINUTES", 10.0),
        complaint_idle_seconds=_float(source, "COMPLAINT_IDLE_SECONDS", 600.0),
        flood_per_minute=_int(source, "FLOOD_PER_MINUTE", 20),
        ticket_retention_days=max(8.0, _float(source, "TICKET_RETENTION_DAYS", 400.0)),
        timezone=timezone,
        cookie_secure=source.get("CONSOLE_COOKIE_SECURE", "0" if environment == "development" else "1")
        in ("1", "true", "yes"),
        metrics_token=source.get("METRICS_TOKEN") or None,
        log_format=log_format,
        trusted_proxies=_networks(source, "TRUSTED_PROXIES"),
        defaults_used=tuple(used),
    )


def describe_defaults(settings: Settings) -> list[str]:
    """Lines to print at start, one per development default in use."""
    return [
        f"development default in use: {name}={DEVELOPMENT_DEFAULTS[name]}" for name in settings.defaults_used
    ]
