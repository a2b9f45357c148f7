"""The Attention lesson's figures, built from numbers already computed (no model runs here)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.lessons.attention_probe import ProbeResult, top_heads
from playground.lessons.attention_weights import Attentions, head_summary
from playground.viz.heatmap import heatmap_figure, heatmap_grid, score_grids, sqrt_colorscale, unique_labels

HOVER = "query %{y} looks at %{x}<br>weight %{z:.4f}"


def head_name(att: Attentions, head: int) -> str:
    return f"mean of {att.n_heads} heads" if head == -1 else f"head {head}"


def head_figure(att: Attentions, layer: int, head: int) -> go.Figure:
    labels = unique_labels(att.tokens)
    title = f"{att.model_key} · layer {layer} · {head_name(att, head)}"
    if att.causal:
        title += "<br><sup>Rows: the token that is looking. The blank upper-right triangle is the future: masked, weight 0.</sup>"
    else:
        title += "<br><sup>Rows: the token that is looking. An encoder has no mask: every token sees every other.</sup>"
    return heatmap_figure(att.head(layer, head), labels, labels, title=title, x_title="looks at (key)",
                          y_title="token (query)", hover=HOVER, colorbar_title="weight")


def layer_figure(att: Attentions, layer: int) -> go.Figure:
    labels = unique_labels(att.tokens)
    mats = [att.weights[layer, h] for h in range(att.n_heads)]
    cols = 3 if att.n_heads % 3 == 0 and att.n_heads <= 9 else 4
    return heatmap_grid(mats, [f"head {h}" for h in range(att.n_heads)], labels, labels,
                        title=f"Every head of layer {layer} (hover for tokens and weights)", cols=cols, hover=HOVER)


def summary_figure(att: Attentions) -> go.Figure:
    s = head_summary(att.weights)
    return score_grids(
        [s["entropy"], s["first"], s["previous"]],
        ["entropy (bits, low = focused)", "weight on the first token", "weight on the previous token"],
        title=f"Every layer × head of {att.model_key} on this text (hover for values)",
    )


def summary_pointers(att: Attentions) -> str:
    """Plain sentences that point at heads worth a look, all computed from this text."""
    if len(att.tokens) < 2:
        return "Only one token: every head can only look at it. Type a longer text."
    s = head_summary(att.weights)
    n = att.n_layers * att.n_heads
    (pl, ph, pv), = top_heads(s["previous"], 1)
    sink = s["first"] > 0.5
    # a sink is trivially focused; the interesting focused heads look somewhere else
    (fl, fh, fv), = top_heads(np.where(sink, -np.inf, -s["entropy"]) if not sink.all() else -s["entropy"], 1)
    sinks = int(sink.sum())
    first = att.tokens[0].strip() or att.tokens[0]
    return "\n".join([
        f"- **Previous-token head:** layer {pl}, head {ph} puts {pv:.0%} of its weight on the token just before.",
        f"- **Most focused head that is not a sink:** layer {fl}, head {fh} (entropy {-fv:.2f} bits: "
        f"it looks at about {2 ** -fv:.1f} tokens).",
        f"- **Attention sinks:** {sinks} of {n} heads put more than half their weight on the first token "
        f"(`{first}`), a common way for a head to 'do nothing'.",
    ])


def token_figure(att: Attentions, layer: int, head: int, focus: int) -> go.Figure:
    labels = unique_labels(att.tokens)
    row = att.head(layer, head)[focus]
    colours = ["#ff7f0e" if j == focus else "#1f77b4" for j in range(len(labels))]
    fig = go.Figure(go.Bar(x=labels, y=row, marker_color=colours,
                           hovertemplate="%{x}<br>weight %{y:.4f}<extra></extra>"))
    best = int(np.argmax(row))
    sub = f"Most of its attention goes to {labels[best]} ({row[best]:.0%})."
    if att.causal and focus < len(labels) - 1:
        sub += " Bars after it are zero: a decoder cannot look ahead."
    fig.update_layout(
        title={"text": f"Where {labels[focus]} looks · layer {layer} · {head_name(att, head)}<br><sup>{sub}</sup>",
               "font": {"size": 14}},
        height=380, margin={"l": 10, "r": 10, "t": 60, "b": 10}, yaxis={"range": [0, 1], "title": "weight"},
    )
    fig.update_xaxes(type="category", tickangle=-60, automargin=True,
                     tickfont={"size": 11 if len(labels) <= 24 else 8})
    return fig


def probe_scores_figure(res: ProbeResult, model_key: str) -> go.Figure:
    return score_grids([res.previous, res.induction], ["previous-token score", "induction score"],
                       title=f"Probe scores for every layer × head of {model_key}")


def probe_patterns_figure(res: ProbeResult) -> go.Figure:
    """The best previous-token head and the best induction head on the probe sequence."""
    labels = unique_labels(res.tokens)
    (pl, ph, _), = top_heads(res.previous, 1)
    (il, ih, _), = top_heads(res.induction, 1)
    titles = [f"previous-token head: layer {pl}, head {ph}", f"induction head: layer {il}, head {ih}"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.05)
    for k, (layer, head) in enumerate([(pl, ph), (il, ih)]):
        fig.add_trace(go.Heatmap(z=res.weights[layer, head], x=labels, y=labels, coloraxis="coloraxis",
                                 hovertemplate=f"{titles[k]}<br>{HOVER}<extra></extra>"), row=1, col=k + 1)
    fig.update_xaxes(showticklabels=False, type="category")
    fig.update_yaxes(showticklabels=False, type="category", autorange="reversed")
    fig.update_layout(
        title={"text": "Their attention on the repeated sequence: a line just below the diagonal (previous token); "
                       "in the second half, a line shifted back by one copy, plus one (induction)",
               "font": {"size": 13}},
        coloraxis={"colorscale": sqrt_colorscale(), "cmin": 0, "cmax": 1, "colorbar": {"thickness": 12}},
        height=480, margin={"l": 10, "r": 10, "t": 80, "b": 10}, plot_bgcolor="white",
    )
    return fig


def probe_report(res: ProbeResult, model_key: str, k: int = 5) -> str:
    def table(scores: np.ndarray) -> str:
        rows = ["| rank | layer | head | score |", "| ---: | ---: | ---: | ---: |"]
        rows += [f"| {r} | {l} | {h} | {s:.3f} |" for r, (l, h, s) in enumerate(top_heads(scores, k), 1)]
        return "\n".join(rows)

    (il, ih, iv), = top_heads(res.induction, 1)
    median = float(np.median(res.induction))
    verdict = "" if iv >= 0.2 else " No head stands out: this model shows no clear induction head on this sequence."
    return (
        f"{res.half} random tokens, repeated once ({len(res.tokens)} tokens in all) through {model_key}.\n\n"
        f"The top induction head is **layer {il}, head {ih}**: in the second copy it puts {iv:.0%} of its weight "
        f"on the token that followed the earlier copy of the current token; the median head puts {median:.1%} "
        f"there.{verdict}\n\n"
        f"**Top previous-token heads**\n\n{table(res.previous)}\n\n**Top induction heads**\n\n{table(res.induction)}"
    )
