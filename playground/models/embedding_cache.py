"""Sentence embeddings, cached by (model key, sha256 of the text), so re-projecting, recolouring or
querying a map never runs the encoder again on text it has already seen.

Only the texts missing from the cache are encoded, longest first in chunks of whole batches: that
is the order `SentenceTransformer.encode` itself uses, so each chunk is padded as the bare call
would pad it and the vectors are the ones `encode` gives for those texts.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np

from playground.lru import BoundedLRU

BATCH_SIZE = 32  # SentenceTransformer.encode's default
CHUNK_BATCHES = 8  # progress is reported after every 8 batches (256 texts)
MAX_ENTRIES = 60_000  # about 90 MB of 384-float vectors; the least recently used go first


class EmbeddingCache:
    """A bounded, thread-safe LRU map from (model key, text hash) to one float32 vector."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._lru: BoundedLRU[np.ndarray] = BoundedLRU(max_entries)
        self.encoded = 0  # how many texts really went through the model (tests read it)

    def __len__(self) -> int:
        return len(self._lru)

    def get_many(self, key: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found = {h: self._lru.get((key, h)) for h in hashes}
        return {h: v for h, v in found.items() if v is not None}

    def put_many(self, key: str, items: dict[str, np.ndarray]) -> None:
        for h, vec in items.items():
            self._lru.put((key, h), vec)

    def clear(self) -> None:
        self._lru.clear()


CACHE = EmbeddingCache()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def embed_texts(
    hub,
    texts: list[str],
    key: str = "all-minilm-l6-v2",
    progress: Callable | None = None,
    cache: EmbeddingCache = CACHE,
) -> np.ndarray:
    """float32 (n, d) sentence embeddings: exactly what `SentenceTransformer.encode` returns for
    these texts (all-MiniLM-L6-v2 normalises inside its own pipeline; nothing is added here).
    The model is loaded only if some text is not cached yet."""
    return encode_cached(lambda: hub.get(key).model, key, texts, progress, cache)


def encode_cached(
    model: Callable[[], object] | object,
    key: str,
    texts: list[str],
    progress: Callable | None = None,
    cache: EmbeddingCache = CACHE,
) -> np.ndarray:
    """`embed_texts` for a sentence model in hand (or a callable that gives it), cached under `key`."""
    get_model = model if callable(model) and not hasattr(model, "encode") else (lambda: model)
    hashes = [text_hash(t) for t in texts]
    found = cache.get_many(key, hashes)
    missing: dict[str, str] = {}  # hash -> text, each distinct missing text once
    for h, t in zip(hashes, texts):
        if h not in found and h not in missing:
            missing[h] = t
    if missing:
        encoder = get_model()
        order = sorted(missing, key=lambda h: -len(missing[h]))  # encode's own longest-first order
        chunk = BATCH_SIZE * CHUNK_BATCHES
        new: dict[str, np.ndarray] = {}
        for start in range(0, len(order), chunk):
            if progress is not None:
                progress(start / len(order), desc=f"embedding {start:,} of {len(order):,} new texts")
            part = order[start : start + chunk]
            vecs = encoder.encode([missing[h] for h in part], batch_size=BATCH_SIZE, convert_to_numpy=True,
                                  show_progress_bar=False)
            vecs = np.asarray(vecs, dtype=np.float32)
            new.update({h: vecs[i].copy() for i, h in enumerate(part)})  # copy: rows must not pin the chunk
        cache.encoded += len(order)
        cache.put_many(key, new)
        found.update(new)
        if progress is not None:
            progress(1.0, desc=f"embedded {len(order):,} new texts")
    if not texts:
        dim = get_model().get_sentence_embedding_dimension()
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)
