"""Figures and tables for the Inside-the-model lesson: pure functions of the results."""

from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.lessons.inside.anatomy import Anatomy
from playground.lessons.inside.lens import Lens
from playground.lessons.inside.quantize import ABOUT, Comparison
from playground.lessons.inside.rounding import CurvePoint
from playground.lessons.inside.weights import MatrixView
from playground.viz.heatmap import unique_labels, visible_token

ROLE_COLOURS = {
    "Token embeddings": "#4C78A8", "Attention: q": "#F58518", "Attention: k": "#E45756", "Attention: v": "#72B7B2",
    "Attention: o": "#54A24B", "MLP: gate": "#EECA3B", "MLP: up": "#B279A2", "MLP: down": "#FF9DA6",
    "Norms": "#9D755D", "Position embeddings": "#BAB0AC", "Token-type embeddings": "#BAB0AC", "Pooler": "#79706E",
    "Output layer": "#2F4B7C", "Other": "#BAB0AC",
}


def _millions(n: int) -> str:
    return f"{n / 1e6:,.2f} M" if n >= 10_000 else f"{n:,}"


# --- anatomy -------------------------------------------------------------------------------------------


def anatomy_md(a: Anatomy, loaded_mb: float, derived: dict[str, float]) -> str:
    cfg = a.config
    lines = [f"**{a.total:,} parameters** in {len(a.parts)} parts; the model's own count says {a.own_count:,}"
             f" ({'equal' if a.total == a.own_count else 'different!'})."]
    for names in a.tied_names:
        lines.append(f"**Tied:** {' and '.join(f'`{n}`' for n in names)} are one tensor, counted once: the output "
                     "layer that scores every token of the vocabulary re-uses the token-embedding matrix.")
    if cfg.get("num_attention_heads"):
        kv = cfg.get("num_key_value_heads", cfg["num_attention_heads"])
        gqa = (f"; {kv} key/value heads shared by groups of {cfg['num_attention_heads'] // kv} query heads "
               "(grouped-query attention: k and v are a third the size of q)" if kv != cfg["num_attention_heads"] else "")
        lines.append(f"**Shape:** {cfg.get('num_hidden_layers')} layers, each token a vector of "
                     f"{cfg.get('hidden_size')} numbers, {cfg['num_attention_heads']} attention heads{gqa}; MLP width "
                     f"{cfg.get('intermediate_size')}; vocabulary {cfg.get('vocab_size', 0):,}.")
    mem = a.memory_mb()
    rows = "\n".join(f"| {fmt} | {all_w:,.0f} MB | {lin:,.0f} MB |" for fmt, (all_w, lin) in mem.items())
    extra = "".join(f" + {mb:,.0f} MB ({html.escape(name)})" for name, mb in derived.items())
    lines.append("\n| format | every weight at that width | only the blocks' linear layers (the rest 32-bit) |\n"
                 f"| --- | --- | --- |\n{rows}\n\n**Loaded here:** {loaded_mb:,.0f} MB (the model's own "
                 f"`get_memory_footprint()`){extra}. Counts × bytes per weight: fp32 4, bf16 2, int8 1, 4-bit ½, "
                 "before the few bytes of scales each quantised block keeps.")
    return "\n\n".join(lines)


def anatomy_treemap(a: Anatomy) -> go.Figure:
    """Blocks → layer → part, sized by parameters; everything outside the blocks at the top level."""
    ids, labels, parents, values, colours = ["all"], [a.key], [""], [a.total], ["#ffffff"]
    layer_totals: dict[int, int] = {}
    for p in a.parts:
        if p.layer is not None:
            layer_totals[p.layer] = layer_totals.get(p.layer, 0) + p.params
    if layer_totals:
        ids.append("blocks"), labels.append(f"{len(layer_totals)} blocks"), parents.append("all")
        values.append(sum(layer_totals.values())), colours.append("#f0f0f0")
        for layer, total in sorted(layer_totals.items()):
            ids.append(f"L{layer}"), labels.append(f"layer {layer}"), parents.append("blocks")
            values.append(total), colours.append("#e6e6e6")
    for p in a.parts:
        ids.append(p.name)
        labels.append(p.role if p.layer is not None else f"{p.role}<br>{p.name}")
        parents.append(f"L{p.layer}" if p.layer is not None else "all")
        values.append(p.params)
        colours.append(ROLE_COLOURS.get(p.role, "#BAB0AC"))
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total", maxdepth=3,
        marker={"colors": colours}, customdata=[f"{v:,}" for v in values],
        hovertemplate="%{id}<br>%{customdata} parameters<br>%{percentRoot:.1%} of the model<extra></extra>",
        textinfo="label+percent root"))
    fig.update_layout(title={"text": "Where the parameters are (click a block to zoom in)", "font": {"size": 14}},
                      height=520, margin={"l": 5, "r": 5, "t": 45, "b": 5})
    return fig


