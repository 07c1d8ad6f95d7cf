"""scripts/replay_rankings.py: the decision layer (a prior, the arbiter, the fallback) replayed over rankings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("rasa")

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def replay() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replay_rankings", ROOT / "scripts" / "replay_rankings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ranking(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_a_prior_multiplies_renormalises_and_reorders(replay: ModuleType) -> None:
    shifted = replay.with_prior(ranking(("ask_mask_booking", 0.5), ("express_anger", 0.4), ("greet", 0.1)),
                                {"express_anger": 2.0})  # fmt: skip
    assert [r["name"] for r in shifted] == ["express_anger", "ask_mask_booking", "greet"]
    assert [round(r["confidence"], 4) for r in shifted] == [
        round(0.8 / 1.4, 4),
        round(0.5 / 1.4, 4),
        round(0.1 / 1.4, 4),
    ]
    assert replay.with_prior(ranking(("greet", 0.7), ("deny", 0.3)), {}) == ranking(
        ("greet", 0.7), ("deny", 0.3)
    )


def test_the_fallback_thresholds_are_the_configs(replay: ModuleType) -> None:
    assert replay.fallback_thresholds(ROOT / "config.yml") == (0.3, 0.05)


def test_a_replay_applies_the_fallback_thresholds_and_the_arbiter_on_disk(replay: ModuleType) -> None:
    def served(text: str, *pairs: tuple[str, float]) -> str:
        return str(replay.served(text, ranking(*pairs), 0.3, 0.05))

    assert served("口罩在哪领", ("ask_mask_pickup", 0.9), ("greet", 0.1)) == "ask_mask_pickup"
    assert served("嗯嗯", ("affirm", 0.28), ("greet", 0.2)) == "nlu_fallback"  # under the threshold
    assert served("这个那个", ("affirm", 0.42), ("deny", 0.40)) == "nlu_fallback"  # the best two too close
    # The arbiter: words that ask for a person are a request, whatever the ranking said.
    assert served("押金能退吗 给我转人工", ("complain_other", 0.8), ("out_of_scope", 0.2)) == "request_human"
    assert (
        served(
            "",
        )
        == "nlu_fallback"
    )


def test_figures_count_as_evaluate_nlu_does(replay: ModuleType) -> None:
    rows = [
        {"intent": "express_anger", "handoff": "human"},
        {"intent": "express_anger", "handoff": "human"},
        {"intent": "greet", "handoff": "none"},
        {"intent": "report_price_gouging", "handoff": "ticket", "also_ok": ["complain_other"]},
    ]
    result = replay.figures(rows, ["request_human", "nlu_fallback", "express_anger", "complain_other"])
    assert result == {
        "messages": 4, "accuracy": 0.25, "human": "1/2", "false_live": "1/1", "fallbacks": 1
    }  # fmt: skip


def test_each_prior_option_is_one_replay_after_the_plain_one(replay: ModuleType) -> None:
    assert replay.parse_prior(["express_anger=2", "express_anger=1.5,request_human=2"]) == [
        {},
        {"express_anger": 2.0},
        {"express_anger": 1.5, "request_human": 2.0},
    ]
