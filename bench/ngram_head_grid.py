"""Which n-gram head could stand in for DIET: a grid over its settings on our own cross-validation folds.

DIET took 390 of the 516 s a training took on a 2-core machine (issue 18: under 3 minutes). A logistic
regression on the same word and character n-gram counts fits in seconds. This script reads the featurizers
of config.yml (tokenizer, regex and count-vector featurizers, trained on each fold's training part, exactly
as Rasa trains them), the encoders' vectors (cached), and fits the heads for each setting in the grid; it
scores the blend as the classifier reading of scripts/cross_validate.py does (best intent, no arbiter), and
with the FallbackClassifier's two thresholds. Same folds (seed 12315) as `make eval`. Our data only.

    .venv-rasa/bin/python bench/ngram_head_grid.py --out bench/results/ngram_head_grid.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

FEATURIZERS = ("NormalizingJiebaTokenizer", "RegexFeaturizer", "CountVectorsFeaturizer")


def pipeline_components(config: Path) -> list[tuple[Any, dict[str, Any]]]:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer

    from nlu_components.normalizer import NormalizingJiebaTokenizer

    classes = {
        "nlu_components.normalizer.NormalizingJiebaTokenizer": NormalizingJiebaTokenizer,
        "RegexFeaturizer": RegexFeaturizer,
        "CountVectorsFeaturizer": CountVectorsFeaturizer,
    }
    steps = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
    return [
        (classes[step["name"]], {k: v for k, v in step.items() if k != "name"})
        for step in steps
        if step["name"] in classes
    ]


def featurize(components: list[tuple[Any, dict[str, Any]]], train: Any, held_out: list[Any]) -> None:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    with tempfile.TemporaryDirectory() as folder:
        storage = LocalModelStorage(Path(folder))
        context = ExecutionContext(graph_schema=None, model_id="grid")  # type: ignore[arg-type]
        for number, (cls, config) in enumerate(components):
            component = cls.create(
                {**cls.get_default_config(), **config}, storage, Resource(f"c{number}"), context
            )
            if hasattr(component, "train") and cls.__name__ != "NormalizingJiebaTokenizer":
                component.train(train)
            component.process_training_data(train)
            component.process(held_out)


def macro_f1(truth: list[str], predicted: list[str], intents: list[str]) -> float:
    scores = []
    for intent in intents:
        tp = sum(t == intent and p == intent for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != intent and p == intent for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == intent and p != intent for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ngram_head_grid.json")
    args = parser.parse_args()
    from cross_validate import folds
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from nlu_components.encoders import LOADERS, encode_cached
    from nlu_components.semantic_vote import fit_head, ngram_features

    components = pipeline_components(args.config)
    encoders = {name: load() for name, load in LOADERS.items()}
    grid_c = [3.0, 10.0, 30.0, 100.0]
    grid_scaling = ["l2", "counts"]
    grid_weight = [1.0, 1.5, 2.0]
    truth: list[str] = []
    blends: dict[tuple[Any, ...], list[np.ndarray]] = {}
    intents: list[str] = []
    for number, (train, held) in enumerate(folds(ROOT / "nlu_data", 5, 12315), start=1):
        examples = [m for m in train.intent_examples if m.get(TEXT)]
        held_out = [Message(data={TEXT: text}) for text, _ in held]
        featurize(components, train, held_out)
        labels = [str(m.get(INTENT)) for m in examples]
        intents = sorted(set(labels))
        truth += [intent for _, intent in held]
        texts = [str(m.get(TEXT)) for m in examples]
        encoder_probs = {}
        for name, encoder in encoders.items():
            head = fit_head(
                encode_cached(name, encoder, texts), labels, intents, {"use": 30.0, "e5": 100.0}[name]
            )
            encoder_probs[name] = head.probabilities(encode_cached(name, encoder, [t for t, _ in held]))
        for scaling in grid_scaling:
            x_train = ngram_features(examples, scaling)
            x_held = ngram_features(held_out, scaling)
            for c in grid_c:
                ngram = fit_head(x_train, labels, intents, c).probabilities(x_held)
                for weight in grid_weight:
                    mixed = (weight * ngram + encoder_probs["use"] + encoder_probs["e5"]) / (weight + 2)
                    blends.setdefault((scaling, c, weight), []).append(mixed)
                blends.setdefault((scaling, c, "ngrams alone"), []).append(ngram)
        print(f"fold {number} done", flush=True)
    results = []
    for key, parts in blends.items():
        probs = np.vstack(parts)
        best = [intents[i] for i in probs.argmax(axis=1)]
        top2 = np.sort(probs, axis=1)[:, -2:]
        fallback = (top2[:, 1] < 0.3) | (top2[:, 1] - top2[:, 0] < 0.05)
        served = ["nlu_fallback" if f else b for f, b in zip(fallback, best, strict=True)]
        results.append(
            {
                "scaling": key[0],
                "C": key[1],
                "ngram_weight": key[2],
                "classifier_macro_f1": round(macro_f1(truth, best, intents), 4),
                "served_macro_f1": round(macro_f1(truth, served, intents), 4),
                "fallbacks": int(fallback.sum()),
            }
        )
    results.sort(key=lambda r: -r["classifier_macro_f1"])
    args.out.write_text(json.dumps({"examples": len(truth), "results": results}, indent=2) + "\n")
    for row in results[:12]:
        print(row)


if __name__ == "__main__":
    main()
