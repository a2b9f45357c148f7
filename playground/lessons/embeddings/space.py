"""The maths of the Embeddings lesson: cosine similarity, nearest neighbours, projections to 2-D or
3-D, how well a projection keeps neighbourhoods, and clusterings in the full embedding space.

All pure functions on numpy arrays; the only state is a small cache of fitted projections, keyed
by (hash of the texts, method, dims, seed), so recolouring or searching never refits.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.lru import BoundedLRU

METHODS = ("UMAP", "PCA", "t-SNE")
SEED = 42
OVERLAP_K = 10  # neighbours compared by the neighbourhood-preservation scores


def unit(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def cosine_matrix(vecs: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row with every row (float64 for a clean diagonal)."""
    u = unit(vecs.astype(np.float64))
    return u @ u.T


def nearest(vecs: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k rows most similar to `query` by cosine, best first; ties keep the earlier row first."""
    scores = unit(vecs.astype(np.float64)) @ unit(query.astype(np.float64))
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]  # stable: by score, then by index
    return [(int(i), float(scores[i])) for i in order]


# --- neighbourhood preservation -------------------------------------------------------------------


def knn_indices(points: np.ndarray, k: int, cosine: bool) -> np.ndarray:
    """Each row's k nearest other rows (by cosine in the embedding space, Euclidean on the map)."""
    if cosine:
        dist = 1.0 - cosine_matrix(points)
    else:
        sq = (points.astype(np.float64) ** 2).sum(1)
        dist = sq[:, None] + sq[None, :] - 2.0 * points.astype(np.float64) @ points.T.astype(np.float64)
    np.fill_diagonal(dist, np.inf)
    return np.argsort(dist, axis=1, kind="stable")[:, :k]


def neighbour_overlap(vecs: np.ndarray, points: np.ndarray, k: int = OVERLAP_K) -> float:
    """Mean share of each text's k nearest neighbours in the embedding space that are also among
    its k nearest on the map: 1.0 keeps every neighbourhood, about k/n is no better than chance."""
    n = len(vecs)
    k = min(k, n - 1)
    if k < 1:
        return 1.0
    high, low = knn_indices(vecs, k, cosine=True), knn_indices(points, k, cosine=False)
    shared = [len(set(a) & set(b)) for a, b in zip(high.tolist(), low.tolist())]
    return float(np.mean(shared) / k)


def trustworthiness(vecs: np.ndarray, points: np.ndarray, k: int = OVERLAP_K) -> float | None:
    """sklearn's trustworthiness (are the map's neighbours real ones?), or None when n is too small."""
    from sklearn.manifold import trustworthiness as sk_trust

    k = min(k, (len(vecs) - 1) // 2 - 1)  # sklearn needs k < n / 2
    if k < 1:
        return None
    return float(sk_trust(vecs, points, n_neighbors=k, metric="cosine"))


# --- projections ----------------------------------------------------------------------------------


@dataclass
class Projection:
    method: str
    dims: int
    points: np.ndarray  # (n, dims) float64
    model: Any  # fitted PCA / UMAP with .transform, or None for t-SNE
    note: str = ""  # settings the learner should know about (perplexity, neighbours ...)

    def place(self, query: np.ndarray, neighbour_idx: list[int]) -> tuple[np.ndarray, str]:
        """Where a new vector lands on this map, and how that was decided (said to the learner)."""
        if self.model is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                point = np.asarray(self.model.transform(query[None, :].astype(np.float32)))[0]
            return point, f"The query is placed by {self.method}'s own transform of its vector."
        point = self.points[neighbour_idx].mean(axis=0)
        return point, ("t-SNE cannot place a new point without refitting the whole map, so the query is drawn "
                       "at the mean position of its nearest neighbours (an approximation, not a t-SNE result).")


def min_texts(method: str, dims: int) -> int:
    return dims + 2 if method != "PCA" else dims


def fit_projection(vecs: np.ndarray, method: str, dims: int, seed: int = SEED) -> Projection:
    """Fit one projection. UMAP and t-SNE use cosine distance, as sentence embeddings are compared."""
    n = len(vecs)
    x = vecs.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UMAP warns that a seed disables parallelism: we want the seed
        if method == "PCA":
            from sklearn.decomposition import PCA

            model = PCA(n_components=dims, random_state=seed).fit(x)
            explained = float(model.explained_variance_ratio_.sum())
            return Projection(method, dims, model.transform(x).astype(np.float64), model,
                              f"these {dims} directions keep {explained:.0%} of the variance")
        if method == "UMAP":
            import umap

            neighbours = max(2, min(15, n - 1))
            model = umap.UMAP(n_components=dims, n_neighbors=neighbours, metric="cosine", random_state=seed,
                              init="spectral" if n > dims + 10 else "random")
            points = model.fit_transform(x)
            return Projection(method, dims, np.asarray(points, dtype=np.float64), model,
                              f"n_neighbors={neighbours}, cosine distance")
        if method == "t-SNE":
            from sklearn.manifold import TSNE

            perplexity = float(max(1.0, min(30.0, (n - 1) / 3)))
            points = TSNE(n_components=dims, perplexity=perplexity, metric="cosine", init="pca",
                          random_state=seed).fit_transform(x)
            return Projection(method, dims, np.asarray(points, dtype=np.float64), None,
                              f"perplexity={perplexity:g}, cosine distance")
    raise ValueError(f"unknown projection method {method!r}; choose one of {', '.join(METHODS)}")


class ProjectionCache:
    """Fitted projections keyed by (hash of the texts, method, dims, seed); a few are kept."""

    def __init__(self, max_entries: int = 24):
        self._lru: BoundedLRU[Projection] = BoundedLRU(max_entries)
        self.methods_fitted: set[str] = set()  # UMAP's first fit in a process compiles numba code

    @property
    def fits(self) -> int:
        """How many projections were really fitted (tests read it)."""
        return self._lru.computed

    def clear(self) -> None:
        self._lru.clear()

    def get(self, texts_key: str, vecs: np.ndarray, method: str, dims: int, seed: int = SEED) -> Projection:
        def fit() -> Projection:
            proj = fit_projection(vecs, method, dims, seed)  # outside the cache's lock: fits take seconds
            self.methods_fitted.add(method)
            return proj

        return self._lru.get_or_compute((texts_key, method, dims, seed), fit)


PROJECTIONS = ProjectionCache()


def texts_key(texts: list[str]) -> str:
    """One hash for an ordered list of texts (the map depends on every text and their order)."""
    h = hashlib.sha256()
    for t in texts:
        h.update(hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest())
    return h.hexdigest()


# --- clusterings in the full space ----------------------------------------------------------------

CLUSTERINGS = ("label", "k-means", "HDBSCAN", "none")


def cluster(vecs: np.ndarray, how: str, n_clusters: int = 8, seed: int = SEED) -> list[str]:
    """Cluster names for each text, computed on the full-dimensional unit vectors (not the map)."""
    u = unit(vecs.astype(np.float64))  # unit length: Euclidean distance then orders like cosine
    if how == "k-means":
        from sklearn.cluster import KMeans

        k = max(1, min(n_clusters, len(u)))
        ids = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(u)
        return [f"cluster {i}" for i in ids]
    if how == "HDBSCAN":
        from sklearn.cluster import HDBSCAN

        size = max(2, min(10, len(u) // 20))
        ids = HDBSCAN(min_cluster_size=size).fit_predict(u)
        return ["noise (no cluster)" if i < 0 else f"cluster {i}" for i in ids]
    raise ValueError(f"unknown clustering {how!r}")


_CLUSTERS: BoundedLRU[list[str]] = BoundedLRU(16)


def cached_cluster(texts_key: str, vecs: np.ndarray, how: str, n_clusters: int) -> list[str]:
    """`cluster`, remembered per (texts, method, k): switching colours back and forth never refits."""
    key = (texts_key, how, n_clusters if how == "k-means" else 0)
    return _CLUSTERS.get_or_compute(key, lambda: cluster(vecs, how, n_clusters))
