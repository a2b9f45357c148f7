"""A bar chart of a next-token distribution, before and after the decoding settings.

Each candidate gets two bars: the model's own probability, and the probability after the
settings. Tokens the settings removed have a grey first bar and no second bar; the token that
was drawn is marked. Bars sit at rank positions, so two tokens that print alike stay apart.
"""

from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

KEPT = "#4C78A8"
REMOVED = "#C8C8C8"
AFTER = "#F58518"


def show_token(text: str) -> str:
    """Make whitespace visible: a leading space is how most words start in a BPE vocabulary."""
    return text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥") or "∅"


def bars_figure(
    candidates: Sequence,  # objects with .id .token .logit .prob_raw .prob, most probable first
    drawn_id: int | None,
    title: str,
    n: int = 20,
) -> go.Figure:
    shown = list(candidates)[:n]
    x = list(range(len(shown)))
    labels = [show_token(c.token) for c in shown]
    hover = [
        f"{show_token(c.token)!r} (id {c.id})<br>logit {c.logit:.2f}<br>model: {c.prob_raw:.2%}<br>"
        f"after settings: {c.prob:.2%}{'' if c.prob > 0 else ' (removed)'}"
        for c in shown
    ]
    fig = go.Figure()
    fig.add_bar(
        x=x, y=[c.prob_raw for c in shown], name="model's own probability",
        marker_color=[KEPT if c.prob > 0 else REMOVED for c in shown],
        hovertext=hover, hoverinfo="text",
    )
    fig.add_bar(
        x=x, y=[c.prob for c in shown], name="after your settings", marker_color=AFTER,
        hovertext=hover, hoverinfo="text",
    )
    # a legend entry for the grey bars, which have no trace of their own
    fig.add_bar(x=[None], y=[None], name="removed by top-k / top-p / min-p / greedy", marker_color=REMOVED)
    for i, c in enumerate(shown):
        if c.id == drawn_id:
            fig.add_annotation(
                x=i, y=max(c.prob, c.prob_raw), text="drawn", showarrow=True, arrowhead=2, ay=-30,
                font={"color": AFTER},
            )
    fig.update_layout(
        title=title, barmode="group", bargap=0.25, height=380, margin={"l": 50, "r": 20, "t": 60, "b": 80},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        yaxis={"title": "probability", "tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"tickmode": "array", "tickvals": x, "ticktext": labels, "tickangle": -45},
    )
    return fig
