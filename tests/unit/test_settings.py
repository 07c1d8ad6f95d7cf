import subprocess
import sys

import pytest

from bot.settings import DEVELOPMENT_DEFAULTS, SettingsError, describe_defaults, load_settings

PRODUCTION = {
    "WECHAT_TOKEN": "t",
    "WECHAT_APPID": "wx1",
    "WECHAT_SECRET": "s",
    "RASA_URL": "http://rasa:5005/",
    "RASA_TOKEN": "r",
}


def test_production_reads_every_value_once() -> None:
    settings = load_settings(PRODUCTION | {"BOT_PORT": "9000", "REDIS_URL": "redis://r:6379/0"})
    assert settings.bot_port == 9000
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.redis_url == "redis://r:6379/0"
    assert settings.defaults_used == ()
    assert describe_defaults(settings) == []
    with pytest.raises(AttributeError):
        settings.bot_port = 1  # type: ignore[misc]


@pytest.mark.parametrize("name", sorted(PRODUCTION))
def test_production_names_the_missing_value(name: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != name}
    with pytest.raises(SettingsError, match=name):
        load_settings(env)


def test_development_defaults_are_listed_not_silent() -> None:
    settings = load_settings({"BOT_ENV": "development", "WECHAT_TOKEN": "mine"})
    assert settings.wechat_token == "mine"
    assert "WECHAT_TOKEN" not in settings.defaults_used
    assert "WECHAT_APPID" in settings.defaults_used
    lines = describe_defaults(settings)
    assert any(DEVELOPMENT_DEFAULTS["WECHAT_APPID"] in line for line in lines)
    assert settings.redis_url is None  # embedded Redis


@pytest.mark.parametrize(
    ("name", "value"),
    [("BOT_PORT", "eighty"), ("WECHAT_AES_KEY", "short"), ("BOT_ENV", "staging"), ("LOG_FORMAT", "xml")],
)
def test_malformed_values_fail_clearly(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(PRODUCTION | {name: value})


def test_gateway_refuses_to_start_without_its_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env={"PATH": "/usr/bin:/bin"},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "missing required setting(s): WECHAT_TOKEN" in result.stderr


def test_a_wrong_time_zone_stops_the_start() -> None:
    with pytest.raises(SettingsError, match="BOT_TIMEZONE"):
        load_settings({"BOT_ENV": "development", "BOT_TIMEZONE": "Mars/Olympus"})
    assert load_settings({"BOT_ENV": "development"}).timezone == "Asia/Shanghai"


def test_logs_are_json_in_production_and_text_in_development_unless_chosen() -> None:
    assert load_settings(PRODUCTION).log_format == "json"
    assert load_settings({"BOT_ENV": "development"}).log_format == "text"
    assert load_settings(PRODUCTION | {"LOG_FORMAT": "text"}).log_format == "text"
    assert load_settings({"BOT_ENV": "development", "LOG_FORMAT": "json"}).log_format == "json"


def test_metrics_token_is_optional_and_never_shown() -> None:
    assert load_settings(PRODUCTION).metrics_token is None  # unset: loopback scrapers only
    settings = load_settings(
        PRODUCTION | {"METRICS_TOKEN": "scrape-me-7f3a", "WECHAT_SECRET": "app-secret-99"}
    )
    assert settings.metrics_token == "scrape-me-7f3a"
    assert "scrape-me-7f3a" not in repr(settings) and "app-secret-99" not in repr(settings)
