"""Figures and tables for the representation lab: pure functions of the results."""

from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.lessons.representation import classify as C
from playground.viz.training import TRAIN

METHOD_NAMES = {C.LOGREG: "Embeddings + logistic regression", C.ZS_EMB: "Zero-shot: nearest description",
                C.ZS_GEN: "Zero-shot: SmolLM2 picks a label", C.SETFIT: "SetFit (few-shot fine-tuning)"}
COLOURS = {C.LOGREG: "#4C78A8", C.ZS_EMB: "#F58518", C.ZS_GEN: "#E45756", C.SETFIT: "#54A24B"}


def comparison_md(c, pending: str = "") -> str:
    chance = 1 / len(c.labels)
    rows = "\n".join(f"| {METHOD_NAMES[m.name]} | **{m.accuracy:.0%}** | {m.macro_f1:.2f} | {m.seconds:.1f} s | "
                     f"{html.escape(m.note)} |" for m in c.methods)
    return (f"**{len(c.test)} test texts, {len(c.labels)} labels** ({', '.join(c.labels)}; guessing would get about "
            f"{chance:.0%}); {c.train_size} labelled training texts.\n\n| method | accuracy | macro F1 | time | "
            f"what it learned from |\n| --- | --- | --- | --- | --- |\n{rows}" + (f"\n\n{pending}" if pending else ""))


def confusion_figure(c) -> go.Figure:
    n = len(c.methods)
    cols = min(n, 2) or 1
    rows = -(-n // cols) or 1
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[METHOD_NAMES[m.name] for m in c.methods],
                        horizontal_spacing=0.12, vertical_spacing=0.18)
    for k, m in enumerate(c.methods):
        fig.add_trace(go.Heatmap(z=m.confusion, x=c.labels, y=c.labels, coloraxis="coloraxis",
                                 text=m.confusion, texttemplate="%{text}",
                                 hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"),
                      row=k // cols + 1, col=k % cols + 1)
    fig.update_yaxes(autorange="reversed", title="true")
    fig.update_xaxes(title="predicted")
    fig.update_layout(coloraxis={"colorscale": "Blues", "showscale": False}, height=320 * rows + 40,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="white")
    return fig


def wrong_html(c, per_method: int = 6) -> str:
    blocks = []
    for m in c.methods:
        wrong = [(e, p) for e, p in zip(c.test, m.predictions) if p != e.label]
        items = "".join(f"<li>“{html.escape(e.text)}” — <b>{html.escape(p)}</b>, should be {html.escape(e.label)}</li>"
                        for e, p in wrong[:per_method])
        more = f"<li>… and {len(wrong) - per_method} more</li>" if len(wrong) > per_method else ""
        blocks.append(f"<details><summary><b>{html.escape(METHOD_NAMES[m.name])}</b>: {len(wrong)} wrong</summary>"
                      f"<ul>{items or '<li>none</li>'}{more}</ul></details>")
    return "".join(blocks)


def few_shot_figure(curve: list[tuple[int, float]], c=None) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[n for n, _ in curve], y=[a for _, a in curve], mode="lines+markers",
                               name=METHOD_NAMES[C.LOGREG], line={"color": COLOURS[C.LOGREG]},
                               hovertemplate="%{x} per class: %{y:.0%}<extra></extra>"))
    if c is not None:
        for m in c.methods:
            if m.name in (C.ZS_EMB, C.ZS_GEN):  # no labelled examples: a flat line to beat
                fig.add_hline(y=m.accuracy, line={"color": COLOURS[m.name], "dash": "dash"},
                              annotation_text=METHOD_NAMES[m.name], annotation_position="bottom right")
    fig.update_layout(title={"text": "How many labelled examples per class are worth a zero-shot prompt?",
                             "font": {"size": 14}}, height=360, margin={"l": 10, "r": 10, "t": 45, "b": 10},
                      plot_bgcolor="white", showlegend=False)
    ticks = sorted({n for n, _ in curve})
    fig.update_xaxes(title="labelled examples per class", type="log", tickvals=ticks, ticktext=[str(t) for t in ticks])
    fig.update_yaxes(title="test accuracy", range=[0, 1.02], tickformat=".0%")
    return fig


def loss_figure(train: list[dict], total: int) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[p["step"] for p in train], y=[p["loss"] for p in train], mode="lines+markers",
                               line={"color": TRAIN}, name="training loss"))
    fig.update_layout(title={"text": "Multiple-negatives ranking loss", "font": {"size": 14}}, height=300,
                      margin={"l": 10, "r": 10, "t": 45, "b": 10}, plot_bgcolor="white")
    fig.update_xaxes(title="step", range=[0, max(total, 1)])
    fig.update_yaxes(title="loss", rangemode="tozero")
    return fig


def retrieval_md(before: dict, after: dict | None, n_test: int, n_train: int) -> str:
    def line(name: str, m: dict) -> str:
        return f"| {name} | {m['mrr']:.3f} | {m['recall_at_1']:.0%} |"

    rows = [line("before (MiniLM as shipped)", before)] + ([line("after training", after)] if after else [])
    return (f"Each of the {n_test} held-out questions searches all {n_test + n_train} answers (the {n_test} held-out "
            f"ones and the {n_train} it trained on) by cosine. MRR is the mean of 1/rank of its own answer (1 = always "
            "first); recall@1 the share found first.\n\n"
            "| model | MRR | recall@1 |\n| --- | --- | --- |\n" + "\n".join(rows))


def maps_figure(before: list[list[float]], after: list[list[float]], anchors: list[str], positives: list[str]) -> go.Figure:
    """The held-out questions (circles) and answers (diamonds), each pair joined by a line, before and after."""
    n = len(anchors)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("before training", "after training"), horizontal_spacing=0.06)
    for col, coords in ((1, before), (2, after)):
        xs, ys = [], []
        for i in range(n):
            xs += [coords[i][0], coords[n + i][0], None]
            ys += [coords[i][1], coords[n + i][1], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#bbbbbb", "width": 1}, hoverinfo="skip",
                                 showlegend=False), row=1, col=col)
        fig.add_trace(go.Scatter(x=[c[0] for c in coords[:n]], y=[c[1] for c in coords[:n]], mode="markers",
                                 marker={"color": "#4C78A8", "size": 8}, name="question", showlegend=col == 1,
                                 text=[html.escape(a) for a in anchors], hovertemplate="%{text}<extra></extra>"),
                      row=1, col=col)
        fig.add_trace(go.Scatter(x=[c[0] for c in coords[n:]], y=[c[1] for c in coords[n:]], mode="markers",
                                 marker={"color": "#F58518", "size": 8, "symbol": "diamond"}, name="its answer",
                                 showlegend=col == 1, text=[html.escape(p) for p in positives],
                                 hovertemplate="%{text}<extra></extra>"), row=1, col=col)
    fig.update_layout(title={"text": "Held-out pairs on a 2-D map (PCA): shorter lines = pairs closer together",
                             "font": {"size": 14}}, height=420, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      plot_bgcolor="white", legend={"orientation": "h", "y": -0.1})
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return fig
