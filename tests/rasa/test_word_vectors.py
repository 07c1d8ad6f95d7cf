"""The pretrained word-vector featurizer, with the vectors the pinned `synonyms` package ships."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.normalizer import NormalizingJiebaTokenizer
from nlu_components.word_vectors import ChineseWordVectorFeaturizer, WordVectors, load_vectors


@pytest.fixture(scope="module")
def vectors() -> WordVectors:
    return load_vectors(None)


def similarity(vectors: WordVectors, a: str, b: str) -> float:
    return float(vectors.of(a) @ vectors.of(b))


def test_the_packaged_vectors_are_read_whole(vectors: WordVectors) -> None:
    assert len(vectors.index) > 120_000
    assert vectors.dimensions == 100
    assert np.allclose(np.linalg.norm(vectors.of("口罩")), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    ("word", "near", "far"),
    [
        ("愤怒", "气愤", "口罩"),
        ("假货", "假冒", "谢谢"),
        ("预约", "预订", "愤怒"),
        ("谢谢", "感谢", "假货"),
    ],
)
def test_related_words_are_closer_than_unrelated_ones(
    vectors: WordVectors, word: str, near: str, far: str
) -> None:
    assert similarity(vectors, word, near) > similarity(vectors, word, far) + 0.2


def test_an_unknown_word_is_its_characters_and_punctuation_is_nothing(vectors: WordVectors) -> None:
    assert "口罩君" not in vectors.index
    assert np.allclose(vectors.of("口罩君"), (vectors.of("口") + vectors.of("罩") + vectors.of("君")) / 3)
    assert not vectors.of("!!!").any()
    assert not vectors.of("😡").any()


def test_a_message_gets_one_vector_per_token_and_their_mean_for_the_sentence() -> None:
    tokenizer = NormalizingJiebaTokenizer(NormalizingJiebaTokenizer.get_default_config(), None, None)  # type: ignore[arg-type]
    context = ExecutionContext(graph_schema=None, node_name="vectors")  # type: ignore[arg-type]
    featurizer = ChineseWordVectorFeaturizer(ChineseWordVectorFeaturizer.get_default_config(), context)
    message = Message(data={TEXT: "口罩太贵了!!!"})
    tokenizer.process([message])
    featurizer.process([message])
    tokens = message.get(TOKENS_NAMES[TEXT])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is not None and sentence is not None
    assert sequence.features.shape == (len(tokens), 100)
    words = [featurizer.vectors.of(t.text) for t in tokens if featurizer.vectors.of(t.text).any()]
    assert len(words) < len(tokens)  # "!!!" is a token with no vector, left out of the mean
    assert np.allclose(sentence.features, np.mean(words, axis=0, keepdims=True))
