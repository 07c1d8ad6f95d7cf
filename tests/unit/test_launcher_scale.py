"""Scale-out on one machine: GATEWAY_PROCESSES gateways share one port, each with SO_REUSEPORT."""

from __future__ import annotations

from pathlib import Path

from bot.launcher import Launcher, Ports
from bot.settings import DEVELOPMENT_DEFAULTS, load_settings


def gateways(env: dict[str, str], tmp_path: Path) -> list[tuple[str, str, str | None]]:
    launcher = Launcher(ports=Ports(gateway=18080), var_dir=tmp_path, env=env)
    return [(s.name, s.env["BOT_PORT"], s.env.get("BOT_REUSE_PORT")) for s in launcher._gateways({})]


def test_one_gateway_by_default_without_reuse_port(tmp_path: Path) -> None:
    assert gateways({}, tmp_path) == [("gateway", "18080", None)]


def test_several_gateways_listen_on_one_port_with_reuse_port(tmp_path: Path) -> None:
    assert gateways({"GATEWAY_PROCESSES": "3"}, tmp_path) == [
        ("gateway", "18080", "1"),
        ("gateway-2", "18080", "1"),
        ("gateway-3", "18080", "1"),
    ]


def test_the_gateway_reads_reuse_port_from_its_environment() -> None:
    base = dict(DEVELOPMENT_DEFAULTS) | {"BOT_ENV": "development"}
    assert load_settings(base | {"BOT_REUSE_PORT": "1"}).reuse_port
    assert not load_settings(base).reuse_port
