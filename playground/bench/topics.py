"""The Topics lesson's measurements, on 2,000 real documents (the docstrings corpus).

1. Our fit (BERTopic through the caching UMAP wrapper, caches empty) against a bare
   `BERTopic.fit_transform` with the same UMAP, HDBSCAN and vectorizer, given the same
   embeddings: the target is at least 0.9x its speed (a ratio of at most 1.11 here).
2. Click to topics, cold: every cache empty, encoder loaded, through the `topics` API's path,
   against the bare `SentenceTransformer.encode` + `BERTopic.fit_transform`. Target: under 60 s.
3. The same plus everything the page draws (2-D map, BERTopic's figures, downloads).
4. Changing only the representation (MMR) on the fitted model, against the bare full fit.

numba compiles UMAP on its first call in a process (about 12 s here); a small warm-up fit pays that
before anything is timed, and its time is reported as a note.
"""

from __future__ import annotations

import statistics
import time

from playground.bench import Measurement, timed
from playground.data.corpora import load_builtin
from playground.lessons.topics import pipeline as P
from playground.models import ModelHub
from playground.models.embedding_cache import CACHE, embed_texts

N_DOCS = 2_000
SETTINGS = P.TopicSettings(n_neighbors=15, n_components=5, min_cluster_size=15, nr_topics=None, seed=42)


def _clear() -> None:
    CACHE.clear()
    P.UMAP_CACHE.clear()
    P.FIT_CACHE.clear()


def measure(hub: ModelHub) -> list[Measurement]:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    from playground.lessons.topics.results import ENCODER, describe, topics_result
    from playground.lessons.topics.tab import topics_view

    docs = load_builtin("docstrings", limit=N_DOCS).texts
    docs, _ = P.limit_docs(docs)
    model = hub.get(ENCODER).model

    def encode(texts):
        return embed_texts(hub, texts, key=ENCODER)

    start = time.perf_counter()  # numba's first compile of UMAP, paid once per process
    P.umap_model(5, 2, 0).fit_transform(model.encode(docs[:60]))
    jit_s = time.perf_counter() - start

    def bare_fit(embeddings):
        return BERTopic(umap_model=P.umap_model(SETTINGS.n_neighbors, SETTINGS.n_components, SETTINGS.seed),
                        hdbscan_model=HDBSCAN(min_cluster_size=SETTINGS.min_cluster_size, metric="euclidean",
                                              cluster_selection_method="eom", prediction_data=True),
                        vectorizer_model=P.make_vectorizer()).fit_transform(docs, embeddings)

    embeddings = model.encode(docs)

    def ours_fit() -> float:
        _clear()  # empty caches, outside the timing: the bare call has none to clear
        start = time.perf_counter()
        P.fit_topics(docs, embeddings, SETTINGS, encode)
        return time.perf_counter() - start

    # interleaved, so a neighbour's load on this shared machine falls on both sides alike
    bare_runs, ours_runs = [], []
    for _ in range(3):
        bare_runs.append(timed(lambda: bare_fit(embeddings), repeat=1))
        ours_runs.append(ours_fit())
    bare_fit_s, ours_fit_s = statistics.median(bare_runs), statistics.median(ours_runs)

    # Cold click: every cache empty, through the topics API's path, then what the page draws on top.
    _clear()
    start = time.perf_counter()
    topics_result(hub, "\n".join(docs), SETTINGS.min_cluster_size, SETTINGS.n_neighbors, "c-TF-IDF", SETTINGS.seed)
    ours_cold_s = time.perf_counter() - start
    fit = P.FIT_CACHE.get((P.corpus_key(docs), SETTINGS))
    facts = {"embed_s": 0.0, "embedded_new": 0, "fit_cached": False, "total_s": 0.0}
    topics_view(describe(fit, facts, "c-TF-IDF", None, [], (), None))
    page_s = time.perf_counter() - start
    bare_cold_s = timed(lambda: bare_fit(model.encode(docs)), repeat=1)

    fit = P.FIT_CACHE.get((P.corpus_key(docs), SETTINGS))
    P.represent(fit, "MMR", 0.3)  # the words' embeddings enter the cache once
    switch_s = timed(lambda: (P.represent(fit, "c-TF-IDF"), P.represent(fit, "MMR", 0.3)), repeat=3) / 2

    n = f"{len(docs):,} docstrings"
    return [
        Measurement("topics", f"fit, same embeddings ({n})", ours_fit_s, bare_fit_s,
                    "bare BERTopic.fit_transform(docs, embeddings)", target=">= 0.9x its speed (ratio <= 1.11)"),
        Measurement("topics", f"click to topics, cold caches ({n})", ours_cold_s, bare_cold_s,
                    "bare encode + BERTopic.fit_transform", target="< 60 s",
                    note=f"numba's one-off UMAP compile, paid before: {jit_s:.1f} s"),
        Measurement("topics", f"click to whole page, cold caches ({n})", page_s, bare_cold_s,
                    "bare encode + BERTopic.fit_transform", note="adds the 2-D map UMAP, BERTopic figures, downloads"),
        Measurement("topics", "representation change only (MMR)", switch_s, bare_fit_s,
                    "bare BERTopic.fit_transform(docs, embeddings)", note="update_topics on the fitted model"),
    ]
