"""The lesson's views, each a pure function of computed numbers: the budget as a stacked bar,
the request with what a strategy removed struck through, the cost of a longer context, and the
needle probe's heatmap."""

from __future__ import annotations

import html
from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.lessons.context.budget import Fitted, Request
from playground.lessons.context.cost import CostPoint

COLOURS = {"system": "#4C78A8", "history": "#72B7B2", "documents": "#F58518", "question": "#54A24B",
           "template": "#BAB0AC", "reserve": "#E45756"}
NAMES = {"system": "system prompt", "history": "chat history", "documents": "documents", "question": "question",
         "template": "template and layout", "reserve": "reserved for the answer"}


def budget_figure(f: Fitted, window: int, reserve: int) -> go.Figure:
    """Before and after the strategy: each part's tokens stacked, against the window."""
    fig = go.Figure()
    rows = ["as written", "after the strategy"] if f.before is not f.after else ["the request"]
    counts = [f.before, f.after] if f.before is not f.after else [f.before]
    for part in list(COLOURS):
        values = [reserve if part == "reserve" else c.parts[part] for c in counts]
        fig.add_bar(y=rows, x=values, name=f"{NAMES[part]}", orientation="h", marker_color=COLOURS[part],
                    hovertemplate=f"{NAMES[part]}: %{{x:,}} tokens<extra></extra>")
    fig.add_vline(x=window, line={"color": "black", "width": 3})
    fig.add_annotation(x=window, y=1.08, yref="paper", text=f"window: {window:,}", showarrow=False)
    fig.update_layout(barmode="stack", height=200 + 40 * len(rows), margin={"l": 120, "r": 20, "t": 40, "b": 40},
                      xaxis={"title": "tokens"}, legend={"orientation": "h", "y": -0.45}, yaxis={"autorange": "reversed"})
    return fig


def summary_md(f: Fitted, window: int, reserve: int) -> str:
    parts = " · ".join(f"{NAMES[p]} **{n:,}**" for p, n in f.before.parts.items())
    lines = [f"**{f.before.total:,} tokens** in the chat template ({parts}), plus **{reserve:,}** reserved for the "
             f"answer, against a window of **{window:,}**."]
    if not f.overflow:
        lines.append(f"It fits, with {f.budget - f.before.total:,} tokens to spare.")
    else:
        lines.append(f"It is **{f.overflow:,} tokens over** (window − reserve = {f.budget:,}).")
        if f.fits:
            lines.append(f"After the strategy: {f.after.total:,} tokens, {len(f.dropped)} piece(s) cut or dropped "
                         "(struck through below).")
        else:
            lines.append(f"Even after the strategy it is {f.after.total - f.budget:,} tokens over: this strategy cannot "
                         "remove enough (try another, or a shorter system prompt or question).")
    if "You are a helpful AI assistant named SmolLM" in f.before.text and not f.request.system:
        lines.append("With no system prompt, SmolLM2's template adds its own default one: those tokens count as "
                     "template.")
    return "\n\n".join(lines)


STYLE = ("<style>.cw-gone{background:hsla(0,75%,60%,0.30);text-decoration:line-through}"
         ".cw-part{margin:0.3em 0;white-space:pre-wrap}.cw-label{font-weight:600}</style>")


def dropped_html(original: Request, f: Fitted) -> str:
    """The request's history and documents, with every removed piece struck through in red."""
    if not f.dropped:
        return ""
    gone = {d["part"]: d["text"] for d in f.dropped}
    out = [STYLE]
    for i, (role, content) in enumerate(original.history, 1):
        label = f"history turn {i} ({role})"
        body = f"<span class='cw-gone'>{html.escape(content)}</span>" if label in gone else html.escape(content)
        out.append(f"<div class='cw-part'><span class='cw-label'>{label}:</span> {body}</div>")
    for i, doc in enumerate(original.documents, 1):
        body = html.escape(doc)
        for key, how in ((f"document {i}", "all"), (f"document {i} (end)", "end"), (f"document {i} (middle)", "mid")):
            if key not in gone:
                continue
            piece = gone[key]
            at = doc.find(piece.strip()) if how != "all" else 0
            if how == "all" or at < 0:
                body = f"<span class='cw-gone'>{html.escape(doc)}</span>"
            else:
                stripped = piece.strip()
                body = (html.escape(doc[:at]) + f"<span class='cw-gone'>{html.escape(stripped)}</span>"
                        + html.escape(doc[at + len(stripped):]))
        out.append(f"<div class='cw-part'><span class='cw-label'>document {i}:</span> {body}</div>")
    return "".join(out)


