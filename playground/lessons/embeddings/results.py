"""What the Embeddings tab computes: one result per button, each with the JSON its endpoint returns.

    similarity_result -> Similarity      ("Compare them", the `similarity` endpoint)
    map_result        -> EmbeddingMap    ("Draw the map", the `embed_map` endpoint)
    neighbours_result -> Neighbours      ("Search", the `neighbours` endpoint)

The tab keeps each result in one `gr.State`; its views read the result, never the text boxes, so
recolouring a map or searching it never re-reads (or re-embeds) what the learner has typed since.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.checks import UserInputError, check_int, check_text
from playground.lessons.embeddings.space import (
    METHODS,
    PROJECTIONS,
    Projection,
    cosine_matrix,
    min_texts,
    nearest,
    neighbour_overlap,
    texts_key,
    trustworthiness,
)
from playground.models import ModelHub
from playground.models.embedding_cache import embed_texts

KEY = "all-minilm-l6-v2"
MAX_MAP_TEXTS = 3_000  # UMAP / t-SNE on more than this takes minutes on a 2-core CPU
MAX_HEATMAP_TEXTS = 50
MAX_TOTAL_CHARS = 3_000_000
MAX_CHARS_PER_TEXT = 2_000
MAX_K = 50

# --- parsing what the learner typed ---------------------------------------------------------------


def parse_texts(texts: str, *, what: str = "texts", limit: int = MAX_MAP_TEXTS, minimum: int = 1) -> list[str]:
    """One text per non-blank line, stripped; a clear error when there are too few or too many."""
    text, cut = check_text(texts, max_chars=MAX_TOTAL_CHARS, what=f"list of {what}")
    if cut:
        raise UserInputError(f"The {what} are {len(texts):,} characters long; the limit is {MAX_TOTAL_CHARS:,}.")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < minimum:
        raise UserInputError(f"Give at least {minimum} {what}, one per line (you gave {len(lines)}).")
    if len(lines) > limit:
        raise UserInputError(
            f"This takes up to {limit:,} {what}, one per line; you gave {len(lines):,}. Keep the first {limit:,} "
            "(loading a corpus or a file here keeps them for you)."
        )
    too_long = [i for i, line in enumerate(lines) if len(line) > MAX_CHARS_PER_TEXT]
    if too_long:
        raise UserInputError(f"Line {too_long[0] + 1} is {len(lines[too_long[0]]):,} characters; keep each text under "
                             f"{MAX_CHARS_PER_TEXT:,} (the model reads only its first 256 tokens anyway).")
    return lines


def parse_labels(labels: str | None, n: int) -> list[str] | None:
    """One label per non-blank line, exactly one per text, or None when the box is empty."""
    if labels is None or not str(labels).strip():
        return None
    rows = [line.strip() for line in str(labels).splitlines() if line.strip()]
    if len(rows) != n:
        raise UserInputError(f"There are {n:,} texts but {len(rows):,} labels. Give one label per text, in the same "
                             "order, or leave the labels empty.")
    return rows


# --- the results ----------------------------------------------------------------------------------


@dataclass
class Similarity:
    texts: list[str]
    matrix: np.ndarray  # (n, n) cosine similarity of the texts' sentence embeddings

    def as_json(self) -> dict:
        return {"matrix": self.matrix.tolist()}


@dataclass
class EmbeddingMap:
    texts: list[str]
    labels: list[str] | None
    key: str  # texts_key(texts): a search over the same texts can be drawn on this map
    vecs: np.ndarray  # (n, 384) sentence embeddings
    projection: Projection
    overlap: float  # k-NN overlap between the full space and the map
    trust: float | None  # sklearn's trustworthiness, None for very few texts

    def as_json(self) -> dict:
        return {
            "points": self.projection.points.tolist(),
            "labels": self.labels if self.labels is not None else [""] * len(self.texts),
            "neighbour_overlap": round(self.overlap, 6),
        }


@dataclass
class Neighbours:
    texts: list[str]
    key: str  # texts_key(texts)
    query: str
    query_vec: np.ndarray  # (384,)
    found: list[tuple[int, float]]  # (index into texts, cosine), best first

    def as_json(self) -> dict:
        return {"neighbours": [{"index": i, "text": self.texts[i], "score": s} for i, s in self.found]}


def similarity_result(hub: ModelHub, texts: str) -> Similarity:
    """Cosine similarities of up to 50 texts' sentence embeddings."""
    lines = parse_texts(texts, limit=MAX_HEATMAP_TEXTS, minimum=2)
    return Similarity(lines, cosine_matrix(embed_texts(hub, lines, KEY)))


def map_result(hub: ModelHub, texts: str, labels: str, method: str, dims: int, progress=None) -> EmbeddingMap:
    """The texts embedded and projected by `method` to `dims`, with how well the map keeps neighbourhoods."""
    if method not in METHODS:
        raise UserInputError(f"Choose a projection: {', '.join(METHODS)} (got {method!r}).")
    dims = check_int(dims, low=2, high=3, what="Dimensions")
    lines = parse_texts(texts, minimum=min_texts(method, dims))
    tags = parse_labels(labels, len(lines))
    vecs = embed_texts(hub, lines, KEY, progress=_scaled(progress, 0.0, 0.5))
    if progress is not None:
        first = method == "UMAP" and "UMAP" not in PROJECTIONS.methods_fitted
        progress(0.55, desc=f"fitting {method} in {dims}-D" + (" (its first run compiles code: tens of seconds, once)" if first else ""))
    key = texts_key(lines)
    proj = PROJECTIONS.get(key, vecs, method, dims)
    if progress is not None:
        progress(0.95, desc="comparing neighbourhoods on the map with those in the full space")
    return EmbeddingMap(lines, tags, key, vecs, proj, neighbour_overlap(vecs, proj.points),
                        trustworthiness(vecs, proj.points))


def neighbours_result(hub: ModelHub, texts: str, query: str, k: int) -> Neighbours:
    """The k texts nearest the query, by cosine in the full space, best first."""
    lines = parse_texts(texts)
    query, _ = check_text(query, max_chars=MAX_CHARS_PER_TEXT, what="query")
    k = check_int(k, low=1, high=MAX_K, what="k")
    query = query.strip()
    vecs = embed_texts(hub, lines + [query], KEY)
    return Neighbours(lines, texts_key(lines), query, vecs[-1], nearest(vecs[:-1], vecs[-1], min(k, len(lines))))


# --- the endpoints' JSON, for Python callers --------------------------------------------------------


def similarity(hub: ModelHub, texts: str) -> dict:
    """{"matrix": cosine similarities of the texts' sentence embeddings} (up to 50 texts)."""
    return similarity_result(hub, texts).as_json()


def embed_map(hub: ModelHub, texts: str, labels: str, method: str, dims: int, progress=None) -> dict:
    """{"points", "labels", "neighbour_overlap"} for the texts projected by `method` to `dims`."""
    return map_result(hub, texts, labels, method, dims, progress).as_json()


def neighbours(hub: ModelHub, texts: str, query: str, k: int) -> dict:
    """{"neighbours": [{"index", "text", "score"}]}: the k texts nearest the query, by cosine, best first."""
    return neighbours_result(hub, texts, query, k).as_json()


def _scaled(progress, start: float, end: float):
    if progress is None:
        return None
    return lambda f, desc="": progress(start + (end - start) * f, desc=desc)
