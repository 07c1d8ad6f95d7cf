"""compose.yaml and deploy/nginx.conf, checked without a Docker engine (none runs here): the services the
deployment needs, each service's command present in its image target, ports and URLs that meet, and the
same settings as `make run`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from bot.launcher import RASA_PROCESS_ENV, TRACKER_DB, TRACKER_RETENTION_SECONDS
from bot.settings import load_settings
from scripts.lock import canonical, requirement_lines
from tests import images
from tests.unit.test_configuration_doc import sections

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
NGINX = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
STAGES = images.parse()
SECRETS = ("WECHAT_TOKEN", "WECHAT_SECRET", "WECHAT_AES_KEY", "RASA_TOKEN", "METRICS_TOKEN")
REFERENCE = re.compile(r"\$\{([A-Z_]+)(?::?[-?][^}]*)?\}")


def built() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in SERVICES.items() if "build" in s}


def command(service: dict[str, Any]) -> list[str]:
    """What the container runs: the service's command, else its image target's CMD (sh -c unwrapped)."""
    cmd = service.get("command") or STAGES[service["build"]["target"]].cmd
    words = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    words = shlex.split(words[2]) if words[:2] == ["sh", "-c"] else words
    return words[1:] if words[:1] == ["exec"] else words


def environment(service: dict[str, Any]) -> dict[str, str]:
    image = STAGES[service["build"]["target"]].env if "build" in service else {}
    return image | {k: str(v) for k, v in (service.get("environment") or {}).items()}


def listens(name: str) -> set[int]:
    """The ports a service listens on: its command's --port, the gateway's BOT_PORT, nginx's listen lines."""
    if name == "nginx":
        return {int(port) for port in re.findall(r"listen (\d+);", NGINX)}
    service = SERVICES[name]
    if "build" not in service:
        return {int(p) for p in service.get("expose", [])}
    words = command(service)
    ports = {int(words[words.index("--port") + 1])} if "--port" in words else set()
    if "BOT_PORT" in environment(service):
        ports.add(int(environment(service)["BOT_PORT"]))
    return ports


def pins(lock: str) -> set[str]:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text(encoding="utf-8")
    return {canonical(line.split("==")[0]) for line in requirement_lines(text) if "==" in line}


def test_the_deployment_has_every_service_it_needs() -> None:
    assert {"redis", "actions", "nginx"} <= set(SERVICES)
    assert len([n for n in SERVICES if n.startswith("rasa-")]) >= 2
    assert len([n for n in SERVICES if n.startswith("gateway-")]) >= 2
    for name, service in built().items():
        assert service["build"]["target"] in STAGES, name
    for name, service in SERVICES.items():
        assert service.get("restart") == "unless-stopped", name
        image = service.get("image", "")
        assert ":" in image or "build" in service, f"{name}: pin the image's version"
        assert not image.endswith(":latest"), name


@pytest.mark.parametrize("name", sorted(built()))
def test_each_service_runs_a_command_its_image_carries(name: str, tmp_path: Path) -> None:
    service = SERVICES[name]
    target = service["build"]["target"]
    workdir = images.stage_files(target, tmp_path, STAGES)
    words = command(service)
    lock = "runtime" if target == "gateway" else "rasa"
    if words[:2] == ["python", "-m"]:
        module = words[2].replace(".", "/")
        assert (workdir / module / "__main__.py").is_file() or (workdir / f"{module}.py").is_file(), words
    else:
        assert canonical(words[0]) in pins(lock), f"{words[0]} is not installed in the {target} image"
    if "--actions" in words:
        assert (workdir / words[words.index("--actions") + 1] / "__init__.py").is_file()
    copied = {dst for stage in images.lineage(STAGES, target) for _, dst in stage.copies}
    for word in words:
        if word.endswith((".yml", ".yaml")):
            assert (workdir / word).is_file(), f"{name} runs with {word}, which the image does not carry"
        if word.endswith(".tar.gz"):
            assert word in copied, f"{name} loads {word}, which no COPY line puts in the image"
    assert STAGES[target].user.startswith("10001"), f"{target} must not run as root"


@pytest.mark.parametrize("name", sorted(built()))
def test_ports_agree_between_command_image_compose_and_healthcheck(name: str) -> None:
    service = SERVICES[name]
    stage = STAGES[service["build"]["target"]]
    [port] = listens(name)
    assert port in stage.expose and str(port) in [str(p) for p in service.get("expose", [])], name
    assert f"127.0.0.1:{port}/" in stage.healthcheck, f"{name}: the image's healthcheck asks another port"


def test_every_url_points_at_a_service_and_a_port_it_listens_on() -> None:
    checked = 0
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if not re.match(r"^(redis|http)://", str(value)):
                continue
            url = urlparse(str(value))
            assert url.hostname in SERVICES, f"{name} {key}={value}: no such service"
            port = url.port or {"redis": 6379, "http": 80}[url.scheme]
            assert port in listens(str(url.hostname)), f"{name} {key}={value}: nothing listens"
            checked += 1
    assert checked >= 8


