"""scripts/compare_runs.py: the paired bootstrap that tells a change from retraining noise.

Runs in the Rasa environment because the script needs numpy, which the gateway's environment does not have.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest


@pytest.fixture(scope="module")
def compare_runs() -> ModuleType:
    path = Path(__file__).parents[2] / "scripts" / "compare_runs.py"
    spec = importlib.util.spec_from_file_location("compare_runs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_runs(folder: Path, label_of: list[str], predictions: list[list[str]]) -> None:
    """One seed-N/report/real_messages.json per list of predictions, in evaluate_nlu.py's format."""
    for seed, predicted in enumerate(predictions, start=1):
        rows = [
            {
                "id": f"r{i:04d}",
                "label": label,
                "also_ok": [],
                "predicted": guess,
                "ok": guess == label,
                "handoff": "human" if label == "express_anger" else "none",
                "predicted_handoff": "human" if guess == "express_anger" else "none",
            }
            for i, (label, guess) in enumerate(zip(label_of, predicted, strict=True))
        ]
        report = folder / f"seed-{seed}" / "report"
        report.mkdir(parents=True)
        (report / "real_messages.json").write_text(json.dumps(rows), encoding="utf-8")


def test_the_same_runs_are_within_noise(compare_runs: ModuleType) -> None:
    rng = np.random.default_rng(1)
    runs = (rng.random((3, 300)) < 0.8).astype(float)
    result = compare_runs.paired_bootstrap(runs, runs.copy(), np.ones(300, dtype=bool), rounds=2000)
    assert result["difference"] == 0.0
    assert result["interval_95"][0] <= 0 <= result["interval_95"][1]
    assert compare_runs.verdict("accuracy", result["interval_95"]) == "within noise"


def test_a_small_difference_on_few_messages_is_noise_and_a_large_one_is_not(compare_runs: ModuleType) -> None:
    rng = np.random.default_rng(2)
    baseline = (rng.random((3, 80)) < 0.85).astype(float)
    one_more = baseline.copy()
    one_more[:, np.argmin(baseline.sum(axis=0))] = 1.0  # one more message right in every run
    everything = np.ones((3, 80))
    mask = np.ones(80, dtype=bool)
    small = compare_runs.paired_bootstrap(baseline, one_more, mask, rounds=2000)
    large = compare_runs.paired_bootstrap(baseline, everything, mask, rounds=2000)
    assert compare_runs.verdict("human_recall", small["interval_95"]) == "within noise"
    assert compare_runs.verdict("human_recall", large["interval_95"]) == "better"
    assert compare_runs.verdict("fallback_rate", large["interval_95"]) == "worse"  # more fallbacks is worse


def test_folders_of_seed_runs_are_compared_figure_by_figure(compare_runs: ModuleType, tmp_path: Path) -> None:
    labels = ["express_anger"] * 40 + ["ask_mask_booking"] * 160
    angry_missed = ["ask_mask_booking"] * 40 + ["ask_mask_booking"] * 160
    angry_heard = ["express_anger"] * 40 + ["ask_mask_booking"] * 150 + ["express_anger"] * 10
    write_runs(tmp_path / "before", labels, [angry_missed, angry_missed])
    write_runs(tmp_path / "after", labels, [angry_heard, angry_heard, angry_heard])
    result = compare_runs.compare(tmp_path / "before", tmp_path / "after", rounds=2000)
    figures = result["figures"]
    assert result["candidate"]["runs"] == ["seed-1", "seed-2", "seed-3"]
    assert (figures["human_recall"]["baseline"], figures["human_recall"]["candidate"]) == (0.0, 1.0)
    assert figures["human_recall"]["verdict"] == "better"
    assert figures["false_live_handoff_rate"]["candidate"] == pytest.approx(10 / 160, abs=1e-4)
    assert figures["false_live_handoff_rate"]["verdict"] == "worse"
    assert figures["fallback_rate"]["verdict"] == "within noise"
