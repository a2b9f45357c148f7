"""Three ways to find duplicate rows, each blind to what the others see.

- exact: the same text after normalisation (Unicode NFKC, lower case, runs of white space as one space);
- near: MinHash signatures of character shingles, bucketed by locality-sensitive hashing (datasketch): rows whose
  shingle sets overlap (Jaccard similarity) above a threshold probably share a bucket. It catches typos and
  reordered words, never a paraphrase;
- semantic: sentence embeddings (all-MiniLM-L6-v2) whose cosine similarity is above a threshold. It catches
  paraphrases, and at a low threshold merges rows that only share a topic.

Each method gives pairs; a group is a connected set of rows (if 1~2 and 2~3, then {1, 2, 3}), listed in order.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
from datasketch import MinHash, MinHashLSH

Progress = Callable[..., None]  # progress(fraction, desc=...), as gr.Progress takes it
SEED = 1  # datasketch's default permutation seed: the same signatures a bare MinHash() gives
MAX_BLOCK_CELLS = 4_000_000  # the semantic search compares at most this many pairs at once (16 MB of float32)


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def groups_from_pairs(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the pairs (union-find), each sorted, ordered by their first row."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for x in parent:
        members.setdefault(root(x), []).append(x)
    return sorted((sorted(g) for g in members.values() if len(g) > 1), key=lambda g: g[0])


# --- exact -------------------------------------------------------------------------------------------


def exact_groups(texts: list[str], ids: list[int]) -> list[list[int]]:
    """Rows whose normalised texts are equal."""
    seen: dict[str, list[int]] = {}
    for i, t in zip(ids, texts):
        seen.setdefault(normalise(t), []).append(i)
    return sorted((g for g in seen.values() if len(g) > 1), key=lambda g: g[0])


# --- near: MinHash + LSH -----------------------------------------------------------------------------


def shingles(text: str, k: int) -> set[bytes]:
    """The normalised text's character k-grams (a text shorter than k is one shingle)."""
    t = normalise(text)
    if len(t) <= k:
        return {t.encode("utf-8")}
    return {t[i:i + k].encode("utf-8") for i in range(len(t) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands b, rows per band r): datasketch's own choice, which balances false positives against false
    negatives around the threshold (it integrates the S-curve, so it is worth computing once)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def s_curve(similarity: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """P(two rows share at least one bucket) = 1 - (1 - s^r)^b at Jaccard similarity s."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


@dataclass
class NearResult:
    groups: list[list[int]]
    pairs: list[tuple[int, int]]
    bands: int
    rows_per_band: int


def near_groups(texts: list[str], ids: list[int], threshold: float, num_perm: int = 128, k: int = 5,
                progress: Progress | None = None) -> NearResult:
    """One pass: each row's MinHash asks the index for earlier rows in a shared bucket, then joins it, so no
    signature is kept beyond the index's buckets (memory grows with the buckets, not with n signatures)."""
    bands, r = lsh_bands(float(threshold), int(num_perm))
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=(bands, r))
    template = MinHash(num_perm=num_perm, seed=SEED)  # permutations drawn once, copied per row (MinHash.bulk's trick)
    pairs: list[tuple[int, int]] = []
    n = len(texts)
    for done, (i, text) in enumerate(zip(ids, texts)):
        m = template.copy()
        m.update_batch(shingles(text, k))
        pairs += [(j, i) for j in lsh.query(m)]
        lsh.insert(i, m, check_duplication=False)
        if progress is not None and done % 2000 == 0:
            progress(done / max(n, 1), desc=f"MinHash + LSH: row {done:,} of {n:,}")
    return NearResult(groups_from_pairs(pairs), sorted(pairs), bands, r)


# --- semantic ----------------------------------------------------------------------------------------


def similar_pairs(vectors: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, cosine) for every i < j with cosine >= threshold, searched block by block so that no n x n
    matrix is ever built: each block of rows is compared with the rows after it."""
    v = np.asarray(vectors, dtype=np.float32)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    n = len(v)
    block = max(1, MAX_BLOCK_CELLS // max(n, 1))
    out: list[tuple[int, int, float]] = []
    for start in range(0, n, block):
        sims = v[start:start + block] @ v[start:].T  # (block, n - start): row start+a against row start+b
        a, b = np.nonzero(sims >= threshold)
        keep = b > a  # each pair once, never a row with itself
        for ai, bi in zip(a[keep], b[keep]):
            out.append((start + int(ai), start + int(bi), float(sims[ai, bi])))
    return out


@dataclass
class SemanticResult:
    groups: list[list[int]]
    pairs: list[tuple[int, int, float]]  # row numbers and their cosine


def semantic_groups(vectors: np.ndarray, ids: list[int], threshold: float) -> SemanticResult:
    pairs = [(ids[i], ids[j], s) for i, j, s in similar_pairs(vectors, threshold)]
    return SemanticResult(groups_from_pairs([(i, j) for i, j, _ in pairs]), pairs)
