"""The Topics lesson's pipeline: BERTopic's stages as plain functions, with the caches that let a
change to one knob re-run only the stages after it.

    embed (cached per text, by the caller) -> reduce (UMAP, cached by corpus hash + settings)
    -> cluster (HDBSCAN) + describe (c-TF-IDF) -> represent (c-TF-IDF / MMR / KeyBERTInspired)

The real `BERTopic.fit_transform` runs every fit; the only thing we swap in is a UMAP wrapper that
returns the cached layout when the same corpus meets the same UMAP settings again. A change of
representation calls `BERTopic.update_topics` on the fitted model, so the clusters stay put.
Nothing here imports Gradio: these functions take documents and embeddings and return data.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from playground.lru import BoundedLRU

from playground.checks import UserInputError

REPRESENTATIONS = ("c-TF-IDF", "MMR", "KeyBERTInspired")
_ALIASES = {"ctfidf": "c-TF-IDF", "c-tf-idf": "c-TF-IDF", "c_tf_idf": "c-TF-IDF", "tfidf": "c-TF-IDF",
            "mmr": "MMR", "keybertinspired": "KeyBERTInspired", "keybert": "KeyBERTInspired"}
TOP_N_WORDS = 10
MAX_DOCS = 5_000  # UMAP and the encoder on a 2-core CPU: 5,000 documents is about a minute cold
MAX_CHARS_PER_DOC = 2_000  # the encoder reads 256 tokens anyway; longer texts only slow c-TF-IDF
EMBEDDING_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"  # the pointer written into saved models

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, what: str) -> None:
    pass


# --- input ----------------------------------------------------------------------------------------


def representation_name(value: str) -> str:
    """The canonical name of a representation, accepting a few spellings ("mmr", "keybert")."""
    if value in REPRESENTATIONS:
        return value
    canon = _ALIASES.get(str(value).strip().lower().replace(" ", ""))
    if canon is None:
        raise UserInputError(f"Unknown representation {value!r}. Choose one of: {', '.join(REPRESENTATIONS)}.")
    return canon


def split_lines(text: str, max_docs: int = MAX_DOCS, max_chars: int = MAX_CHARS_PER_DOC) -> tuple[list[str], list[str]]:
    """Documents from text with one document per line (blank lines skipped), and notices of cuts."""
    docs = [line.strip() for line in text.splitlines() if line.strip()]
    return limit_docs(docs, max_docs, max_chars)


def limit_docs(docs: list[str], max_docs: int = MAX_DOCS, max_chars: int = MAX_CHARS_PER_DOC) -> tuple[list[str], list[str]]:
    notices = []
    if len(docs) > max_docs:
        notices.append(f"The corpus had {len(docs):,} documents; the first {max_docs:,} were used.")
        docs = docs[:max_docs]
    long = sum(len(d) > max_chars for d in docs)
    if long:
        notices.append(f"{long:,} document(s) were longer than {max_chars:,} characters and were cut to that length.")
        docs = [d[:max_chars] for d in docs]
    return docs, notices


def min_docs_needed(min_cluster_size: int) -> int:
    """HDBSCAN needs two groups of `min_cluster_size` documents before there is anything to tell apart."""
    return max(10, 2 * min_cluster_size)


def check_corpus(docs: list[str], min_cluster_size: int, n_neighbors: int) -> tuple[int, list[str]]:
    """Refuse corpora that cannot be clustered, with a sentence that says why and what to do.

    Returns the UMAP neighbour count to use (clamped below the number of documents) and notices.
    """
    n = len(docs)
    need = min_docs_needed(min_cluster_size)
    if n == 0:
        raise UserInputError("There are no documents. Put one document per line, or pick a built-in corpus.")
    if n == 1:
        raise UserInputError(
            f"There is only one document ({len(docs[0]):,} characters). Topic modelling groups many documents: "
            "put one document per line (each paragraph or sentence on its own line)."
        )
    distinct = len(set(docs))
    if distinct == 1:
        raise UserInputError(
            f"All {n:,} documents are the same text. There is nothing to tell apart: add different documents."
        )
    if distinct < need:
        dup = f" ({n:,} lines, but only {distinct:,} different texts)" if distinct < n else ""
        raise UserInputError(
            f"Too few documents to cluster: {distinct:,}{dup}. With a minimum topic size of {min_cluster_size}, "
            f"HDBSCAN needs at least {need} different documents to find two topics. Add documents or lower the "
            "minimum topic size."
        )
    notices = []
    if distinct < n / 2:
        notices.append(f"Only {distinct:,} of the {n:,} documents are different texts; copies of one text always land together.")
    if n_neighbors >= n:
        notices.append(f"UMAP neighbours lowered from {n_neighbors} to {n - 1}: it must be below the number of documents ({n}).")
        n_neighbors = n - 1
    return n_neighbors, notices


def corpus_key(docs: list[str]) -> str:
    """A hash of the documents in order: the cache key for every stage after embedding."""
    h = hashlib.sha256()
    for d in docs:
        b = d.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()[:24]


# --- caches ---------------------------------------------------------------------------------------


UMAP_CACHE: BoundedLRU[tuple] = BoundedLRU(12)  # (corpus, n_neighbors, n_components, seed) -> (fitted UMAP, reduced array)
FIT_CACHE: BoundedLRU["TopicFit"] = BoundedLRU(6)  # (corpus, TopicSettings) -> TopicFit
FIT_COUNTS: dict[str, int] = {"umap": 0, "hdbscan": 0}  # how often each stage really ran (tests read it)
_FIT_LOCK = threading.Lock()  # a fitted model is mutated by update_topics: one writer at a time


# --- stage 2: reduce ------------------------------------------------------------------------------


def umap_model(n_neighbors: int, n_components: int, seed: int):
    """BERTopic's default UMAP (cosine, min_dist 0) with the learner's neighbours, components and seed."""
    from umap import UMAP

    return UMAP(n_neighbors=n_neighbors, n_components=n_components, min_dist=0.0, metric="cosine",
                low_memory=False, random_state=seed)


def reduce(embeddings: np.ndarray, key: str, n_neighbors: int, n_components: int, seed: int) -> tuple[np.ndarray, bool]:
    """UMAP-reduced embeddings and whether they came from the cache."""
    ck = (key, n_neighbors, n_components, seed)
    hit = UMAP_CACHE.get(ck)
    if hit is not None:
        return hit[1], True
    model = umap_model(n_neighbors, n_components, seed)
    reduced = np.nan_to_num(model.fit_transform(embeddings))
    FIT_COUNTS["umap"] += 1
    UMAP_CACHE.put(ck, (model, reduced))
    return reduced, False


class CachedUMAP:
    """What BERTopic sees as its `umap_model`: UMAP, but the layout comes from the cache when it can."""

    def __init__(self, key: str, n_neighbors: int, n_components: int, seed: int, on_done: Callable[[bool], None] | None = None):
        self.key, self.n_neighbors, self.n_components, self.seed = key, n_neighbors, n_components, seed
        self.on_done = on_done
        self.from_cache = False

    def fit_transform(self, X, y=None):
        reduced, self.from_cache = reduce(np.asarray(X), self.key, self.n_neighbors, self.n_components, self.seed)
        if self.on_done:
            self.on_done(self.from_cache)
        return reduced

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def transform(self, X):
        hit = UMAP_CACHE.get((self.key, self.n_neighbors, self.n_components, self.seed))
        if hit is None:
            raise RuntimeError("the UMAP layout is no longer cached; fit again")
        return hit[0].transform(X)


def map_2d(embeddings: np.ndarray, key: str, n_neighbors: int, n_components: int, seed: int) -> tuple[np.ndarray, str]:
    """2-D coordinates for the document map, and a sentence saying where they come from.

    With 2 components the map is exactly the space HDBSCAN clustered. Otherwise it is a second
    UMAP to 2-D with the same neighbours and seed (what BERTopic's visualize_documents does).
    """
    reduced, _ = reduce(embeddings, key, n_neighbors, 2, seed)  # the clustering layout itself when 2-D
    if n_components == 2:
        return reduced, "This map is the very 2-D space HDBSCAN clustered in."
    return reduced, (f"HDBSCAN clustered in {n_components} dimensions; this map is a separate 2-D UMAP of the same "
                     "embeddings (same neighbours and seed), so a few points may look closer to another colour than they are.")


# --- stage 3: cluster + c-TF-IDF ------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSettings:
    n_neighbors: int = 15
    n_components: int = 5
    min_cluster_size: int = 10
    nr_topics: int | None = None  # None: keep every cluster HDBSCAN found
    seed: int = 42


@dataclass
class TopicFit:
    """A fitted BERTopic model and what the lesson shows of it."""

    model: object  # bertopic.BERTopic
    docs: list[str]
    embeddings: np.ndarray
    settings: TopicSettings
    key: str
    topics: np.ndarray  # one topic id per document, -1 = noise
    ctfidf: dict[int, list[tuple[str, float]]]  # the plain c-TF-IDF words and scores per topic
    found_topics: int  # clusters HDBSCAN found, before any reduction
    umap_cached: bool
    seconds: dict[str, float] = field(default_factory=dict)
    representation: tuple[str, float] = ("c-TF-IDF", 0.0)
    words: dict[int, list[str]] = field(default_factory=dict)  # the current representation's words

    @property
    def outliers(self) -> int:
        return int((self.topics == -1).sum())

    def sizes(self) -> dict[int, int]:
        ids, counts = np.unique(self.topics, return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, counts)}


def make_vectorizer():
    """Word counts for c-TF-IDF; English stop words out, or "the" tops every topic."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english")


