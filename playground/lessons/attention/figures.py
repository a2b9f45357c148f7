"""The Attention lesson's figures, built from numbers already computed (no model runs here)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.lessons.attention.probe import ProbeResult, top_heads
from playground.lessons.attention.weights import Attentions, head_summary
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


# --- the lines view (BertViz's picture: tokens on both sides, a line for each look) ----------------

LINES_MIN_WEIGHT = 0.02  # lighter looks are not drawn: hundreds of faint lines hide the pattern
LINES_MAX_TOKENS = 64  # a longer text shows a window of this many tokens around the picked one
LINE_BINS = (0.02, 0.05, 0.15, 0.35, 0.6, 1.01)  # weight bands, one plotly trace each


def lines_window(n_tokens: int, focus: int, size: int = LINES_MAX_TOKENS) -> tuple[int, int]:
    """[start, end) of the tokens drawn: all of them, or `size` tokens with the picked one inside."""
    if n_tokens <= size:
        return 0, n_tokens
    start = min(max(focus - (3 * size) // 4, 0), n_tokens - size)
    return start, start + size


def attention_lines(matrix: np.ndarray, start: int, end: int, min_weight: float = LINES_MIN_WEIGHT):
    """(query, key, weight) for every look of at least `min_weight` inside the window, heaviest first."""
    sub = matrix[start:end, start:end]
    qs, ks = np.nonzero(sub >= min_weight)
    found = [(int(q) + start, int(k) + start, float(sub[q, k])) for q, k in zip(qs, ks)]
    return sorted(found, key=lambda t: -t[2])


def lines_figure(att: Attentions, layer: int, head: int, focus: int) -> go.Figure:
    """Each token twice, as the one looking (left) and the one looked at (right); a line for every
    look of at least 2%, darker and thicker with its weight. The picked token's lines are orange."""
    labels = unique_labels(att.tokens)
    matrix = att.head(layer, head)
    start, end = lines_window(len(labels), focus)
    lines = attention_lines(matrix, start, end)
    y = {i: -(i - start) for i in range(start, end)}  # top to bottom in reading order
    fig = go.Figure()
    for lo, hi in zip(LINE_BINS, LINE_BINS[1:]):
        for picked in (False, True):
            band = [(q, k, w) for q, k, w in lines if lo <= w < hi and (q == focus) == picked]
            if not band:
                continue
            xs, ys = [], []
            for q, k, _ in band:
                xs += [0, 1, None]
                ys += [y[q], y[k], None]
            mid = (lo + min(hi, 1.0)) / 2
            fig.add_trace(go.Scatter(
                x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                line={"color": "#ff7f0e" if picked else "#1f77b4", "width": 1 + 7 * mid if picked else 0.5 + 4 * mid},
                opacity=min(1.0, 0.25 + mid) if picked else min(0.8, 0.1 + mid),
            ))
    shown = list(range(start, end))

    def hover(i: int) -> str:
        row = matrix[i]
        top = np.argsort(-row)[:3]
        return f"{labels[i]} looks at " + ", ".join(f"{labels[j]} ({row[j]:.0%})" for j in top)

    for x, pos in ((0, "middle left"), (1, "middle right")):
        fig.add_trace(go.Scatter(
            x=[x] * len(shown), y=[y[i] for i in shown], mode="markers+text", text=[labels[i] for i in shown],
            textposition=pos, showlegend=False, marker={"size": 6, "color": "#555"},
            textfont={"size": 11, "color": ["#ff7f0e" if i == focus else "#222" for i in shown]},
            hovertext=[hover(i) for i in shown], hoverinfo="text",
        ))
    drawn = sum(w for q, _, w in lines if q == focus)
    sub = (f"Lines under {LINES_MIN_WEIGHT:.0%} are not drawn; {labels[focus]}'s orange lines carry "
           f"{drawn:.0%} of its attention.")
    if (start, end) != (0, len(labels)):
        sub += f" Tokens {start}–{end - 1} of {len(labels)}: looks outside them are not drawn."
    fig.update_layout(
        title={"text": f"Who looks at whom · layer {layer} · {head_name(att, head)}<br><sup>{sub}</sup>",
               "font": {"size": 14}},
        height=max(320, 22 * (end - start) + 110), margin={"l": 10, "r": 10, "t": 70, "b": 10},
        plot_bgcolor="white", hovermode="closest",
        xaxis={"range": [-0.9, 1.9], "visible": False, "fixedrange": True},
        yaxis={"visible": False, "range": [-(end - start) + 0.5, 0.8]},
    )
    fig.add_annotation(x=0, y=0.8, text="token (query)", showarrow=False, xanchor="right", font={"size": 11})
    fig.add_annotation(x=1, y=0.8, text="looks at (key)", showarrow=False, xanchor="left", font={"size": 11})
    return fig
