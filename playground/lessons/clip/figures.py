"""Plotly figures for the CLIP tab: probability bars, the image × caption heatmap, search ranking."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

MAX_BARS = 25  # more labels than this: the chart shows the most probable ones, the table shows all


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def probability_bars(labels: Sequence[str], probs: Sequence[float], sims: Sequence[float], scale: float) -> go.Figure:
    """Horizontal bars, most probable on top; hovering shows the cosine and the logit behind each bar."""
    order = sorted(range(len(labels)), key=lambda i: -probs[i])[:MAX_BARS]
    order = order[::-1]  # plotly draws the first bar at the bottom
    fig = go.Figure(
        go.Bar(
            x=[probs[i] for i in order],
            y=[f"{_short(labels[i])} " for i in order],
            orientation="h",
            marker_color="#4C78A8",
            text=[f"{probs[i]:.1%}" for i in order],
            textposition="outside",
            cliponaxis=False,
            customdata=[[sims[i], scale * sims[i]] for i in order],
            hovertemplate="%{y}<br>probability %{x:.2%}<br>cosine %{customdata[0]:.4f}"
            "<br>logit = scale × cosine = %{customdata[1]:.2f}<extra></extra>",
        )
    )
    shown = "" if len(labels) <= MAX_BARS else f" (top {MAX_BARS} of {len(labels)})"
    fig.update_layout(
        title=f"Softmax probabilities{shown}: they sum to {sum(probs):.3f}",
        xaxis=dict(title="probability", range=[0, 1.12], tickformat=".0%"),
        yaxis=dict(automargin=True),
        height=max(260, 70 + 26 * len(order)),
        margin=dict(l=10, r=30, t=50, b=40),
    )
    return fig


def similarity_heatmap(
    images: Sequence[str], captions: Sequence[str], values: np.ndarray, title: str, fmt: str, zmin=None, zmax=None
) -> go.Figure:
    """Images as rows, captions as columns, each cell annotated with its value."""
    text = [[format(v, fmt) for v in row] for row in values]
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=[_short(c, 28) for c in captions],
            y=[_short(i, 28) for i in images],
            text=text,
            texttemplate="%{text}",
            colorscale="Viridis",
            zmin=zmin,
            zmax=zmax,
            hovertemplate="image %{y}<br>caption %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis=dict(side="top", tickangle=-30, automargin=True),
        yaxis=dict(autorange="reversed", automargin=True),
        height=max(320, 140 + 42 * len(images)),
        margin=dict(l=10, r=10, t=110, b=10),
    )
    return fig


def search_bars(query: str, names: Sequence[str], sims: Sequence[float]) -> go.Figure:
    """The images ranked by cosine with the query, best on top."""
    names, sims = list(names)[::-1], list(sims)[::-1]
    fig = go.Figure(
        go.Bar(x=sims, y=[f"{n} " for n in names], orientation="h", marker_color="#F58518",
               text=[f"{s:.3f}" for s in sims], textposition="outside", cliponaxis=False,
               hovertemplate="%{y}<br>cosine %{x:.4f}<extra></extra>")
    )
    # Room on both sides for the numbers printed beyond each bar's end (cosines can be negative).
    lo, hi = (min(0.0, min(sims)), max(0.0, max(sims))) if sims else (0.0, 1.0)
    pad = 0.18 * (hi - lo or 1.0)
    lo, hi = (lo - pad if lo < 0 else lo), hi + pad
    fig.update_layout(
        title=f"Cosine similarity with '{_short(query, 50)}'",
        xaxis=dict(title="cosine similarity", range=[lo, hi]),
        yaxis=dict(automargin=True),
        height=max(260, 70 + 26 * len(names)),
        margin=dict(l=10, r=30, t=50, b=40),
    )
    return fig
