"""Fill the encoders' vector cache for a training that is about to run (run in the Rasa environment).

    python -m nlu_components.warm_cache --config config.yml --data nlu_data

SemanticVote encodes every training example (e5: about 15 ms each, 45 s on a fresh machine) after DIET has
trained, and until then one of the two cores sits idle for long stretches: Rasa's start, the featurizers and
the gaps between DIET's batches are single-threaded. `python -m bot train` starts this beside `rasa train`,
so the vectors are encoded in those gaps; SemanticVote then finds them in the cache (the cache file's lock
makes it wait for a warm-up still running, never read half of one). It encodes exactly the texts
SemanticVote will: the intent examples of the NLU files, normalised as NormalizingJiebaTokenizer does. A text
it misses is simply encoded by SemanticVote itself, so this can only save time, never change a vector.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

import yaml

from nlu_components.encoders import LOADERS, encode_cached
from nlu_components.normalizer import normalise


def training_texts(data: Path) -> List[str]:
    from rasa.shared.data import get_data_files, is_nlu_file
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted(get_data_files([str(data)], is_nlu_file))
    merged = TrainingData().merge(*(load_data(file) for file in files))
    return [normalise(str(m.get("text"))) for m in merged.intent_examples if m.get("text")]


def encoders_in(config: Path) -> List[str]:
    """The encoders config.yml's SemanticVote weighs (its defaults when it names none)."""
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    for step in pipeline:
        if str(step.get("name", "")).endswith("SemanticVote"):
            weights = step.get("weights") or {"use": 1.0, "e5": 1.0}
            return [name for name, weight in weights.items() if name in LOADERS and float(weight) > 0]
    return []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--data", type=Path, default=Path("nlu_data"))
    args = parser.parse_args()
    names = encoders_in(args.config)
    if not names:
        return
    texts = training_texts(args.data)
    for name in names:
        encode_cached(name, LOADERS[name](), texts)


if __name__ == "__main__":
    main()
