"""Plotly heatmaps of token × token (or layer × head) matrices, for any lesson that needs one.

Two habits every helper here keeps:
- Category labels must be unique, or plotly silently merges rows that share a label (two
  "the" tokens would become one row). `unique_labels` prefixes each token with its position.
- Attention is usually dominated by one or two big weights. `sqrt_colorscale` spaces the
  colour stops on a square-root curve, so small weights stay visible while the numbers
  (hover, colour bar) remain the true values.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

BASE_SCALE = "Blues"


def visible_token(token: str) -> str:
    """A token as it reads on an axis: newlines and tabs drawn, blank tokens made visible."""
    shown = token.replace("\n", "↵").replace("\t", "⇥").replace("\r", "")
    if shown.strip(" ") == "":
        shown = "␣" * max(len(shown), 1)
    return shown


def unique_labels(tokens: Sequence[str]) -> list[str]:
    """'position: token' for each token, so repeated tokens keep their own row and column."""
    return [f"{i}: {visible_token(t)}" for i, t in enumerate(tokens)]


def sqrt_colorscale(base: str = BASE_SCALE, steps: int = 11) -> list[list]:
    """A colour scale whose stops sit at (k/n)² so a weight of 0.04 already gets 20% colour."""
    fractions = [k / (steps - 1) for k in range(steps)]
    colours = sample_colorscale(base, fractions)
    return [[f * f, c] for f, c in zip(fractions, colours)]


def _axis_font(n: int) -> int:
    return 11 if n <= 24 else 9 if n <= 64 else 7


def heatmap_figure(
    z: np.ndarray,
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    *,
    title: str,
    x_title: str = "",
    y_title: str = "",
    hover: str = "%{y} → %{x}<br>%{z:.4f}",
    zmin: float = 0.0,
    zmax: float | None = 1.0,
    colorscale: str | list = "sqrt",
    colorbar_title: str = "",
    height: int | None = None,
) -> go.Figure:
    """One heatmap, first row at the top (the way a matrix is read)."""
    z = np.asarray(z, dtype=np.float32)
    scale = sqrt_colorscale() if colorscale == "sqrt" else colorscale
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(x_labels),
            y=list(y_labels),
            zmin=zmin,
            zmax=zmax,
            colorscale=scale,
            hovertemplate=hover + "<extra></extra>",
            colorbar={"title": {"text": colorbar_title}, "thickness": 12},
            xgap=0,
            ygap=0,
        )
    )
    n = max(len(x_labels), len(y_labels))
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height or int(min(950, max(480, 20 * n + 250))),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        plot_bgcolor="white",
    )
    fig.update_xaxes(title=x_title, type="category", tickangle=-60, tickfont={"size": _axis_font(len(x_labels))},
                     automargin=True, side="bottom")
    fig.update_yaxes(title=y_title, type="category", autorange="reversed", scaleanchor="x", constrain="domain",
                     tickfont={"size": _axis_font(len(y_labels))}, automargin=True)  # square cells
    fig.update_xaxes(constrain="domain")
    return fig


def heatmap_grid(
    matrices: Sequence[np.ndarray],
    titles: Sequence[str],
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    *,
    title: str,
    cols: int = 3,
    hover: str = "%{y} → %{x}<br>%{z:.4f}",
    zmax: float = 1.0,
    cell_height: int = 220,
) -> go.Figure:
    """Small multiples: one heatmap per matrix, sharing one colour bar, axis labels hidden."""
    rows = -(-len(matrices) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles),
                        horizontal_spacing=0.03, vertical_spacing=0.06 if rows > 2 else 0.1)
    for k, z in enumerate(matrices):
        fig.add_trace(
            go.Heatmap(
                z=np.asarray(z, dtype=np.float32),
                x=list(x_labels),
                y=list(y_labels),
                coloraxis="coloraxis",
                hovertemplate=f"{titles[k]}<br>{hover}<extra></extra>",
            ),
            row=k // cols + 1,
            col=k % cols + 1,
        )
    fig.update_xaxes(showticklabels=False, type="category")
    fig.update_yaxes(showticklabels=False, type="category", autorange="reversed")
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        coloraxis={"colorscale": sqrt_colorscale(), "cmin": 0, "cmax": zmax, "colorbar": {"thickness": 12}},
        height=rows * cell_height + 80,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        plot_bgcolor="white",
    )
    return fig


def score_grids(
    grids: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    title: str,
    row_name: str = "layer",
    col_name: str = "head",
    height: int | None = None,
) -> go.Figure:
    """Side-by-side rows × columns score maps (e.g. layer × head), each with its own colour bar
    below it, since each score has its own units."""
    n = len(grids)
    fig = make_subplots(rows=1, cols=n, subplot_titles=list(titles), horizontal_spacing=0.06)
    for k, z in enumerate(grids):
        z = np.asarray(z, dtype=np.float32)
        centre = (k + 0.5) / n
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=list(range(z.shape[1])),
                y=list(range(z.shape[0])),
                colorscale="Viridis",
                hovertemplate=f"{row_name} %{{y}}, {col_name} %{{x}}<br>{titles[k]}: %{{z:.3f}}<extra></extra>",
                colorbar={"orientation": "h", "x": centre, "y": -0.1, "yanchor": "top", "len": 0.9 / n,
                          "thickness": 10},
            ),
            row=1,
            col=k + 1,
        )
    layers = grids[0].shape[0] if n else 1
    fig.update_xaxes(title=col_name, dtick=1 if grids and grids[0].shape[1] <= 16 else None)
    fig.update_yaxes(autorange="reversed", dtick=1 if layers <= 12 else 2)
    fig.update_yaxes(title=row_name, row=1, col=1)
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=height or int(max(380, 18 * layers + 230)),
        margin={"l": 10, "r": 10, "t": 70, "b": 90},
    )
    return fig
