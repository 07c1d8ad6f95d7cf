"""Unit-length n-gram features: Rasa's own featurizers, then our scaling, on real training data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse

pytest.importorskip("rasa")

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.normalizer import NormalizingJiebaTokenizer
from nlu_components.unit_length import UnitLengthFeatures, unit_rows


def test_rows_become_unit_length_and_repeats_count_less() -> None:
    counts = scipy.sparse.coo_matrix(np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 0.0], [2.0, 2.0, 0.0]]))
    rows = unit_rows(counts).toarray()
    assert np.allclose(np.linalg.norm(rows, axis=1), [1.0, 0.0, 1.0])  # an empty row stays empty
    assert np.allclose(rows[0], np.array([1.0, 0.0, 1 + math.log(3)]) / math.hypot(1, 1 + math.log(3)))
    assert np.allclose(
        unit_rows(counts, sublinear=False).toarray()[0], np.array([1, 0, 3]) / math.hypot(1, 3)
    )


@pytest.fixture(scope="module")
def featurized(tmp_path_factory: pytest.TempPathFactory) -> tuple[Message, Message]:
    """A short and a long message through the tokenizer, word and character counts, a pattern, and the scaling."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("unit"))

    def context(name: str) -> ExecutionContext:
        return ExecutionContext(graph_schema=None, node_name=name)  # type: ignore[arg-type]

    tokenizer = NormalizingJiebaTokenizer(NormalizingJiebaTokenizer.get_default_config(), None, None)  # type: ignore[arg-type]
    words = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "alias": "words"},
        storage,
        Resource("w"),
        context("w"),
    )
    chars = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "alias": "chars", "analyzer": "char", "max_ngram": 4},
        storage, Resource("c"), context("c"),
    )  # fmt: skip
    patterns = RegexFeaturizer.create(
        {**RegexFeaturizer.get_default_config(), "alias": "patterns"}, storage, Resource("p"), context("p")
    )
    scaling = UnitLengthFeatures.create(
        {"features": ["words", "chars"]}, storage, Resource("u"), context("u")
    )
    texts = [
        "口罩怎么预约",
        "口罩口罩口罩，我在人民路排了三个小时的队，预约了三次都没约上，到底怎么预约口罩？？",
    ]
    data = TrainingData([Message(data={TEXT: t, "intent": "ask_mask_booking"}) for t in texts])
    data.regex_features = [{"name": "mask_word", "pattern": "口罩"}]
    tokenizer.process_training_data(data)
    for featurizer in (words, chars, patterns):
        featurizer.train(data)
        featurizer.process_training_data(data)
    messages = [Message(data={TEXT: t}) for t in texts]
    tokenizer.process(messages)
    for featurizer in (words, chars, patterns):
        featurizer.process(messages)
    before = [m.get_sparse_features(TEXT, ["patterns"])[1] for m in messages]
    scaling.process(messages)
    after = [m.get_sparse_features(TEXT, ["patterns"])[1] for m in messages]
    for old, new in zip(before, after, strict=True):
        assert old is not None and new is not None
        assert np.array_equal(old.features.toarray(), new.features.toarray())  # pattern flags untouched
    return messages[0], messages[1]


@pytest.mark.parametrize("origin", ["words", "chars"])
def test_each_counted_featurizer_is_scaled_on_its_own(
    featurized: tuple[Message, Message], origin: str
) -> None:
    for message in featurized:
        sequence, sentence = message.get_sparse_features(TEXT, [origin])
        assert sequence is not None and sentence is not None
        assert np.allclose(scipy.sparse.linalg.norm(sentence.features.tocsr(), axis=1), 1.0)
        token_norms = scipy.sparse.linalg.norm(sequence.features.tocsr(), axis=1)
        assert np.allclose(token_norms[token_norms > 0], 1.0)
