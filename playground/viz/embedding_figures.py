"""Plotly figures for embedding maps: a 2-D / 3-D scatter with hover text, a query with lines to
its neighbours, a cosine heatmap, and a per-layer line for contextual vectors."""

from __future__ import annotations

import re
import textwrap
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

LABEL_PALETTE = qualitative.Plotly + qualitative.D3 + qualitative.Set3
# Clusters get other colours than labels, so "cluster 0" never looks like it means the first label.
CLUSTER_PALETTE = qualitative.Dark2[:7] + qualitative.Bold[:10] + [c for c in qualitative.Dark24 if c != "#222A2A"]
GREY = "#b0b0b0"
NEIGHBOUR_DASH = {2: "dot", 3: "solid"}  # how the lines from a query to its neighbours are drawn, by dims


def hover_text(text: str, width: int = 60, max_chars: int = 300) -> str:
    """Wrapped, shortened, HTML-safe text for a hover label."""
    short = text if len(text) <= max_chars else text[:max_chars] + " …"
    safe = short.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(textwrap.wrap(safe, width)) or "(empty)"


def short_label(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def group_order(groups: Sequence[str], clusters: bool) -> list[str]:
    """Legend order: labels as they first appear; clusters by number ("cluster 2" before "cluster 10"), noise last."""
    names = list(dict.fromkeys(groups))
    if not clusters:
        return names

    def key(name: str) -> tuple[bool, int, str]:
        number = re.search(r"\d+", name)
        return name.startswith("noise"), int(number.group()) if number else -1, name

    return sorted(names, key=key)


def _colour_map(order: Sequence[str], clusters: bool) -> dict[str, str]:
    palette = CLUSTER_PALETTE if clusters else LABEL_PALETTE
    coloured = [g for g in order if not g.startswith("noise")]
    return {g: palette[i % len(palette)] for i, g in enumerate(coloured)} | {g: GREY for g in order if g.startswith("noise")}


def embedding_scatter(
    points: np.ndarray,
    texts: Sequence[str],
    groups: Sequence[str] | None,
    *,
    title: str,
    query: tuple[np.ndarray, str] | None = None,
    neighbours: Sequence[tuple[int, float]] = (),
    clusters: bool = False,
) -> go.Figure:
    """One trace per group (so the legend toggles groups), a star for the query, lines to neighbours.
    `clusters`: the groups are cluster names (numbered, in their own palette), not the learner's labels."""
    dims = points.shape[1]
    three = dims == 3
    scatter = go.Scatter3d if three else go.Scatter
    groups = list(groups) if groups is not None else ["text"] * len(texts)
    order = group_order(groups, clusters)
    colours = _colour_map(order, clusters)
    fig = go.Figure()
    for g in order:
        idx = [i for i, x in enumerate(groups) if x == g]
        coords = {"x": points[idx, 0], "y": points[idx, 1]}
        if three:
            coords["z"] = points[idx, 2]
        fig.add_trace(scatter(
            **coords, mode="markers", name=short_label(g, 30), showlegend=len(order) > 1,
            marker={"size": 4 if three else 7, "color": colours[g], "opacity": 0.8,
                    "line": {"width": 0} if three else {"width": 0.5, "color": "white"}},
            text=[hover_text(texts[i]) for i in idx],
            customdata=[[i, g] for i in idx],
            hovertemplate="#%{customdata[0]} · %{customdata[1]}<br>%{text}<extra></extra>",
        ))
    if query is not None:
        qpoint, qtext = query
        xs, ys, zs = [], [], []
        for i, _ in neighbours:  # one polyline, broken by None between segments
            xs += [qpoint[0], points[i, 0], None]
            ys += [qpoint[1], points[i, 1], None]
            if three:
                zs += [qpoint[2], points[i, 2], None]
        line = {"x": xs, "y": ys, **({"z": zs} if three else {})}
        fig.add_trace(scatter(**line, mode="lines", name="to nearest neighbours", hoverinfo="skip",
                              line={"color": "black", "width": 2 if three else 1.5, "dash": NEIGHBOUR_DASH[dims]}))
        ring = {"x": points[[i for i, _ in neighbours], 0], "y": points[[i for i, _ in neighbours], 1]}
        if three:
            ring["z"] = points[[i for i, _ in neighbours], 2]
        fig.add_trace(scatter(
            **ring, mode="markers", name="nearest neighbours",
            marker={"size": 8 if three else 13, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "black"}},
            text=[f"{hover_text(texts[i])}<br>cosine {s:.3f}" for i, s in neighbours], hovertemplate="%{text}<extra></extra>",
        ))
        q = {"x": [qpoint[0]], "y": [qpoint[1]], **({"z": [qpoint[2]]} if three else {})}
        fig.add_trace(scatter(
            **q, mode="markers", name="your query",
            marker={"size": 9 if three else 18, "color": "black", "symbol": "diamond" if three else "star"},
            text=[hover_text(qtext)], hovertemplate="query: %{text}<extra></extra>",
        ))
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=620,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        # below the map, not beside it: on a phone a side legend leaves the map a sliver
        legend={"itemsizing": "constant", "orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
        plot_bgcolor="white",
    )
    if not three:
        fig.update_xaxes(showticklabels=False, zeroline=False, showgrid=True, gridcolor="#eee", title="")
        fig.update_yaxes(showticklabels=False, zeroline=False, showgrid=True, gridcolor="#eee", title="",
                         scaleanchor="x", scaleratio=1)
    return fig