def role_bars(a: Anatomy) -> go.Figure:
    roles = a.by_role()
    names, counts = list(roles), list(roles.values())
    fig = go.Figure(go.Bar(x=counts, y=names, orientation="h", marker={"color": [ROLE_COLOURS.get(n, "#BAB0AC") for n in names]},
                           text=[f"{_millions(c)} ({c / a.total:.1%})" for c in counts], textposition="auto",
                           hovertemplate="%{y}: %{x:,} parameters<extra></extra>"))
    fig.update_layout(title={"text": "By job, summed over all layers", "font": {"size": 14}}, height=360,
                      margin={"l": 10, "r": 10, "t": 45, "b": 30}, plot_bgcolor="white")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title="parameters")
    return fig


# --- one matrix --------------------------------------------------------------------------------------------


def matrix_md(v: MatrixView) -> str:
    n, k = v.shape
    return (f"**`{v.name}`**: {n:,} × {k:,} = {n * k:,} numbers. Mean {v.mean:+.4f}, spread (std) {v.std:.4f}, "
            f"from {v.low:+.4f} to {v.high:+.4f}; {v.near_zero:.0%} of them are within 1% of the largest size "
            f"(close to zero). The heatmap shows rows {v.slice_rows[0]}–{v.slice_rows[1] - 1} and columns "
            f"{v.slice_cols[0]}–{v.slice_cols[1] - 1}: each output of the layer is a row, each input a column.")


