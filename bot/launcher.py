"""Brings the whole system up on one machine: embedded Redis, action server, Rasa server, gateway.

`make run` calls `python -m bot run`; the end-to-end tests use the same Launcher with their own ports.
Each process logs to its own file under the var directory; Ctrl-C stops them in reverse order.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from bot.storage.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin"
MODEL = ROOT / "models" / "current.tar.gz"
MODEL_HASH = ROOT / "models" / "current.sha256"
# How long the served model took to train, and on what: `make eval` reports it (issue: under 3 minutes).
MODEL_TRAINING = ROOT / "models" / "current.training.json"
# The Rasa lock too: SemanticVote's regressions are fitted on the encoders' vectors, so a model trained
# with other encoder (or Rasa) versions is stale.
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "nlu_data",
    "nlu_components",
    "lexicon",
    "requirements/rasa.lock",
)
# Read by the action server only (the conversation rules, the form's replies), never by the model: changing
# them needs no retrain.
NOT_TRAINING_INPUTS = frozenset(
    {"lexicon/conversation_cues.yml", "lexicon/conversation.py", "lexicon/form_replies.yml"}
)
TRACKER_DB = 1  # Rasa's tracker and lock stores live in their own Redis database
TRACKER_RETENTION_SECONDS = 7 * 86400  # a citizen's tracker outlives their last message by a week
ENCODER_CACHE_ENV = "FRONT_DOOR_ENCODER_CACHE"  # nlu_components.encoders.CACHE_ENV (that package needs Rasa)


def training_hash(root: Path = ROOT) -> str:
    """A hash of everything the model is trained from; a different hash means a stale model."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        found = path.rglob("*") if path.is_dir() else [path]
        files = sorted(
            p
            for p in found
            if p.is_file()
            and "__pycache__" not in p.parts
            and p.relative_to(root).as_posix() not in NOT_TRAINING_INPUTS
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def archive_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as archive:
        for block in iter(lambda: archive.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_is_current() -> bool:
    """Trained from the current inputs, and the archive is the one that training wrote (not truncated or
    replaced since: a damaged model is retrained, not served). MODEL_HASH holds both hashes, one per line."""
    if not (MODEL.exists() and MODEL_HASH.exists()):
        return False
    recorded = MODEL_HASH.read_text().split()
    return recorded == [training_hash(), archive_hash(MODEL)]


def train(log: Callable[[str], None] = print, force: bool = False) -> bool:
    """Train the Rasa model when it is missing or stale; `force`: always, every component from scratch.
    Returns whether it trained.

    Without `force`, Rasa reuses components it has trained before from its cache (~/.rasa/cache), so a
    retrain after a small change can take seconds: only a forced run measures the training time.
    """
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    # One training at a time (make run and make test in two terminals): both would write the same staging
    # archive, and one could move the other's half-written file into place.
    with (MODEL.parent / ".train.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another training of the model to finish ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and model_is_current():  # perhaps trained by the run we waited for
            log(f"model is current: {MODEL}")
            return False
        _train(log, force)
        return True


def _train(log: Callable[[str], None], force: bool) -> None:
    log("training the Rasa model (under three minutes on 2 cores) ...")
    wanted = training_hash()
    load_before = os.getloadavg()[0]
    # Rasa writes its archive in place: a training stopped half-way (Ctrl-C, a full disk) left a truncated
    # current.tar.gz that the old hash still called current. It trains beside the model and then replaces
    # it in one rename, so the served model is always a whole one.
    staging = MODEL.parent / ".training"
    shutil.rmtree(staging, ignore_errors=True)
    started = time.monotonic()
    warm_up = _start_encoder_warm_up()
    try:
        subprocess.run(
            [
                str(RASA_BIN / "rasa"), "train",
                "--config", "config.yml", "--domain", "domain.yml", "--data", "nlu_data",
                "--out", str(staging), "--fixed-model-name", MODEL.name.removesuffix(".tar.gz"),
                *(["--force"] if force else []),
            ],
            cwd=ROOT, check=True, env=rasa_env(os.environ),
        )  # fmt: skip
    finally:
        _stop(warm_up)
    seconds = time.monotonic() - started
    staged = staging / MODEL.name
    digest = archive_hash(staged)  # of the archive this run wrote, before it becomes the served one
    keep_previous()
    os.replace(staged, MODEL)
    shutil.rmtree(staging, ignore_errors=True)
    MODEL_HASH.write_text(f"{wanted}\n{digest}\n")
    MODEL_TRAINING.write_text(
        json.dumps(training_record(seconds, wanted, load_before, force), indent=2) + "\n"
    )
    log(f"model trained in {seconds:.0f} s")


def _model_files(name: str) -> list[Path]:
    """A model's archive and its records (training hash, training time), under one name."""
    return [MODEL.parent / f"{name}{suffix}" for suffix in (".tar.gz", ".sha256", ".training.json")]


def keep_previous() -> None:
    """The served model becomes the previous one, which `python -m bot model restore` brings back."""
    if MODEL.exists():
        for current, previous in zip(_model_files("current"), _model_files("previous"), strict=True):
            if current.exists():
                shutil.copy2(current, previous)


def restore_previous() -> bool:
    """Swap the served model and the previous one (restoring twice undoes the restore). False: none kept."""
    if not (MODEL.parent / "previous.tar.gz").exists():
        return False
    for current, previous in zip(_model_files("current"), _model_files("previous"), strict=True):
        swap = current.with_name(current.name + ".swap")
        if current.exists():
            os.replace(current, swap)
        if previous.exists():
            os.replace(previous, current)
        if swap.exists():
            os.replace(swap, previous)
    return True


def _start_encoder_warm_up() -> subprocess.Popen[bytes] | None:
    """Encode the training examples for SemanticVote on the core `rasa train` leaves idle
    (nlu_components/warm_cache.py): a fresh machine's training about 20 s shorter, the same model."""
    if os.environ.get(ENCODER_CACHE_ENV) == "off":
        return None
    # Idle cycles only (nice 19): at equal priority it slowed DIET by a fifth and saved half as much.
    nice = [found, "-n", "19"] if (found := shutil.which("nice")) else []
    try:
        return subprocess.Popen(
            [*nice, str(RASA_BIN / "python"), "-m", "nlu_components.warm_cache",
             "--config", "config.yml", "--data", "nlu_data"],
            cwd=ROOT, env=rasa_env(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except OSError:
        return None  # SemanticVote encodes what it needs itself


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    """A warm-up still running once Rasa has finished is no longer needed."""
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait()


def training_record(seconds: float, wanted: str, load_before: float, from_scratch: bool) -> dict[str, object]:
    """Wall-clock time of the whole `rasa train` (NLU and policies), and the machine it ran on."""
    return {
        "seconds": round(seconds, 1),
        # False: Rasa may have reused cached components, and the time says little.
        "from_scratch": from_scratch,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        # Other work already running (a load near the CPU count) makes the time an overestimate.
        "load_average_before": round(load_before, 2),
        "training_hash": wanted,
    }


# TensorFlow's best-fit allocator for CPU memory. By default every tensor comes from malloc, and DIET's
# largest ones (the gradient of its first layer: 57 k n-grams x 256, 58 MB, at every step) are mapped and
# unmapped by the kernel each time: a third of DIET's training time went to page faults. Only where memory
# comes from changes, not the arithmetic (the same losses epoch by epoch); DIET about a quarter faster
# (bench/results/training_speed.json).
RASA_PROCESS_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPU_ALLOCATOR_USE_BFC": "true",
}


def rasa_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment of a Rasa process (training, server, actions): quiet, and the allocator above."""
    return RASA_PROCESS_ENV | dict(env)


# Rasa's and the action server's niceness under `make run` (RASA_NICE). In a rush the NLU's TensorFlow threads
# took every cycle they could, and the gateway, whose replies keep WeChat's 5 s, got half a core; behind
# the gateway, Rasa still has every cycle the gateway leaves, and its answers go through the outbox.
RASA_NICE = 10


def behind_the_gateway(env: Mapping[str, str]) -> list[str]:
    """The command prefix that starts a Rasa process at RASA_NICE (every thread it starts inherits it)."""
    niceness = int(env.get("RASA_NICE") or RASA_NICE)
    found = shutil.which("nice")
    return [found, "-n", str(niceness)] if niceness and found else []


# `make run` exports the time it started (before it makes the environments), so that the launcher can say how
# long each stage of a first run took.
MAKE_STARTED_ENV = "FRONT_DOOR_MAKE_STARTED"


@dataclass
class StageTimes:
    """How long each stage of `make run` took: made the environments, trained the model, started the
    services. Printed when the system is ready and kept in var/run-timings.json."""

    environments: float | None = None  # None: not started through make
    training: float = 0.0
    trained: bool = False  # False: the model was current, training only checked it
    start: float = 0.0

    @staticmethod
    def since_make_started(env: Mapping[str, str], now: float) -> float | None:
        started = env.get(MAKE_STARTED_ENV, "")
        try:
            return max(0.0, now - float(started)) if started else None
        except ValueError:
            return None

    def summary(self) -> str:
        environments = "not measured" if self.environments is None else f"{self.environments:.0f} s"
        training = f"{self.training:.0f} s" + ("" if self.trained else " (model current, not retrained)")
        total = (self.environments or 0.0) + self.training + self.start
        start = f"{self.start:.0f} s"
        return f"environments {environments}, training {training}, start {start}; total {total:.0f} s"

    def record(self) -> dict[str, object]:
        return {
            "environments_seconds": None if self.environments is None else round(self.environments, 1),
            "training_seconds": round(self.training, 1),
            "trained": self.trained,
            "start_seconds": round(self.start, 1),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
        }


@dataclass
class Ports:
    gateway: int = 8080
    rasa: int = 5005
    actions: int = 5055
    redis: int = 6380
    wechat_api: int = 8081  # the local fake of WeChat's API, when no real account is configured


@dataclass
class Service:
    name: str
    args: list[str]
    ready_url: str
    log_file: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Launcher:
    ports: Ports = field(default_factory=Ports)
    var_dir: Path = ROOT / "var"
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    log: Callable[[str], None] = print
    redis: EmbeddedRedis | None = None
    redis_url: str = ""
    services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = dict(self.env)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def uses_fake_wechat(self) -> bool:
        """No real account configured: run the local WeChat API. An explicit WECHAT_API_BASE always wins."""
        return not self.env.get("WECHAT_APPID") and not self.env.get("WECHAT_API_BASE")

    @property
    def wechat_api_url(self) -> str:
        return self.env.get("WECHAT_API_BASE") or f"http://127.0.0.1:{self.ports.wechat_api}"

    def start(self, timeout: float = 240.0) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        redis_url = self.redis_url = self.env.get("REDIS_URL") or self._start_redis()
        parsed = urlparse(redis_url)
        rasa_token = self.env.get("RASA_TOKEN") or "dev-rasa-token"
        shared = rasa_env(self.env) | {
            "REDIS_URL": redis_url,
            "REDIS_HOST": parsed.hostname or "127.0.0.1",
            "REDIS_PORT": str(parsed.port or 6379),
            "REDIS_DB_TRACKER": str(TRACKER_DB),
            "TRACKER_RETENTION_SECONDS": self.env.get("TRACKER_RETENTION_SECONDS")
            or str(TRACKER_RETENTION_SECONDS),
            "RASA_TOKEN": rasa_token,
        }
        if parsed.password:
            shared["REDIS_PASSWORD"] = parsed.password
        actions_url = f"http://127.0.0.1:{self.ports.actions}"
        fake_wechat = [
            Service(
                "wechat-api",
                [sys.executable, "-m", "bot.dev.wechat_api", "--port", str(self.ports.wechat_api)],
                f"{self.wechat_api_url}/_fake/stats", self.var_dir / "wechat-api.log", shared,
            )
        ] if self.uses_fake_wechat else []  # fmt: skip
        self.services = [
            *fake_wechat,
            Service(
                "actions",
                [*behind_the_gateway(self.env), str(RASA_BIN / "rasa"), "run", "actions",
                 "--actions", "actions", "--port", str(self.ports.actions)],
                f"{actions_url}/health", self.var_dir / "actions.log", shared,
            ),
            Service(
                "rasa",
                # Rasa's own `rasa run`, with the speed-ups of rasa_server/ installed first.
                [*behind_the_gateway(self.env), str(RASA_BIN / "python"), "-m", "rasa_server", "run",
                 "--enable-api",
                 "--auth-token", rasa_token,
                 "--model", str(MODEL), "--endpoints", "endpoints.yml",
                 "--credentials", "credentials.yml", "--port", str(self.ports.rasa),
                 "--interface", "127.0.0.1"],
                f"{self.rasa_url}/status?token={rasa_token}", self.var_dir / "rasa.log",
                shared | {"ACTION_ENDPOINT_URL": f"{actions_url}/webhook"},
            ),
            *self._gateways(shared),
        ]  # fmt: skip
        try:
            for service in self.services:
                self._spawn(service)
            deadline = time.monotonic() + timeout
            for service in self.services:
                self._wait_ready(service, deadline)
        except BaseException:
            self.stop()
            raise

    def _gateways(self, shared: dict[str, str]) -> list[Service]:
        """GATEWAY_PROCESSES gateways (default 1) on one port: with more than one, each listens with
        SO_REUSEPORT and the kernel spreads WeChat's connections; Redis makes them one front door."""
        count = max(1, int(self.env.get("GATEWAY_PROCESSES") or 1))
        env = shared | {
            "BOT_PORT": str(self.ports.gateway),
            "BOT_HOST": "127.0.0.1",
            "RASA_URL": self.rasa_url,
            "BOT_VAR_DIR": str(self.var_dir),
            "WECHAT_API_BASE": self.wechat_api_url,
            "BOT_ENV": self.env.get("BOT_ENV", "development"),
        }
        if count > 1:
            env["BOT_REUSE_PORT"] = "1"
        return [
            Service(
                "gateway" if number == 1 else f"gateway-{number}",
                [sys.executable, "-m", "bot", "serve"],
                f"{self.gateway_url}/healthz",
                self.var_dir / ("gateway.log" if number == 1 else f"gateway-{number}.log"),
                env,
            )
            for number in range(1, count + 1)
        ]

    def stop_service(self, name: str) -> None:
        """Stop one service (the fault tests take Rasa's action server down)."""
        service = next(s for s in self.services if s.name == name)
        if service.process is not None:
            stop_process(service.process)

    def start_service(self, name: str, timeout: float = 120.0) -> None:
        """Start a stopped service again and wait until it is ready."""
        service = next(s for s in self.services if s.name == name)
        self._spawn(service)
        self._wait_ready(service, time.monotonic() + timeout)

    def _start_redis(self) -> str:
        self.redis = EmbeddedRedis(self.var_dir / "redis", port=self.ports.redis)
        self.redis.start()
        self.log(f"  redis    {self.redis.url} (embedded, AOF in {self.var_dir / 'redis'})")
        return self.redis.url

    def _spawn(self, service: Service) -> None:
        handle = service.log_file.open("ab")
        service.process = subprocess.Popen(
            service.args, cwd=ROOT, env=service.env, stdout=handle, stderr=subprocess.STDOUT
        )
        handle.close()

    def _wait_ready(self, service: Service, deadline: float) -> None:
        started = time.monotonic()
        assert service.process is not None
        wait_until_ready(service.name, service.process, service.ready_url, deadline, service.log_file)
        self.log(f"  {service.name:<8} ready in {time.monotonic() - started:.0f} s  ({service.log_file})")

    def stop(self) -> None:
        for service in reversed(self.services):
            if service.process is not None:
                stop_process(service.process)
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    def wait(self) -> None:
        """Block until a child dies or Ctrl-C."""
        while all(s.process is not None and s.process.poll() is None for s in self.services):
            time.sleep(1)
        dead = [s.name for s in self.services if s.process is None or s.process.poll() is not None]
        raise RuntimeError(f"stopped: {', '.join(dead)} exited; see the logs under {self.var_dir}")


def wait_until_ready(
    name: str, process: subprocess.Popen[bytes], url: str, deadline: float, log_file: Path
) -> None:
    """Until `url` answers 200; RuntimeError when the process exits or the (monotonic) deadline passes."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log_file}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} was not ready in time; see {log_file}")
        time.sleep(0.5)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
