"""Plotly figures for the Topics lesson: the document map with noise set apart, and c-TF-IDF bars.

BERTopic draws the intertopic distance map and the hierarchy itself; these two are ours because
the lesson needs the noise counted on the map and the plain c-TF-IDF scores kept after a
representation change.
"""

from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

PALETTE = qualitative.Dark24 + qualitative.Light24
NOISE_COLOUR = "rgba(150,150,150,0.45)"


def _short(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return html.escape(text if len(text) <= n else text[: n - 1] + "…")


def topic_name(topic: int, words: list[str], n: int = 3) -> str:
    return "noise (-1)" if topic == -1 else f"{topic}: {', '.join(words[:n])}"


def document_map(coords: np.ndarray, topics: np.ndarray, docs: list[str], words: dict[int, list[str]],
                 title: str) -> go.Figure:
    """One dot per document, one colour per topic; HDBSCAN's noise drawn grey, behind, and counted."""
    fig = go.Figure()
    ids = sorted(set(int(t) for t in topics))
    for t in ids:  # -1 first, so the noise sits under the coloured points
        idx = np.flatnonzero(topics == t)
        noise = t == -1
        name = f"noise (-1): {len(idx)} docs" if noise else f"{topic_name(t, words.get(t, []))} ({len(idx)})"
        fig.add_trace(go.Scattergl(
            x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=name,
            marker=dict(size=5 if noise else 7, color=NOISE_COLOUR if noise else PALETTE[t % len(PALETTE)],
                        symbol="x" if noise else "circle"),
            text=[_short(docs[i]) for i in idx],
            hovertemplate=f"<b>{'noise' if noise else f'topic {t}'}</b><br>%{{text}}<extra></extra>",
        ))
    fig.update_layout(title=title, height=520, margin=dict(l=10, r=10, t=50, b=10), legend=dict(font=dict(size=10)),
                      xaxis=dict(showticklabels=False, title=None), yaxis=dict(showticklabels=False, title=None),
                      template="plotly_white")
    return fig


def ctfidf_bars(ctfidf: dict[int, list[tuple[str, float]]], sizes: dict[int, int], max_topics: int = 8,
                n_words: int = 6) -> go.Figure:
    """A small bar chart per topic (largest topics first) of its top c-TF-IDF words and scores."""
    chosen = sorted((t for t in ctfidf if t != -1), key=lambda t: -sizes.get(t, 0))[:max_topics]
    if not chosen:
        return message_figure("No topics to chart: every document is noise.")
    cols = min(4, len(chosen))
    rows = math.ceil(len(chosen) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"topic {t} ({sizes.get(t, 0)} docs)" for t in chosen],
                        horizontal_spacing=0.12, vertical_spacing=0.12 if rows > 1 else 0.2)
    for i, t in enumerate(chosen):
        pairs = [(w, s) for w, s in ctfidf[t] if w][:n_words][::-1]  # best at the top
        fig.add_trace(go.Bar(x=[s for _, s in pairs], y=[w for w, _ in pairs], orientation="h",
                             marker_color=PALETTE[t % len(PALETTE)], showlegend=False,
                             hovertemplate="%{y}: %{x:.3f}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=230 * rows + 60, margin=dict(l=10, r=10, t=60, b=10), template="plotly_white",
                      title="c-TF-IDF: how much more often a word occurs in this topic than in the corpus")
    return fig


def message_figure(text: str) -> go.Figure:
    """An empty figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=14))
    fig.update_layout(height=200, xaxis=dict(visible=False), yaxis=dict(visible=False), template="plotly_white",
                      margin=dict(l=10, r=10, t=10, b=10))
    return fig
