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
    # the legend below the map, not beside it: on a phone a side legend leaves the map a sliver
    fig.update_layout(title=title, height=560, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(font=dict(size=11), orientation="h", yanchor="top", y=-0.02, x=0),
                      xaxis=dict(showticklabels=False, title=None), yaxis=dict(showticklabels=False, title=None),
                      template="plotly_white")
    return fig


def ctfidf_bars(ctfidf: dict[int, list[tuple[str, float]]], sizes: dict[int, int], max_topics: int = 8,
                n_words: int = 6) -> go.Figure:
    """A small bar chart per topic (largest topics first) of its top c-TF-IDF words and scores."""
    chosen = sorted((t for t in ctfidf if t != -1), key=lambda t: -sizes.get(t, 0))[:max_topics]
    if not chosen:
        return message_figure("No topics to chart: every document is noise.")
    cols = min(3, len(chosen))  # three columns still leave a phone's column room for words and bars
    rows = math.ceil(len(chosen) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"topic {t} ({sizes.get(t, 0)})" for t in chosen],
                        horizontal_spacing=0.16, vertical_spacing=0.12 if rows > 1 else 0.2)
    for i, t in enumerate(chosen):
        pairs = [(w, s) for w, s in ctfidf[t] if w][:n_words][::-1]  # best at the top
        fig.add_trace(go.Bar(x=[s for _, s in pairs], y=[w for w, _ in pairs], orientation="h",
                             marker_color=PALETTE[t % len(PALETTE)], showlegend=False,
                             hovertemplate="%{y}: %{x:.3f}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(nticks=3)  # a few ticks stay level in a narrow column
    fig.update_annotations(font=dict(size=12))  # the subplot titles
    # no title: the plot's label says what the bars are, and a long title is cut on a phone
    fig.update_layout(height=210 * rows + 40, margin=dict(l=10, r=10, t=40, b=10), template="plotly_white")
    return fig


def message_figure(text: str) -> go.Figure:
    """An empty figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(size=14))
    fig.update_layout(height=200, xaxis=dict(visible=False), yaxis=dict(visible=False), template="plotly_white",
                      margin=dict(l=10, r=10, t=10, b=10))
    return fig


def fit_intertopic_map(fig: go.Figure, height: int = 560, pad: float = 0.15) -> go.Figure:
    """BERTopic's intertopic distance map with room for its circles.

    BERTopic pads each axis by 15% of the coordinates' own values, which is next to nothing when
    they lie near 0, so a circle at the edge is cut in half. Here each axis is padded by `pad` of
    the coordinates' spread (circles are at most 40 px across), and the cross and its D1 / D2
    labels move to the new centre."""
    topics = next((t for t in fig.data if t.marker is not None and t.marker.size is not None), None)
    if topics is None:
        return fig
    ranges = []
    for values in (topics.x, topics.y):
        v = np.asarray(values, dtype=float)
        spread = float(v.max() - v.min()) or 1.0
        ranges.append([float(v.min()) - pad * spread, float(v.max()) + pad * spread])
    (x0, x1), (y0, y1) = ranges
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    fig.update_xaxes(range=[x0, x1])
    fig.update_yaxes(range=[y0, y1])
    fig.update_layout(shapes=[dict(type="line", x0=cx, x1=cx, y0=y0, y1=y1, line=dict(color="#CFD8DC", width=2)),
                              dict(type="line", x0=x0, x1=x1, y0=cy, y1=cy, line=dict(color="#9E9E9E", width=2))],
                      annotations=[dict(x=x0, y=cy, text="D1", showarrow=False, yshift=10),
                                   dict(x=cx, y=y1, text="D2", showarrow=False, xshift=10)])
    topics.update(cliponaxis=False)  # a circle wider than the padding still shows whole
    fig.update_layout(width=None, autosize=True, height=height, margin=dict(l=10, r=10, t=60, b=10),
                      title=dict(font=dict(size=16)))
    return fig


def fit_hierarchy(fig: go.Figure, n_topics: int) -> go.Figure:
    """BERTopic's hierarchy (topics down the left, merge distance across) sized to its content:
    about 28 px a topic, the full width, and room for the merges at the largest distance."""
    right = max((max(t.x) for t in fig.data if t.x is not None and len(t.x)), default=1.0)
    fig.update_layout(width=None, autosize=True, height=140 + 28 * max(2, n_topics),
                      margin=dict(l=10, r=20, t=60, b=40), title=dict(font=dict(size=16)))
    fig.update_xaxes(range=[0, float(right) * 1.05])
    return fig
