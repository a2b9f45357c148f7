"""The Data lab's measurements (`python -m playground bench data`).

1. MinHash + LSH over 100,000 short rows (two sentences of the installed libraries' docstrings each, 5% of them
   near copies of an earlier row with a typo): our pass (query, then insert, progress every 2,000 rows, groups by
   union-find) against bare datasketch doing the same work in the same run (`MinHash.generator` over the same
   shingle sets, `MinHashLSH.query` then `insert`). Target: within 1.2x. Peak memory of each as a note.
2. The semantic search over 5,000 embeddings, block by block, against the bare n x n cosine matrix thresholded
   at once (same pairs; ours never holds the n x n matrix).
3. The whole curation pass on the built-in messy set with the embedding cache empty, against the bare encode of its
   rows (the models loaded and warmed for both), and again with the embeddings cached.
"""

from __future__ import annotations

import random
import time
import tracemalloc

import numpy as np

from playground.bench import Measurement
from playground.data.corpora import load_builtin
from playground.models import ModelHub

N_ROWS = 100_000
N_SEMANTIC = 5_000


def rows(n: int = N_ROWS, seed: int = 0) -> list[str]:
    """n short rows made of real text, with near copies planted (a typo in an earlier row)."""
    pool = sorted({s.strip().rstrip(".") for d in load_builtin("docstrings").texts for s in d.split(". ")
                   if 20 < len(s) < 160})
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n):
        if out and rng.random() < 0.05:
            t = list(rng.choice(out))
            k = rng.randrange(len(t))
            t[k] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            out.append("".join(t))
        else:
            out.append(f"{rng.choice(pool)}. {rng.choice(pool)}.")
    return out


def _peak(fn) -> tuple[float, float, object]:
    """(seconds, peak traced MB, result); tracing is on for both sides alike."""
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, result


def measure(hub: ModelHub) -> list[Measurement]:
    from datasketch import MinHash, MinHashLSH

    from playground.lessons.curation import duplicates as D
    from playground.lessons.curation import pipeline as P
    from playground.lessons.curation.tab import builtin_text

    texts = rows()
    ids = list(range(len(texts)))
    threshold, perms, k = 0.7, 128, 5
    D.lsh_bands(threshold, perms)  # datasketch's band choice integrates the S-curve: paid once, not timed

    def ours():
        return D.near_groups(texts, ids, threshold, perms, k, progress=lambda f, desc="": None)

    def bare():
        b, r = D.lsh_bands(threshold, perms)
        lsh = MinHashLSH(threshold=threshold, num_perm=perms, params=(b, r))
        pairs = []
        for i, m in enumerate(MinHash.generator((D.shingles(t, k) for t in texts), num_perm=perms)):
            pairs += [(j, i) for j in lsh.query(m)]
            lsh.insert(i, m, check_duplication=False)
        return pairs

    bare_s = time.perf_counter()
    bare_pairs = bare()
    bare_s = time.perf_counter() - bare_s
    ours_s = time.perf_counter()
    result = ours()
    ours_s = time.perf_counter() - ours_s
    same = sorted(bare_pairs) == result.pairs
    _, ours_mb, _ = _peak(lambda: D.near_groups(texts[:20_000], ids[:20_000], threshold, perms, k))
    _, bulk_mb, _ = _peak(lambda: MinHash.bulk([D.shingles(t, k) for t in texts[:20_000]], num_perm=perms))
    out = [Measurement(
        "data", f"MinHash+LSH groups, {len(texts):,} rows", ours_s, bare_s,
        "bare datasketch: MinHash.generator + MinHashLSH query/insert, same shingles", "within 1.2x",
        f"{len(result.groups):,} groups; same pairs as bare: {same}; {len(texts) / ours_s:,.0f} rows/s; peak traced "
        f"memory on 20,000 rows {ours_mb:.0f} MB (keeping every signature, as MinHash.bulk does: {bulk_mb:.0f} MB)")]

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((N_SEMANTIC, 384)).astype(np.float32)
    vectors[1::50] = vectors[::50][: len(vectors[1::50])] + 0.05 * rng.standard_normal((len(vectors[1::50]), 384))

    def full_matrix():
        v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        sims = v @ v.T
        a, b = np.nonzero(np.triu(sims >= 0.9, k=1))
        return list(zip(a.tolist(), b.tolist()))

    s_bare, bare_mb, full = _peak(full_matrix)
    s_ours, blocked_mb, blocked = _peak(lambda: D.similar_pairs(vectors, 0.9))
    out.append(Measurement(
        "data", f"semantic pairs, {N_SEMANTIC:,} embeddings", s_ours, s_bare,
        "the whole n x n cosine matrix thresholded at once", "no n x n matrix for large n",
        f"same pairs: {sorted(full) == [(i, j) for i, j, _ in blocked]}; peak memory {blocked_mb:.0f} MB blocked vs "
        f"{bare_mb:.0f} MB for the full matrix"))

    text = builtin_text("messy")
    settings = P.Settings()
    from playground.models.embedding_cache import CACHE

    hub.tokenizer(P.MODEL), hub.get(P.ENCODER)  # loading the models is the hub's cost, measured by `bench hub`
    P.curate(hub, text, settings)  # one warm-up pass (first-call costs of torch and the tokenizer)
    CACHE.clear()
    cold = time.perf_counter()
    c = P.curate(hub, text, settings)
    cold = time.perf_counter() - cold
    warm = time.perf_counter()
    P.curate(hub, text, settings)
    warm = time.perf_counter() - warm
    encode = time.perf_counter()
    hub.get(P.ENCODER).model.encode([r.text() for r in c.parsed.records])
    encode = time.perf_counter() - encode
    out.append(Measurement(
        "data", f"whole curation pass, built-in messy set ({c.parsed.rows} rows)", cold, encode,
        "bare SentenceTransformer.encode of the same rows (ours: embedding cache empty)", "",
        f"warm (embeddings cached) {warm:.2f} s"))
    return out
