"""Retrieval for the Grounding lesson: a knowledge base of short passages, searched densely
with the hub's sentence model, with BM25 as a hybrid option.

Dense: every passage and the question are embedded with all-MiniLM-L6-v2
(`normalize_embeddings=True`), so the score is the cosine similarity, in [-1, 1].

Hybrid: `alpha * cosine + (1 - alpha) * lexical`, with alpha = 0.5 and
`lexical = min(1, bm25 / sum(idf of the question's words))`. The denominator is the BM25 score
of a passage of average length that holds every question word once, so lexical is an absolute
number in [0, 1], not a rank: a question whose words the knowledge base never uses scores near 0
(a word absent from the knowledge base counts with the largest idf, as a missed rare word).
That keeps the hybrid score comparable across questions, so the abstain threshold can be set
on it. BM25 rewards rare exact words (names, titles, numbers) that a small sentence model blurs;
the cosine keeps paraphrases. On the built-in questions, dense alone puts the gold passage in
the top 3 for 9 of 12 questions; hybrid for 12 of 12 (tests/test_grounding.py pins >= 90%).

Passage embeddings are cached by a hash of each passage's text: editing one line of the
knowledge base re-embeds only that line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.lru import BoundedLRU
from playground.models.embedding_cache import encode_cached

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "grounding"
KB_FILE = ASSETS / "knowledge_base.txt"

MAX_PASSAGES = 500
MAX_PASSAGE_CHARS = 1000
HYBRID_ALPHA = 0.5  # weight of the cosine in the hybrid score (see module docstring)
DEFAULT_MODE = "hybrid"
MODES = ("dense", "hybrid")

_STOPWORDS = frozenset(
    """a an the of on in at to for from by with and or but is are was were be been being it its
    this that these those what which who whom whose when where why how do does did has have had
    there their they them he she his her you your we our i me my as into than then so not no
    can could will would should may might about also only very most more much many""".split()
)
_WORD = re.compile(r"[a-z0-9]+")


class KnowledgeBaseError(ValueError):
    """The knowledge base text cannot be used; the message says why in plain words."""


@dataclass(frozen=True)
class Hit:
    id: int  # 0-based line of the passage in the knowledge base
    text: str
    score: float  # the ranking score: cosine (dense) or the hybrid mix
    cosine: float
    bm25: float  # raw BM25 score (0 in dense mode)


def builtin_text() -> str:
    return KB_FILE.read_text(encoding="utf-8")


def parse_passages(text: str | None) -> list[str]:
    """One passage per non-blank line. Raises KnowledgeBaseError when empty or too big."""
    lines = [line.strip() for line in (text or "").splitlines()]
    passages = [line for line in lines if line]
    if not passages:
        raise KnowledgeBaseError(
            "The knowledge base is empty. Type some passages (one per line), upload a .txt file, "
            "or click 'Restore the built-in knowledge base'."
        )
    if len(passages) > MAX_PASSAGES:
        raise KnowledgeBaseError(
            f"The knowledge base has {len(passages):,} passages; this lesson handles at most {MAX_PASSAGES}."
        )
    for i, p in enumerate(passages):
        if len(p) > MAX_PASSAGE_CHARS:
            raise KnowledgeBaseError(
                f"Passage {i} is {len(p):,} characters long; keep each passage under {MAX_PASSAGE_CHARS} "
                "characters (split long text into one fact per line)."
            )
    return passages


def builtin_passages() -> list[str]:
    return parse_passages(builtin_text())


def words(text: str) -> list[str]:
    """Lower-case content words and numbers ("1,412" -> "1412"), stopwords dropped."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    return [w for w in _WORD.findall(text) if w not in _STOPWORDS]


# --- dense embeddings, from the shared sentence-embedding cache --------------------------------------

ENCODER_KEY = "all-minilm-l6-v2"  # the only sentence model this lesson retrieves with


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _unit(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    return (vecs / np.where(norms == 0, 1, norms)).astype(np.float32)


def embed(st_model, texts: list[str]) -> np.ndarray:
    """Unit-length MiniLM embeddings (rows), from the cache the Embeddings and Topics lessons share."""
    return _unit(encode_cached(st_model, ENCODER_KEY, texts))


def embed_query(st_model, text: str) -> np.ndarray:
    """Questions and answers are not cached (they change with every call)."""
    return np.asarray(st_model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)[0], np.float32)


# --- BM25, cached per knowledge base -------------------------------------------------------------

_bm25: BoundedLRU[object] = BoundedLRU(16)


def _bm25_index(passages: list[str]):
    from rank_bm25 import BM25Okapi

    # rank_bm25 breaks on an empty document, so an all-stopword line gets a placeholder token.
    return _bm25.get_or_compute(_key("\n".join(passages)), lambda: BM25Okapi([words(p) or ["_"] for p in passages]))


def bm25_scores(passages: list[str], question: str) -> tuple[np.ndarray, np.ndarray]:
    """(raw BM25 per passage, lexical score in [0, 1] per passage); see the module docstring."""
    index = _bm25_index(passages)
    terms = words(question)
    raw = np.asarray(index.get_scores(terms), dtype=np.float64)
    rarest = max(index.idf.values()) if index.idf else 1.0
    bound = sum(index.idf.get(t, rarest) for t in terms)
    lexical = np.minimum(1.0, raw / bound) if bound > 0 else np.zeros_like(raw)
    return raw, lexical


def retrieve(st_model, passages: list[str], question: str, k: int, mode: str = "hybrid") -> list[Hit]:
    """The k best passages for the question, best first."""
    if mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}")
    cosine = (embed(st_model, passages) @ embed_query(st_model, question)).astype(np.float64)
    if mode == "hybrid":
        raw, lexical = bm25_scores(passages, question)
        score = HYBRID_ALPHA * cosine + (1 - HYBRID_ALPHA) * lexical
    else:
        raw, score = np.zeros(len(passages)), cosine
    order = np.argsort(-score, kind="stable")[: max(0, k)]
    return [Hit(int(i), passages[i], float(score[i]), float(cosine[i]), float(raw[i])) for i in order]
