"""The poll's chart: the class's answers as bars, and once the teacher reveals it, the model's answer marked
beside them (for a next-token question, also the model's probability of each answer the class gave).

A student's answer is drawn as text only: it is HTML-escaped, because plotly reads a few tags in labels.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go

import playground.viz  # noqa: F401  (the projector-size plotly template)
from playground.classroom.answers import ModelAnswer, visible
from playground.classroom.rooms import NEXT_TOKEN

MAX_BARS = 12  # more answers than this fold into one "other answers" bar, so the labels stay readable
CLASS, MODEL, MODEL_ANSWER = "#4C78A8", "#F58518", "#59A14F"


def _label(text: str) -> str:
    return html.escape(text, quote=False)


def poll_figure(kind: str | None, counts: tuple[tuple[str, int], ...] | list, model: ModelAnswer | None) -> go.Figure:
    fig = go.Figure()
    given = sum(n for _, n in counts)
    if kind is None or (not counts and model is None):
        fig.add_annotation(text="No answers yet" if kind else "No question yet", showarrow=False,
                           font={"size": 20}, x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_layout(height=260, xaxis={"visible": False}, yaxis={"visible": False},
                          margin={"l": 10, "r": 10, "t": 10, "b": 10})
        return fig
    rows = list(counts[:MAX_BARS])
    rest = list(counts[MAX_BARS:])
    matched = model is not None and any(model.matches(label) for label, _ in rows)
    if model is not None and not matched and not any(model.matches(label) for label, _ in rest):
        rows.append((model.label, 0))  # nobody gave the model's answer: it still gets its (empty) bar
    elif model is not None and not matched:  # folded into "other": lift it out
        found = next((label, n) for label, n in rest if model.matches(label))
        rest.remove(found)
        rows.append(found)
    return (_next_token if kind == NEXT_TOKEN else _token_count)(fig, rows, rest, given, model)


def _next_token(fig: go.Figure, rows: list, rest: list, given: int, model: ModelAnswer | None) -> go.Figure:
    labels = [_label(label) for label, _ in rows]
    if model is not None:
        labels = [f"<b>{lab} ★</b>" if model.matches(label) else lab for lab, (label, _) in zip(labels, rows)]
    if rest:
        labels.append(f"({len(rest)} other answers)")
    shares = [100 * n / given if given else 0 for _, n in rows] + ([100 * sum(n for _, n in rest) / given] if rest else [])
    numbers = [n for _, n in rows] + ([sum(n for _, n in rest)] if rest else [])
    colours = [MODEL_ANSWER if model is not None and model.matches(label) else CLASS for label, _ in rows]
    fig.add_bar(y=labels, x=shares, orientation="h", name="the class (% of answers)", marker_color=colours + [CLASS] * bool(rest),
                text=[f"{n}" for n in numbers], textposition="auto", customdata=numbers,
                hovertemplate="%{y}: %{customdata} answers (%{x:.0f}%)<extra>the class</extra>")
    if model is not None:
        probs = [model.probability_of(label) for label, _ in rows]
        fig.add_bar(y=labels[: len(rows)], x=[100 * p if p is not None else 0 for p in probs], orientation="h",
                    name="SmolLM2's probability (%)", marker_color=MODEL,
                    text=[f"{100 * p:.1f}%" if p is not None else "not one token" for p in probs],
                    textposition="auto", hovertemplate="%{y}: the model gives %{x:.2f}%<extra>SmolLM2</extra>")
    top = max([*shares, *(100 * (model.probability_of(label) or 0) for label, _ in rows)] if model else shares, default=0)
    fig.update_layout(
        barmode="group", height=150 + 44 * len(labels) * (2 if model else 1) ** 0.5,
        xaxis={"title": {"text": "%"},  # the legend says of what: short enough for a phone
               "range": [0, min(100, top * 1.1 + 10)]},  # a small bar's number still fits beside it
        yaxis={"autorange": "reversed", "automargin": True, "ticksuffix": "  "},  # labels clear of the bars
        legend={"orientation": "h", "y": -0.2 if len(labels) > 3 else -0.35},
        margin={"l": 10, "r": 20, "t": 40 if model else 10, "b": 10},
    )
    if model is not None:
        fig.update_layout(title={"text": f"★ the model's answer: “{_label(visible(model.answer))}” "
                                         f"({model.probability:.0%})", "x": 0.01})
    return fig


def _token_count(fig: go.Figure, rows: list, rest: list, given: int, model: ModelAnswer | None) -> go.Figure:
    rows = sorted(rows + rest, key=lambda r: int(r[0]))  # a number line reads left to right; every answer shown
    labels = [label for label, _ in rows]
    colours = [MODEL_ANSWER if model is not None and model.matches(label) else CLASS for label in labels]
    fig.add_bar(x=labels, y=[n for _, n in rows], marker_color=colours, text=[str(n) for _, n in rows],
                textposition="outside", name="the class", hovertemplate="%{x} tokens: %{y} answers<extra></extra>")
    fig.update_layout(
        height=380, xaxis={"type": "category", "title": {"text": "tokens (the class's answers)"}},
        yaxis={"title": {"text": "answers"}, "rangemode": "tozero", "dtick": max(1, round(max(n for _, n in rows) / 6))},
        margin={"l": 10, "r": 10, "t": 40 if model else 10, "b": 10}, showlegend=False,
    )
    if model is not None:
        fig.add_annotation(x=model.label, y=max(n for _, n in rows), text=f"SmolLM2: {model.label} ★", showarrow=True,
                           arrowhead=2, ay=-30, yshift=10)
        fig.update_layout(title={"text": f"★ the tokenizer's answer: {model.label} tokens", "x": 0.01})
    return fig
