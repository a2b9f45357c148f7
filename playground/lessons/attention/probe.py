"""A probe that finds heads with a job, on a sequence of random tokens repeated twice.

Random tokens carry no meaning, so any structure in the attention comes from position and
repetition alone:
- a previous-token head puts its weight on the token just before the query;
- an induction head, at a token in the second copy, looks at the token that followed the same
  token in the first copy (at position i - half + 1): the mechanism that lets a model continue
  a pattern it has seen once ("… Harry Potter … Harry" → "Potter").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.lessons.attention.weights import forward_attentions, token_texts, wrap
from playground.models import LoadedModel

DEFAULT_HALF = 30
DEFAULT_SEED = 0


@dataclass(frozen=True)
class ProbeResult:
    tokens: list[str]
    offset: int  # position of the first random token (after the tokenizer's special tokens)
    half: int  # length of one copy
    weights: np.ndarray  # (layers, heads, T, T)
    previous: np.ndarray  # (layers, heads) previous-token score
    induction: np.ndarray  # (layers, heads) induction score


def token_pool(tokenizer) -> np.ndarray:
    """Ordinary vocabulary ids: no special tokens, no added tokens, no BERT [unusedN] slots."""
    excluded = set(tokenizer.all_special_ids) | set(tokenizer.get_added_vocab().values())
    names = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return np.array([i for i, name in enumerate(names)
                     if i not in excluded and name is not None and not name.startswith("[unused")])


def probe_ids(tokenizer, half: int, seed: int) -> tuple[list[int], int]:
    """`half` distinct random tokens (seeded), repeated twice, wrapped in the tokenizer's own
    special tokens. Returns (ids, offset of the first random token)."""
    rng = np.random.default_rng(seed)
    chunk = [int(i) for i in rng.choice(token_pool(tokenizer), size=half, replace=False)]
    ids = wrap(tokenizer, chunk + chunk)
    return ids, ids.index(chunk[0])


def previous_token_scores(weights: np.ndarray, offset: int, half: int) -> np.ndarray:
    """Mean weight each head puts on position q-1, over the queries after the first random token."""
    q = np.arange(offset + 1, offset + 2 * half)
    return weights[:, :, q, q - 1].mean(axis=-1)


def induction_scores(weights: np.ndarray, offset: int, half: int) -> np.ndarray:
    """Mean weight each head puts on q-half+1 (the token after the earlier copy of token q), over
    the queries in the second copy that have such a token (all but its first)."""
    q = np.arange(offset + half + 1, offset + 2 * half)
    return weights[:, :, q, q - half + 1].mean(axis=-1)


def top_heads(scores: np.ndarray, k: int = 5) -> list[tuple[int, int, float]]:
    """The k best (layer, head, score), best first."""
    flat = np.argsort(scores, axis=None)[::-1][:k]
    return [(int(i // scores.shape[1]), int(i % scores.shape[1]), float(scores.ravel()[i])) for i in flat]


def run_probe(loaded: LoadedModel, half: int = DEFAULT_HALF, seed: int = DEFAULT_SEED) -> ProbeResult:
    ids, offset = probe_ids(loaded.tokenizer, half, seed)
    weights = forward_attentions(loaded, ids)
    return ProbeResult(
        tokens=token_texts(loaded.tokenizer, ids),
        offset=offset,
        half=half,
        weights=weights,
        previous=previous_token_scores(weights, offset, half),
        induction=induction_scores(weights, offset, half),
    )
