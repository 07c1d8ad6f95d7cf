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


def test_trusted_proxies_are_addresses_or_networks() -> None:
    import ipaddress

    base = {
        "WECHAT_TOKEN": "t",
        "WECHAT_APPID": "wx1",
        "WECHAT_SECRET": "s",
        "RASA_URL": "http://r",
        "RASA_TOKEN": "k",
    }
    assert load_settings(base).trusted_proxies == ()
    found = load_settings(base | {"TRUSTED_PROXIES": "10.0.0.5, 172.30.12.0/24"}).trusted_proxies
    assert found == (ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("172.30.12.0/24"))
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings(base | {"TRUSTED_PROXIES": "nginx"})


@pytest.mark.parametrize(
    ("remote", "real_ip", "expected"),
    [
        ("172.30.12.10", "203.0.113.7", "203.0.113.7"),  # from nginx: the client it names
        ("198.51.100.2", "203.0.113.7", "198.51.100.2"),  # from anyone else: the header is not believed
        ("172.30.12.10", None, "172.30.12.10"),  # no header: the peer
        ("172.30.12.10", "not-an-address", "172.30.12.10"),
        (None, "203.0.113.7", "unknown"),
    ],
)
def test_the_client_address_is_taken_from_a_trusted_proxy_only(
    remote: str | None, real_ip: str | None, expected: str
) -> None:
    import ipaddress

    from bot.console.security import forwarded_client

    assert forwarded_client(remote, real_ip, (ipaddress.ip_network("172.30.12.10/32"),)) == expected


@pytest.mark.parametrize(
    ("name", "raw"), [("ADMIT_WAIT", "-1"), ("ADMIT_WAIT", "inf"), ("REPLY_BUDGET", "nan")]
)
def test_contract_seconds_must_be_finite_and_not_negative(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(PRODUCTION | {name: raw})
    assert load_settings(PRODUCTION | {name: "0"}) is not None