def cosine_heatmap(matrix: np.ndarray, labels: Sequence[str], *, title: str) -> go.Figure:
    """Cosine similarity, first text at the top; full texts on hover."""
    n = len(labels)
    axis = [f"{i}: {short_label(t, 28)}" for i, t in enumerate(labels)]
    hover = [[f"{hover_text(labels[r], 50)}<br>vs<br>{hover_text(labels[c], 50)}" for c in range(n)] for r in range(n)]
    fig = go.Figure(go.Heatmap(
        z=np.asarray(matrix, dtype=np.float64), x=axis, y=axis, zmin=min(0.0, float(np.min(matrix))), zmax=1.0,
        colorscale="Viridis", text=hover, hovertemplate="%{text}<br>cosine %{z:.3f}<extra></extra>",
        colorbar={"title": {"text": "cosine"}, "thickness": 12},
    ))
    if n <= 12:  # few cells: print the numbers in them
        fig.data[0].update(texttemplate="%{z:.2f}", textfont={"size": 11})
    font = 11 if n <= 20 else 8 if n <= 40 else 7
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=int(min(900, max(420, 16 * n + 260))),
                      margin={"l": 10, "r": 10, "t": 50, "b": 10})
    fig.update_xaxes(type="category", tickangle=-50, tickfont={"size": font}, automargin=True)
    fig.update_yaxes(type="category", autorange="reversed", tickfont={"size": font}, automargin=True)
    return fig


def layer_line(values: Sequence[float], static_value: float, *, word: str) -> go.Figure:
    """Mean cosine between the word's vectors in different sentences, layer by layer."""
    layers = list(range(len(values)))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=layers, y=list(values), mode="lines+markers", name="hidden state of the word",
                             hovertemplate="layer %{x}: mean cosine %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=layers, y=[static_value] * len(layers), mode="lines", name="input embedding (table row)",
                             line={"dash": "dash"}, hovertemplate="input embedding: %{y:.3f}<extra></extra>"))
    fig.update_layout(title={"text": f"'{word}' in different sentences: mean cosine between its vectors", "font": {"size": 14}},
                      height=340, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis={"title": "layer (0 = input embedding + position, before any attention)", "dtick": 1},
                      yaxis={"title": "mean cosine", "range": [min(0.0, min(values) - 0.05), 1.02]})
    return fig
