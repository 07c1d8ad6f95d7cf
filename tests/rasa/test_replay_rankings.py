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


def test_no_prior_leaves_the_captured_ranking_as_it_was(replay: ModuleType) -> None:
    captured = ranking(("affirm", 0.1 + 0.2), ("deny", 0.7))  # not sorted, not summing to 1 exactly
    assert replay.with_prior(captured, {}) is captured


def test_the_fallback_thresholds_are_read_from_the_config(replay: ModuleType, tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: DIETClassifier\n"
        "  - name: FallbackClassifier\n    threshold: 0.42\n    ambiguity_threshold: 0.07\n",
        encoding="utf-8",
    )
    assert replay.fallback_thresholds(config) == (0.42, 0.07)
    config.write_text("pipeline:\n  - name: FallbackClassifier\n", encoding="utf-8")
    assert replay.fallback_thresholds(config) == (0.3, 0.1)  # Rasa's defaults


def test_a_replay_applies_the_arbiter_on_disk_then_the_fallback_thresholds(replay: ModuleType) -> None:
    def served(text: str, *pairs: tuple[str, float], ambiguity: float = 0.05) -> str:
        return str(replay.served(text, ranking(*pairs), 0.3, ambiguity))

    assert served("口罩在哪领", ("ask_mask_pickup", 0.9), ("greet", 0.1)) == "ask_mask_pickup"
    assert served("嗯嗯", ("affirm", 0.28), ("greet", 0.2)) == "nlu_fallback"  # under the threshold
    assert served("嗯嗯", ("affirm", 0.3), ("greet", 0.2)) == "affirm"  # at it: served, as Rasa does
    assert served("这个那个", ("affirm", 0.42), ("deny", 0.40)) == "nlu_fallback"  # the best two too close
    assert served("嗯", ("affirm", 0.31), ambiguity=0.5) == "affirm"  # a ranking of one is never ambiguous
    # The arbiter runs first: words that ask for a person are a request, whatever the ranking, and certain
    # enough that a hesitant ranking does not fall back.
    assert served("押金能退吗 给我转人工", ("complain_other", 0.8), ("out_of_scope", 0.2)) == "request_human"
    assert served("押金能退吗 给我转人工", ("complain_other", 0.25), ("out_of_scope", 0.2)) == "request_human"
    assert served("") == "nlu_fallback"


def test_the_capture_notes_what_the_arbiter_receives_and_lets_it_work(replay: ModuleType) -> None:
    from rasa.shared.nlu.constants import INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    seen: list[tuple[str, list[dict[str, object]]]] = []
    worked: list[Message] = []
    recording = replay.recorder(seen, worked.append)
    message = Message(data={TEXT: "口罩在哪领", INTENT_RANKING_KEY: ranking(("ask_mask_pickup", 0.9))})
    recording(message)
    assert seen == [("口罩在哪领", ranking(("ask_mask_pickup", 0.9)))]
    assert worked == [message]


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
