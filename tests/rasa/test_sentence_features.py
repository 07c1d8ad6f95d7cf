"""SentenceFeaturesOnly: DIET learns the same model without the per-token features, only faster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa")

import yaml
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.normalizer import NormalizingJiebaTokenizer
from nlu_components.sentence_features import SentenceFeaturesOnly

EXAMPLES = {
    "ask_mask_booking": [
        "口罩怎么预约",
        "在哪里能约口罩",
        "明天几点开始预约",
        "一个人能买几个口罩",
        "老人不会用手机咋约",
    ],
    "ask_mask_pickup": [
        "约上了去哪拿",
        "口罩在哪个药店领",
        "领口罩要带身份证吗",
        "几点可以去取",
        "自提点在哪",
    ],
    "report_price_gouging": [
        "药店口罩卖五十一个",
        "酒精涨到一百了",
        "这属于哄抬物价吗",
        "菜价翻倍了",
        "举报超市乱涨价",
    ],
    "greet": ["你好", "在吗", "早上好", "哈喽", "您好呀"],
}
QUERIES = ["口罩能约几个", "身份证领口罩", "口罩一个卖八十", "你好在吗", "人民路药店"]
CONTEXT = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
DIET_CONFIG = {
    "entity_recognition": False,
    "number_of_transformer_layers": 0,
    "epochs": 5,
    "constrain_similarities": True,
    "random_seed": 7,
}


def featurized(strip: bool, storage: LocalModelStorage) -> tuple[TrainingData, list[Any]]:
    """The training data and the query messages through tokenizer, word and character counts (and the strip)."""
    tokenizer = NormalizingJiebaTokenizer(NormalizingJiebaTokenizer.get_default_config(), None, None)  # type: ignore[arg-type]
    data = TrainingData(
        [Message(data={TEXT: text, INTENT: intent}) for intent, texts in EXAMPLES.items() for text in texts]
    )
    queries = [Message(data={TEXT: text}) for text in QUERIES]
    tokenizer.process_training_data(data)
    tokenizer.process(queries)
    for name, config in (("words", {}), ("chars", {"analyzer": "char", "min_ngram": 1, "max_ngram": 4})):
        featurizer = CountVectorsFeaturizer.create(
            {**CountVectorsFeaturizer.get_default_config(), **config}, storage, Resource(name), CONTEXT
        )
        featurizer.train(data)
        featurizer.process_training_data(data)
        featurizer.process(queries)
    if strip:
        component = SentenceFeaturesOnly("sentence_features")
        component.process_training_data(data)
        component.process(queries)
    return data, queries


def rankings(strip: bool, tmp_path: Path) -> list[dict[str, float]]:
    folder = tmp_path / ("stripped" if strip else "full")
    folder.mkdir()
    storage = LocalModelStorage(folder)
    data, queries = featurized(strip, storage)
    diet = DIETClassifier.create(
        {**DIETClassifier.get_default_config(), **DIET_CONFIG}, storage, Resource("diet"), CONTEXT
    )
    diet.train(data)
    diet.process(queries)
    return [{r["name"]: r["confidence"] for r in q.get(INTENT_RANKING_KEY)} for q in queries]


def test_only_an_empty_column_per_token_is_left_of_the_sequence_features(tmp_path: Path) -> None:
    data, queries = featurized(False, LocalModelStorage(tmp_path))
    before = {
        id(message): [
            f.features.toarray().tolist() for f in message.features if f.type == FEATURE_TYPE_SENTENCE
        ]
        for message in [*data.training_examples, *queries]
    }
    stripper = SentenceFeaturesOnly("sentence_features")
    stripper.process_training_data(data)
    stripper.process(queries)
    for message in [*data.training_examples, *queries]:
        tokens = len(message.get("text_tokens"))
        sequence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SEQUENCE]
        assert len(sequence) == 1
        assert sequence[0].features.shape == (tokens, 1) and sequence[0].features.nnz == 0
        sentence = [
            f.features.toarray().tolist() for f in message.features if f.type == FEATURE_TYPE_SENTENCE
        ]
        assert sentence == before[id(message)] and len(sentence) == 2  # words and characters, untouched


def test_diet_learns_the_same_model_without_the_sequence_features(tmp_path: Path) -> None:
    full, stripped = rankings(False, tmp_path), rankings(True, tmp_path)
    for with_tokens, without in zip(full, stripped, strict=True):
        assert with_tokens.keys() == without.keys()
        for name, confidence in with_tokens.items():
            assert without[name] == pytest.approx(confidence, abs=1e-5)
    # The queries are not all one intent: the comparison would not see a model that ignores its input.
    assert len({max(r, key=r.__getitem__) for r in full}) >= 3


def test_the_served_pipeline_is_one_this_holds_for() -> None:
    """The strip is only lossless while nothing in DIET reads token positions."""
    config = yaml.safe_load((Path(__file__).parents[2] / "config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    assert "nlu_components.sentence_features.SentenceFeaturesOnly" in names
    diet = next(c for c in config["pipeline"] if c["name"] == "DIETClassifier")
    assert diet["number_of_transformer_layers"] == 0
    assert diet["entity_recognition"] is False
    # Featurizers that give only per-token features would be thrown away: none after the strip, none before.
    assert "LexicalSyntacticFeaturizer" not in names
    assert (
        names.index("nlu_components.sentence_features.SentenceFeaturesOnly")
        == names.index("DIETClassifier") - 1
    )