def test_nginx_spreads_over_every_gateway_and_every_rasa() -> None:
    upstreams = dict(re.findall(r"upstream (\w+) \{(.*?)\}", NGINX, re.DOTALL))
    servers = {name: set(re.findall(r"server ([\w-]+):(\d+)", body)) for name, body in upstreams.items()}
    gateways = {(n, str(p)) for n in SERVICES if n.startswith("gateway-") for p in listens(n)}
    rasas = {(n, str(p)) for n in SERVICES if n.startswith("rasa-") for p in listens(n)}
    assert servers["gateways"] == gateways and servers["rasa_servers"] == rasas
    assert "80:80" in SERVICES["nginx"]["ports"]
    for name, service in SERVICES.items():
        if name != "nginx":
            assert not service.get("ports"), f"{name} must be reached through nginx only"


def test_the_settings_are_those_of_make_run() -> None:
    gateway_table = next(t for title, t in sections().items() if "bot/settings.py" in title)
    rasa_table = next(t for title, t in sections().items() if "endpoints.yml" in title)
    gateway_db = urlparse(SERVICES["gateway-1"]["environment"]["REDIS_URL"]).path
    for name, service in SERVICES.items():
        env = environment(service) if "build" in service else {}
        if name.startswith("gateway-"):
            unknown = set(service["environment"]) - set(gateway_table)
            assert unknown == set(), f"{name}: not settings of the gateway: {unknown}"
            assert urlparse(env["REDIS_URL"]).path == gateway_db
        if name.startswith("rasa-") or name == "actions":
            assert set(service["environment"]) <= set(rasa_table), name
            assert RASA_PROCESS_ENV.items() <= env.items(), f"{name}: not the launcher's Rasa environment"
            assert env["BOT_TIMEZONE"] == SERVICES["gateway-1"]["environment"]["BOT_TIMEZONE"], name
        if name.startswith("rasa-"):  # the tracker and lock stores (endpoints.yml)
            assert env["REDIS_DB_TRACKER"] == str(TRACKER_DB)
            assert env["TRACKER_RETENTION_SECONDS"] == str(TRACKER_RETENTION_SECONDS)
            assert urlparse(env["REDIS_URL"]).path == gateway_db, (
                "the turn log and content are the gateway's db"
            )
    assert gateway_db == "/0" and gateway_db != f"/{TRACKER_DB}"
    tokens = {
        str(s["environment"]["RASA_TOKEN"]) for n, s in SERVICES.items() if n.startswith(("gateway", "rasa"))
    }
    assert len(tokens) == 1, "the gateways and Rasa must share one RASA_TOKEN"


def test_secrets_come_from_the_environment_file_and_the_gateway_starts_with_them() -> None:
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    offered = set(re.findall(r"^([A-Z_]+)=", example, re.MULTILINE))
    referenced = set(REFERENCE.findall((ROOT / "compose.yaml").read_text(encoding="utf-8")))
    assert referenced == offered, "every ${VAR} of compose.yaml is in deploy/env.example, and only those"
    for name, service in SERVICES.items():
        for key in SECRETS:
            value = str((service.get("environment") or {}).get(key, "${"))
            assert value.startswith("${"), f"{name}: {key} is written in compose.yaml"
    filled = {k: REFERENCE.sub("filled-in", str(v)) for k, v in SERVICES["gateway-1"]["environment"].items()}
    filled["WECHAT_AES_KEY"] = "a" * 43
    settings = load_settings(filled)
    assert settings.environment == "production" and settings.redis_url == "redis://redis:6379/0"


def test_redis_persists_and_every_service_has_a_healthcheck() -> None:
    redis = SERVICES["redis"]
    assert (
        "--appendonly" in redis["command"]
        and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    )
    assert any(volume.endswith(":/data") for volume in redis["volumes"])
    for name, service in SERVICES.items():
        image_check = STAGES[service["build"]["target"]].healthcheck if "build" in service else ""
        assert service.get("healthcheck") or image_check, f"{name} has no healthcheck"
    for name, service in SERVICES.items():
        for needed, condition in (service.get("depends_on") or {}).items():
            assert needed in SERVICES, f"{name} depends on {needed}, which is not a service"
            assert condition["condition"] in ("service_started", "service_healthy")


def test_the_gateways_trust_nginx_and_nothing_else_for_the_clients_address() -> None:
    import ipaddress

    nginx = ipaddress.ip_address(SERVICES["nginx"]["networks"]["default"]["ipv4_address"])
    [subnet] = [ipaddress.ip_network(c["subnet"]) for c in COMPOSE["networks"]["default"]["ipam"]["config"]]
    assert nginx in subnet
    for name in (n for n in SERVICES if n.startswith("gateway-")):
        trusted = [
            ipaddress.ip_network(x) for x in SERVICES[name]["environment"]["TRUSTED_PROXIES"].split(",")
        ]
        assert trusted == [ipaddress.ip_network(f"{nginx}/32")], name
    assert "proxy_set_header X-Real-IP $remote_addr;" in NGINX