def function_embedder(encode: Callable[[list[str]], np.ndarray]):
    """A BERTopic embedding backend around any `texts -> embeddings` function (the lesson passes the
    hub's encoder through the embedding cache). MMR and KeyBERTInspired embed words and documents with it."""
    from bertopic.backend import BaseEmbedder

    class FunctionEmbedder(BaseEmbedder):
        def embed(self, documents, verbose: bool = False) -> np.ndarray:
            return np.asarray(encode(list(documents)))

    return FunctionEmbedder()


def fit_topics(docs: list[str], embeddings: np.ndarray, settings: TopicSettings,
               encode: Callable[[list[str]], np.ndarray], progress: Progress = _no_progress) -> TopicFit:
    """Run BERTopic's fit_transform on precomputed embeddings (cached per corpus and settings)."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    key = corpus_key(docs)
    ck = (key, settings)
    with _FIT_LOCK:
        hit = FIT_CACHE.get(ck)
        if hit is not None:
            return hit
        marks = {"start": time.perf_counter()}

        def umap_done(cached: bool) -> None:
            marks["umap"] = time.perf_counter()
            progress(0.75, "clustering with HDBSCAN and describing clusters with c-TF-IDF")

        progress(0.5, "reducing with UMAP")
        reducer = CachedUMAP(key, settings.n_neighbors, settings.n_components, settings.seed, on_done=umap_done)
        model = BERTopic(
            embedding_model=function_embedder(encode),
            umap_model=reducer,
            hdbscan_model=HDBSCAN(min_cluster_size=settings.min_cluster_size, metric="euclidean",
                                  cluster_selection_method="eom", prediction_data=True),
            vectorizer_model=make_vectorizer(),
            nr_topics=settings.nr_topics,
            top_n_words=TOP_N_WORDS,
        )
        topics, _ = model.fit_transform(docs, embeddings)
        FIT_COUNTS["hdbscan"] += 1
        end = time.perf_counter()
        labels = np.asarray(model.hdbscan_model.labels_)
        fit = TopicFit(
            model=model, docs=list(docs), embeddings=embeddings, settings=settings, key=key,
            topics=np.asarray(topics, dtype=int),
            ctfidf={int(t): [(w, float(s)) for w, s in model.get_topic(t)] for t in model.get_topics()},
            found_topics=len(set(labels.tolist()) - {-1}),
            umap_cached=reducer.from_cache,
            seconds={"umap": marks.get("umap", end) - marks["start"], "cluster": end - marks.get("umap", marks["start"])},
        )
        fit.words = {t: [w for w, _ in ws] for t, ws in fit.ctfidf.items()}
        FIT_CACHE.put(ck, fit)
        return fit


# --- stage 4: represent ---------------------------------------------------------------------------


def representation_model(name: str, diversity: float = 0.3, seed: int = 42):
    """None for plain c-TF-IDF, else the bertopic.representation model that re-ranks its words."""
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    name = representation_name(name)
    if name == "MMR":
        return MaximalMarginalRelevance(diversity=diversity, top_n_words=TOP_N_WORDS)
    if name == "KeyBERTInspired":
        return KeyBERTInspired(top_n_words=TOP_N_WORDS, random_state=seed)
    return None


def represent(fit: TopicFit, name: str, diversity: float = 0.3) -> dict[int, list[str]]:
    """Re-describe the fitted clusters with another representation; clusters are untouched.

    Calls `BERTopic.update_topics` on the fitted model (c-TF-IDF again, then the representation
    model), never UMAP or HDBSCAN.
    """
    name = representation_name(name)
    wanted = (name, round(float(diversity), 3) if name == "MMR" else 0.0)
    with _FIT_LOCK:
        if fit.representation == wanted:
            return fit.words
        start = time.perf_counter()
        before = list(fit.model.topics_)
        fit.model.update_topics(fit.docs, top_n_words=TOP_N_WORDS, vectorizer_model=make_vectorizer(),
                                representation_model=representation_model(name, diversity, fit.settings.seed))
        if list(fit.model.topics_) != before:  # update_topics only re-describes; anything else is a bug
            raise RuntimeError("the representation update changed the topic assignments")
        fit.words = {int(t): [w for w, _ in ws if w] for t, ws in fit.model.get_topics().items()}
        fit.representation = wanted
        fit.seconds["represent"] = time.perf_counter() - start
        return fit.words


# --- results --------------------------------------------------------------------------------------


def topics_json(fit: TopicFit, words: dict[int, list[str]] | None = None) -> dict:
    """The `topics` API's shape: topics (noise left out: it is counted in `outliers`), assignments.
    `words`: a representation's words taken earlier (the fit's current ones by default)."""
    sizes = fit.sizes()
    words = fit.words if words is None else words
    return {
        "topics": [{"id": t, "count": sizes.get(t, 0), "words": list(words.get(t, []))}
                   for t in sorted(words) if t != -1],
        "assignments": [int(t) for t in fit.topics],
        "outliers": fit.outliers,
    }


def label_agreement(topics: np.ndarray, labels: list) -> dict[str, float]:
    """ARI and NMI between topics and known labels; noise counts as one more group."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = [str(x) for x in labels]
    out = {"ari": float(adjusted_rand_score(labels, topics)), "nmi": float(normalized_mutual_info_score(labels, topics))}
    keep = topics != -1
    if keep.sum() >= 2:
        kept = [lab for lab, k in zip(labels, keep) if k]
        out["ari_clustered"] = float(adjusted_rand_score(kept, topics[keep]))
    return out


def representative_docs(fit: TopicFit, topic: int, n: int = 8) -> list[tuple[str, float]]:
    """The topic's documents nearest its centre in embedding space (cosine), best first.

    Noise (-1) has no centre worth the name; its documents come in corpus order with no score.
    """
    idx = np.flatnonzero(fit.topics == topic)
    if topic == -1 or len(idx) == 0:
        return [(fit.docs[i], float("nan")) for i in idx[:n]]
    emb = fit.embeddings[idx]
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    centre = emb.mean(axis=0)
    centre /= max(np.linalg.norm(centre), 1e-12)
    sims = emb @ centre
    order = np.argsort(-sims)[:n]
    return [(fit.docs[idx[i]], float(sims[i])) for i in order]
