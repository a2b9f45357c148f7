"""What the CLIP tab shows of each result: pure functions of the result, never of the model."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from playground.lessons.clip import figures as figs
from playground.lessons.clip.results import Classification, SearchResult, SimilarityMatrix
from playground.lessons.clip.samples import sample_path
from playground.lessons.clip.zero_shot import softmax, spread

VIEWS = ("cosine similarity", "softmax over captions (per image)", "softmax over images (per caption)")


def explain_classification(result: Classification | None) -> tuple[go.Figure | None, list[list] | None, str, Image.Image | None]:
    """Chart, table and the sentences that say how the cosines became probabilities."""
    if result is None or not result.zero_shot.labels:
        return None, None, "", None
    zs = result.zero_shot
    labels, probs, sims, scale = zs.labels, zs.probs, zs.similarities, zs.logit_scale
    order = sorted(range(len(labels)), key=lambda i: -probs[i])
    table = [[labels[i], round(sims[i], 4), round(scale * sims[i], 2), round(probs[i], 4)] for i in order]
    top = order[0]
    lines = [
        f"**Logit scale** = exp(model.logit_scale) = **{scale:.2f}**. "
        f"The cosines go from {min(sims):.4f} to {max(sims):.4f}, a spread of only {spread(sims):.4f}; "
        f"multiplied by {scale:.1f} that becomes a spread of {scale * spread(sims):.2f} in the logits, "
        f"and the softmax turns that into {probs[top]:.1%} for '{labels[top]}'.",
        f"The probabilities sum to {sum(probs):.4f}: the softmax always shares out 100% among *your* labels, "
        "even when none of them is in the picture. Compare the raw cosines to see how well any label fits.",
    ]
    if len(zs.templates) > 1:
        lines.append(
            f"Ensemble of {len(zs.templates)} templates: each label's {len(zs.templates)} prompt embeddings were "
            "normalised, averaged and normalised again (as in the CLIP paper)."
        )
    elif zs.templates:
        lines.append(f"Prompt: '{zs.templates[0].replace('{}', labels[top])}' (and the same for each label).")
    lines.append(f"Your image: {result.original}; the model sees the 224×224 centre crop shown on the left.")
    lines += [f"ℹ️ {n}" for n in result.notices]
    return figs.probability_bars(labels, probs, sims, scale), table, "\n\n".join(lines), result.view


def heatmap(result: SimilarityMatrix | None, view: str) -> tuple[go.Figure | None, str]:
    """The matrix as raw cosines, or softmaxed along rows (classification) or columns (search)."""
    if result is None or not result.images:
        return None, ""
    sims = np.asarray(result.similarities, dtype=np.float64)
    scale = float(result.logit_scale)
    if view == VIEWS[1]:
        values, fmt, note = softmax(scale * sims), ".0%", "Each row sums to 100%: this is zero-shot classification of each image among these captions."
        title, zmin, zmax = "softmax(scale × cosine) across each row", 0, 1
    elif view == VIEWS[2]:
        values, fmt, note = softmax(scale * sims.T).T, ".0%", "Each column sums to 100%: this is text-to-image search among these images."
        title, zmin, zmax = "softmax(scale × cosine) down each column", 0, 1
    else:
        values, fmt, note = sims, ".3f", (
            f"Raw cosines: they sit in a narrow band ({sims.min():.3f} to {sims.max():.3f}). With a trained model "
            "each image's own caption should be the brightest cell of its row. The softmax views multiply by "
            f"the logit scale ({scale:.1f}) first, which is what makes small differences decisive."
        )
        title, zmin, zmax = "cosine similarity (image · caption)", None, None
    fig = figs.similarity_heatmap(result.images, result.captions, values, title, fmt, zmin, zmax)
    notes = [note] + [f"ℹ️ {n}" for n in result.notices]
    return fig, "\n\n".join(notes)


def show_search(result: SearchResult | None) -> tuple[list[tuple[str, str]], go.Figure | None]:
    """The sample photos, most similar first, and their cosines as bars."""
    if result is None or not result.images:
        return [], None
    gallery = [
        (sample_path(n), f"#{i} {n} ({s:.3f})")
        for i, (n, s) in enumerate(zip(result.images, result.similarities), 1)
    ]
    return gallery, figs.search_bars(result.query, result.images, result.similarities)
