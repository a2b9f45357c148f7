"""Retrieval on held-out pairs: each anchor searches every answer the lab has (the held-out positives and
the training ones as distractors) by cosine."""

from __future__ import annotations

import numpy as np


def ranks(anchors: np.ndarray, positives: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """1-based rank of each anchor's own positive (row i of `positives`) among all positives and the
    distractors `others` (ties count against it)."""
    a = anchors / np.maximum(np.linalg.norm(anchors, axis=1, keepdims=True), 1e-12)
    pool = positives if others is None or not len(others) else np.concatenate([positives, others])
    p = pool / np.maximum(np.linalg.norm(pool, axis=1, keepdims=True), 1e-12)
    sims = a @ p.T
    own = np.diag(sims)
    return (sims >= own[:, None]).sum(1)


def metrics(anchors: np.ndarray, positives: np.ndarray, others: np.ndarray | None = None) -> dict[str, float]:
    """Mean reciprocal rank and recall@1 (the share of anchors whose own positive comes first)."""
    r = ranks(anchors, positives, others)
    return {"mrr": float((1.0 / r).mean()), "recall_at_1": float((r == 1).mean())}