def cost_figure(points: Sequence[CostPoint]) -> go.Figure:
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.09,
                        subplot_titles=["KV cache memory (MB)", "reading the prompt (s)", "one new token (ms)"])
    xs = [p.length for p in points]
    fig.add_scatter(x=xs, y=[p.formula_bytes / 1e6 for p in points], mode="lines", name="formula",
                    line={"color": "#4C78A8"}, row=1, col=1)
    fig.add_scatter(x=xs, y=[p.measured_bytes / 1e6 for p in points], mode="markers", name="measured cache",
                    marker={"color": "#F58518", "size": 10}, row=1, col=1)
    fig.add_scatter(x=xs, y=[p.prefill_s for p in points], mode="lines+markers", name="prefill, whole prompt",
                    line={"color": "#54A24B"}, row=1, col=2)
    fig.add_scatter(x=xs, y=[p.decode_ms for p in points], mode="lines+markers", name="decode, one token",
                    line={"color": "#E45756"}, row=1, col=3)
    fig.update_xaxes(title_text="context (tokens)")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(height=360, margin={"l": 50, "r": 20, "t": 50, "b": 50}, legend={"orientation": "h", "y": -0.3})
    return fig


def cost_md(points: Sequence[CostPoint], per_token: int) -> str:
    lines = [f"**Per token:** 2 × layers × key/value heads × head size × bytes = **{per_token:,} bytes** "
             f"({per_token / 1024:.0f} KiB), for every token of the context.", "",
             "| tokens | formula | measured cache | prefill | one new token |", "|---:|---:|---:|---:|---:|"]
    for p in points:
        lines.append(f"| {p.length:,} | {p.formula_bytes / 1e6:.1f} MB | {p.measured_bytes / 1e6:.1f} MB | "
                     f"{p.prefill_s:.2f} s | {p.decode_ms:.0f} ms |")
    if len(points) >= 2:
        a, b = points[0], points[-1]
        lines.append(f"\nFrom {a.length:,} to {b.length:,} tokens the cache grows {b.measured_bytes / a.measured_bytes:.0f}×"
                     f" and a new token costs {b.decode_ms / a.decode_ms:.1f}× as long: the extra is attention reading "
                     "the longer cache.")
    return "\n".join(lines)


def needle_figure(cells: Sequence) -> go.Figure:
    lengths = sorted({c.length for c in cells})
    depths = sorted({c.depth for c in cells})
    z = [[next((c.answer_prob for c in cells if c.length == n and c.depth == d), None) for n in lengths] for d in depths]
    fig = go.Figure(go.Heatmap(z=z, x=[f"{n:,}" for n in lengths], y=[f"{d:.0%}" for d in depths], zmin=0, zmax=1,
                               colorscale="RdYlGn", colorbar={"title": "p(answer)"},
                               text=[[f"{v:.2f}" if v is not None else "" for v in row] for row in z],
                               texttemplate="%{text}",
                               hovertemplate="%{x} tokens, needle at %{y}: p = %{z:.3f}<extra></extra>"))
    fig.update_layout(title="How likely the model is to give the hidden fact", height=380,
                      xaxis={"title": "context length (tokens)", "type": "category"},
                      yaxis={"title": "needle depth (0% = start)", "autorange": "reversed", "type": "category"},
                      margin={"l": 70, "r": 20, "t": 50, "b": 50})
    return fig
