"""Keep only the sentence-level text features: all our DIETClassifier reads.

DIET classifies the intent from the output at the sentence position of its sequence layer. With no
transformer layers (config.yml) nothing mixes positions, so that output depends on the sentence features
alone, and with entity recognition off no other loss reads the token positions. The per-token (sequence)
features were still batched, converted and multiplied every step: about a third of DIET's training time
here, for nothing. This component, placed after the featurizers, replaces them with one empty column per
token: DIET still sees a sequence of the right length (it requires one), and learns exactly what it could
before.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceFeaturesOnly(GraphComponent):
    def __init__(self, name: Text) -> None:
        self._name = name

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceFeaturesOnly:
        return cls(execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._strip(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._strip(message)
        return messages

    def _strip(self, message: Message) -> None:
        sequence = [f for f in message.features if _is_text_sequence(f)]
        if not sequence:
            return
        tokens = sequence[0].features.shape[0]
        message.features = [f for f in message.features if not _is_text_sequence(f)]
        # Sparse, so DIET's sequence input keeps the sentence input's width (no extra unifying layer).
        empty = scipy.sparse.coo_matrix((tokens, 1))
        message.features.append(Features(empty, FEATURE_TYPE_SEQUENCE, TEXT, self._name))


def _is_text_sequence(features: Features) -> bool:
    return features.attribute == TEXT and features.type == FEATURE_TYPE_SEQUENCE