def matrix_figure(v: MatrixView) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, column_widths=[0.5, 0.5], horizontal_spacing=0.1,
                        subplot_titles=("A slice of the matrix", "Every value in it"))
    lim = float(np.abs(v.values).max()) or 1.0
    fig.add_trace(go.Heatmap(z=v.values, x=list(range(*v.slice_cols)), y=list(range(*v.slice_rows)),
                             colorscale="RdBu", zmid=0, zmin=-lim, zmax=lim, colorbar={"thickness": 10, "x": 0.45},
                             hovertemplate="row %{y}, column %{x}: %{z:.5f}<extra></extra>"), row=1, col=1)
    centres = (v.edges[:-1] + v.edges[1:]) / 2
    fig.add_trace(go.Bar(x=centres, y=v.counts, marker={"color": "#4C78A8"}, width=float(v.edges[1] - v.edges[0]),
                         hovertemplate="%{x:.4f}: %{y:,} weights<extra></extra>", showlegend=False), row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.update_xaxes(title="value", row=1, col=2)
    fig.update_yaxes(title="how many", row=1, col=2)
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white")
    return fig


# --- logit lens ------------------------------------------------------------------------------------------------


def lens_figure(lens: Lens, tokenizer) -> go.Figure:
    """Rows: embeddings at the bottom, last layer at the top; columns: positions. Each cell is the top
    token that layer would predict next, coloured by its probability."""
    rows, cols = lens.n_rows, len(lens.ids)
    pieces: dict[int, str] = {}

    def piece(i: int) -> str:
        if i not in pieces:
            pieces[i] = visible_token(tokenizer.decode([int(i)]))
        return pieces[i]

    text = [[html.escape(piece(lens.top_ids[r, p, 0])) for p in range(cols)] for r in range(rows)]  # plotly reads tags
    hover = [[f"{lens.row_name(r)} after “{html.escape(visible_token(lens.tokens[p]))}”:<br>" +
              "<br>".join(f"{html.escape(piece(lens.top_ids[r, p, j]))} {lens.top_probs[r, p, j]:.1%}"
                          for j in range(lens.top_ids.shape[2])) for p in range(cols)] for r in range(rows)]
    fig = go.Figure(go.Heatmap(
        z=lens.top_probs[:, :, 0], x=unique_labels(lens.tokens), y=[lens.row_name(r) for r in range(rows)],
        text=text, texttemplate="%{text}", textfont={"size": 9 if cols > 12 else 11}, customdata=hover,
        hovertemplate="%{customdata}<extra></extra>", zmin=0, zmax=1, colorscale="Blues",
        colorbar={"title": {"text": "p(top)"}, "thickness": 12}))
    fig.update_layout(title={"text": "What each layer would predict next (read a column bottom to top)",
                             "font": {"size": 14}},
                      height=max(520, 18 * rows + 160), margin={"l": 10, "r": 10, "t": 45, "b": 10},
                      plot_bgcolor="white")
    fig.update_xaxes(type="category", tickangle=-50, side="bottom", title="the token just read (position)")
    fig.update_yaxes(type="category", title="layer")
    return fig


def target_figure(lens: Lens) -> go.Figure:
    names = [lens.row_name(r) for r in range(lens.n_rows)]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=names, y=lens.target_probs, mode="lines+markers", name="probability",
                             line={"color": "#4C78A8"}, hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    fig.add_trace(go.Scatter(x=names, y=lens.target_ranks, mode="lines", name="rank (1 = top)",
                             line={"color": "#F58518", "dash": "dot"}, hovertemplate="%{x}: rank %{y:,}<extra></extra>"),
                  secondary_y=True)
    fig.update_yaxes(title="p(target)", range=[0, 1], secondary_y=False)
    fig.update_yaxes(title="rank", type="log", autorange="reversed", secondary_y=True)
    fig.update_layout(title={"text": f"“{html.escape(visible_token(lens.target_token))}” after the last token, layer by layer",
                             "font": {"size": 14}}, height=360, margin={"l": 10, "r": 10, "t": 45, "b": 10},
                      plot_bgcolor="white", legend={"orientation": "h", "y": -0.3})
    fig.update_xaxes(type="category", tickangle=-50)
    return fig


def lens_md(lens: Lens) -> str:
    rows = lens.n_rows
    first = next((r for r in range(rows) if int(lens.top_ids[r, -1, 0]) == lens.target_id), None)
    final = lens.target_probs[-1]
    where = (f"it first becomes the top prediction at **{lens.row_name(first)}** of {rows - 1}" if first is not None
             else "no layer ranks it first")
    return (f"**{len(lens.ids)} tokens × {rows} rows** (the embeddings, then each of {rows - 1} layers). Target "
            f"“{html.escape(visible_token(lens.target_token))}” after the last token: {where}; the last layer gives it "
            f"{final:.1%}, which is the model's own prediction (that row is the model's logits, not the lens).")


# --- quantization ----------------------------------------------------------------------------------------------------


def _fmt(x: float, spec: str) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def comparison_md(c: Comparison) -> str:
    head = ("| variant | bits per weight | memory | load | KL vs fp32 (nats) | top-1 same | tokens/s |\n"
            "| --- | --- | --- | --- | --- | --- | --- |")
    rows = []
    for r in c.rows:
        if r.error:
            rows.append(f"| **{r.name}** | {html.escape(r.error)} | | | | | |")
            continue
        load = f"{r.load_seconds:.1f} s" + (" (shared)" if r.shared else "")
        rows.append(f"| **{r.name}** | {_fmt(r.bits, '.2f')} | {_fmt(r.memory_mb, ',.0f')} MB | {load} | "
                    f"{_fmt(r.kl, '.2e')} | {_fmt(r.top1_agreement, '.0%')} | {_fmt(r.tokens_per_s, '.1f')} |")
    about = "\n".join(f"- **{n}**: {ABOUT[n]}" for n in dict.fromkeys(r.name for r in c.rows))
    return (f"Measured on your text ({c.positions} positions) against fp32: KL is how far each next-token "
            f"distribution moved (0 = not at all), top-1 the share of positions whose most likely token is "
            f"unchanged.\n\n{head}\n" + "\n".join(rows) + f"\n\n{about}")


def comparison_figure(c: Comparison) -> go.Figure:
    ok = [r for r in c.rows if not r.error]
    names = [r.name for r in ok]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("memory (MB)", "KL vs fp32 (log)", "tokens per second"),
                        horizontal_spacing=0.08)
    fig.add_trace(go.Bar(x=names, y=[r.memory_mb for r in ok], marker={"color": "#4C78A8"}), row=1, col=1)
    fig.add_trace(go.Bar(x=names, y=[max(r.kl, 1e-7) for r in ok], marker={"color": "#E45756"}), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=[r.tokens_per_s for r in ok], marker={"color": "#54A24B"}), row=1, col=3)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(height=340, showlegend=False, margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white")
    return fig


def generations_html(c: Comparison) -> str:
    cells = "".join(f"<tr><td style='vertical-align:top'><b>{html.escape(r.name)}</b></td>"
                    f"<td style='white-space:pre-wrap'>{html.escape(r.generation)}</td></tr>" for r in c.rows if not r.error)
    return ("<p>The same prompt and the same random seed: where a variant's text leaves fp32's, its probabilities "
            "moved enough to change a draw.</p><table style='width:100%'><thead><tr><th style='width:12%'>variant</th>"
            f"<th>continuation of your text</th></tr></thead><tbody>{cells}</tbody></table>")


def resident_md(lines: list[str]) -> str:
    return "**In memory now:**\n" + "\n".join(f"- {html.escape(l)}" for l in lines) if lines else \
        "**In memory now:** nothing yet (the model loads on first use)."


def curve_figure(points: list[CurvePoint]) -> go.Figure:
    bits = [p.bits for p in points]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=bits, y=[max(p.kl, 1e-7) for p in points], mode="lines+markers", name="KL vs fp32",
                             line={"color": "#E45756"}, customdata=[p.stored_bits for p in points],
                             hovertemplate="%{x} bits (%{customdata:.2f} stored): KL %{y:.3g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=bits, y=[p.top1_agreement for p in points], mode="lines+markers", name="top-1 same",
                             line={"color": "#4C78A8"}, hovertemplate="%{x} bits: %{y:.0%}<extra></extra>"),
                  secondary_y=True)
    group = points[0].group if points else 0
    fig.update_layout(title={"text": f"Rounding every block weight to fewer bits (groups of {group or 'a whole row'})",
                             "font": {"size": 14}}, height=360, margin={"l": 10, "r": 10, "t": 45, "b": 10},
                      plot_bgcolor="white", legend={"orientation": "h", "y": -0.25})
    fig.update_xaxes(title="bits per weight", autorange="reversed", tickvals=bits)
    fig.update_yaxes(title="KL (nats, log)", type="log", secondary_y=False)
    fig.update_yaxes(title="top-1 same", range=[0, 1.05], tickformat=".0%", secondary_y=True)
    return fig


def curve_md(points: list[CurvePoint]) -> str:
    rows = "\n".join(f"| {p.bits} | {p.stored_bits:.2f} | {p.kl:.3g} | {p.top1_agreement:.0%} |" for p in points)
    grid = ("\n\n**Why 4 bits can cost nothing here:** this SmolLM2 was dequantised from a Q4_1 file, so every group "
            "of 32 weights already sits on 16 evenly spaced levels. Rounding in groups of 32 at 4 bits finds those "
            "levels again, and so does 8 bits (its 255 steps contain the 15), while 6 bits' 63 steps do not. A model "
            "trained and shipped in full precision has no such grid; other group sizes show the usual curve."
            if points and points[0].group == 32 else "")
    return (f"Over {points[0].positions if points else 0} positions of a fixed text set (English, a recipe, code).\n\n"
            "| bits | stored (with scales) | KL vs fp32 | top-1 same |\n| --- | --- | --- | --- |\n" + rows + grid)
