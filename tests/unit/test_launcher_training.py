"""`python -m bot train` records how long the model took, for `make eval` to report."""

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bot import launcher


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root in tmp_path whose models/ holds the model, as in the real layout: a relative --out
    (train() runs Rasa in ROOT) lands exactly where an absolute one would."""
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setattr(launcher, "ROOT", tmp_path)
    monkeypatch.setattr(launcher, "MODEL", folder / "current.tar.gz")
    monkeypatch.setattr(launcher, "MODEL_HASH", folder / "current.sha256")
    monkeypatch.setattr(launcher, "MODEL_TRAINING", folder / "current.training.json")
    monkeypatch.setenv(launcher.ENCODER_CACHE_ENV, "off")  # no encoder warm-up process beside the fake Rasa
    return folder


def archive(args: list[str], cwd: Path) -> Path:
    """Where `rasa train` writes its archive: --out (relative to the working directory), named by
    --fixed-model-name. Rasa writes it in place, not through a temporary file."""
    out = cwd / args[args.index("--out") + 1]
    out.mkdir(parents=True, exist_ok=True)
    return out / (args[args.index("--fixed-model-name") + 1] + ".tar.gz")


@pytest.fixture
def calls(models: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Stands in for `rasa train` only (what is tested is what train() does around it): each call is
    recorded, and a whole archive written where Rasa would write it."""
    made: list[list[str]] = []

    def rasa_train(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        made.append(args)
        archive(args, kwargs["cwd"]).write_bytes(b"model")
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(launcher.subprocess, "run", rasa_train)
    return made


def test_a_training_run_leaves_its_time_next_to_the_model(models: Path, calls: list[list[str]]) -> None:
    assert launcher.train(log=lambda _: None) is True
    assert calls and calls[0][1] == "train"
    record = json.loads((models / "current.training.json").read_text())
    assert (
        record["training_hash"]
        == (models / "current.sha256").read_text().split()[0]
        == launcher.training_hash()
    )
    assert 0 <= record["seconds"] < 60 and record["cpus"] >= 1 and record["load_average_before"] >= 0
    assert record["finished_at"].endswith("+00:00")
    assert record["from_scratch"] is False and "--force" not in calls[0]

    # A current model is not retrained, and its record stays.
    assert launcher.train(log=lambda _: None) is False
    assert len(calls) == 1
    assert json.loads((models / "current.training.json").read_text()) == record

    # Forced: retrained from scratch (no Rasa cache), which is the time worth reporting.
    launcher.train(log=lambda _: None, force=True)
    assert len(calls) == 2 and "--force" in calls[1]
    assert json.loads((models / "current.training.json").read_text())["from_scratch"] is True
    assert (models / "current.tar.gz").read_bytes() == b"model" and not (models / ".training").exists()


def test_a_training_stopped_half_way_leaves_the_served_model_whole(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (models / "current.tar.gz").write_bytes(b"the whole old model")
    hashes = [launcher.training_hash(), launcher.archive_hash(models / "current.tar.gz")]
    (models / "current.sha256").write_text("\n".join(hashes) + "\n")

    def rasa_killed(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        archive(args, kwargs["cwd"]).write_bytes(b"the first half of a new mo")  # then Ctrl-C
        raise subprocess.CalledProcessError(-15, args)

    monkeypatch.setattr(launcher.subprocess, "run", rasa_killed)
    with pytest.raises(subprocess.CalledProcessError):
        launcher.train(log=lambda _: None, force=True)
    assert (models / "current.tar.gz").read_bytes() == b"the whole old model"
    assert launcher.model_is_current()


def test_a_model_damaged_after_training_is_retrained(models: Path, calls: list[list[str]]) -> None:
    launcher.train(log=lambda _: None)
    assert launcher.model_is_current()
    (models / "current.tar.gz").write_bytes(b"mod")  # truncated by a full disk, a bad copy
    assert not launcher.model_is_current()
    launcher.train(log=lambda _: None)
    assert len(calls) == 2 and (models / "current.tar.gz").read_bytes() == b"model"


def test_one_training_at_a_time(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second training (make test beside make run) waits for the first instead of writing the same
    staging archive, and then finds the model current."""
    started, finish = threading.Event(), threading.Event()
    calls: list[list[str]] = []

    def slow_rasa(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        calls.append(args)
        started.set()
        assert finish.wait(10)
        archive(args, kwargs["cwd"]).write_bytes(b"model")
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(launcher.subprocess, "run", slow_rasa)
    first = threading.Thread(target=launcher.train, kwargs={"log": lambda _: None})
    first.start()
    assert started.wait(10)
    waiting: list[str] = []
    second = threading.Thread(target=launcher.train, kwargs={"log": waiting.append})
    second.start()
    second.join(0.5)
    assert second.is_alive() and "waiting for another training" in waiting[0]  # it waits ...
    finish.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1 and waiting[-1].startswith("model is current")  # ... and does not train again
    assert launcher.model_is_current()


def test_a_failed_training_leaves_no_record(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def rasa_fails(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        raise subprocess.CalledProcessError(1, args)

    monkeypatch.setattr(launcher.subprocess, "run", rasa_fails)
    with pytest.raises(subprocess.CalledProcessError):
        launcher.train(log=lambda _: None)
    assert not (models / "current.training.json").exists()
    assert not (models / "current.sha256").exists()


def test_the_model_is_stale_when_any_training_input_or_the_rasa_lock_changes(tmp_path: Path) -> None:
    # The lock pins the encoders whose vectors SemanticVote's regressions are fitted on.
    assert "requirements/rasa.lock" in launcher.TRAINING_INPUTS
    for name in launcher.TRAINING_INPUTS:
        target = tmp_path / name / "x.yml" if "." not in name else tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("a", encoding="utf-8")
    before = launcher.training_hash(tmp_path)
    assert launcher.training_hash(tmp_path) == before
    for name in launcher.TRAINING_INPUTS:
        target = tmp_path / name / "x.yml" if "." not in name else tmp_path / name
        target.write_text("b", encoding="utf-8")
        after = launcher.training_hash(tmp_path)
        assert after != before, name
        before = after


def test_the_model_depends_on_the_vocabulary_the_pipeline_shares_with_the_actions() -> None:
    assert "lexicon" in launcher.TRAINING_INPUTS and "nlu_components" in launcher.TRAINING_INPUTS


def test_stage_timings_of_a_first_run() -> None:
    env = {launcher.MAKE_STARTED_ENV: "1000.0"}
    times = launcher.StageTimes(
        environments=launcher.StageTimes.since_make_started(env, now=1185.4),
        training=151.2,
        trained=True,
        start=31.0,
    )
    assert times.summary() == "environments 185 s, training 151 s, start 31 s; total 368 s"
    assert times.record()["environments_seconds"] == 185.4 and times.record()["trained"] is True


def test_stage_timings_when_nothing_had_to_be_made() -> None:
    times = launcher.StageTimes(environments=None, training=0.4, trained=False, start=30.2)
    assert times.summary() == (
        "environments not measured, training 0 s (model current, not retrained), start 30 s; total 31 s"
    )
    assert launcher.StageTimes.since_make_started({launcher.MAKE_STARTED_ENV: "soon"}, now=5.0) is None


def test_rasa_processes_get_the_best_fit_allocator_unless_the_operator_says_otherwise() -> None:
    assert launcher.rasa_env({"PATH": "/bin"})["TF_CPU_ALLOCATOR_USE_BFC"] == "true"
    assert launcher.rasa_env({"TF_CPU_ALLOCATOR_USE_BFC": "false"})["TF_CPU_ALLOCATOR_USE_BFC"] == "false"


def test_training_runs_rasa_with_the_rasa_environment(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, str] = {}

    def fake_run(args: list[str], cwd: Path, check: bool, env: dict[str, str]) -> None:
        seen.update(env)
        target = archive(args, cwd)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"model")

    monkeypatch.setattr(launcher.subprocess, "run", fake_run)
    launcher.train(log=lambda _: None, force=True)
    assert seen["TF_CPU_ALLOCATOR_USE_BFC"] == "true"


class FakeWarmUp:
    """Stands in for the encoder warm-up process: still running when Rasa finishes, so it must be stopped."""

    started: ClassVar[list["FakeWarmUp"]] = []

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        self.args = args
        self.terminated = False
        FakeWarmUp.started.append(self)

    def poll(self) -> int | None:
        return 0 if self.terminated else None

    def terminate(self) -> None:
        self.terminated = True

    def wait(self) -> int:
        return 0


def test_training_warms_the_encoder_cache_beside_rasa_and_stops_the_warm_up_after(
    calls: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(launcher.ENCODER_CACHE_ENV)
    monkeypatch.setattr(launcher.subprocess, "Popen", FakeWarmUp)
    FakeWarmUp.started = []
    launcher.train(log=lambda _: None, force=True)
    [warm_up] = FakeWarmUp.started
    assert warm_up.args[:3] == [shutil.which("nice"), "-n", "19"]
    assert warm_up.args[4:6] == ["-m", "nlu_components.warm_cache"]
    assert warm_up.terminated
