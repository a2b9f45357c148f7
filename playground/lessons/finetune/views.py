"""The lab's views, each a pure function of computed numbers: the loss curves (with the best
step and where validation turns up), what the loss sees (tokens coloured by whether they carry
loss), the run's progress, the parameter count, and the answers before and after."""

from __future__ import annotations

import html
from typing import Any, Sequence

import plotly.graph_objects as go

from playground.lm.text import token_texts
from playground.training.loss_mask import Rendered
from playground.viz.token_chips import visible_text

TRAIN, VALID, BEST = "#4C78A8", "#F58518", "#54A24B"
RISE = 0.02  # validation this much above its lowest point counts as "turned up"


def best_step(eval_curve: Sequence[dict]) -> int:
    """The step with the lowest validation loss (0 = the base model itself)."""
    return int(min(eval_curve, key=lambda p: p["loss"])["step"]) if eval_curve else 0


def turn_up_step(eval_curve: Sequence[dict]) -> int | None:
    """The first evaluation after the best one whose loss is clearly above it (overfitting), or None."""
    if not eval_curve:
        return None
    best = min(range(len(eval_curve)), key=lambda i: eval_curve[i]["loss"])
    low = eval_curve[best]["loss"]
    return next((int(p["step"]) for p in eval_curve[best + 1:] if p["loss"] > low * (1 + RISE)), None)


def loss_figure(train: Sequence[dict], evals: Sequence[dict], total_steps: int = 0) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=[p["step"] for p in train], y=[p["loss"] for p in train], mode="lines+markers",
                    name="training loss (each step's batch)", line={"color": TRAIN}, marker={"size": 4})
    fig.add_scatter(x=[p["step"] for p in evals], y=[p["loss"] for p in evals], mode="lines+markers",
                    name="validation loss (rows it never trains on)", line={"color": VALID, "width": 3},
                    marker={"size": 8})
    if evals:
        best = best_step(evals)
        low = min(p["loss"] for p in evals)
        fig.add_scatter(x=[best], y=[low], mode="markers", name=f"best step: {best}",
                        marker={"color": BEST, "size": 16, "symbol": "star"})
        up = turn_up_step(evals)
        if up is not None:
            fig.add_vline(x=up, line={"color": VALID, "dash": "dash"})
            fig.add_annotation(x=up, y=1, yref="paper", text=f"validation turns up at step {up}: overfitting",
                               showarrow=False, xanchor="left", font={"color": VALID})
    fig.update_layout(
        title="Loss per step (lower = the model finds the answers less surprising)",
        xaxis={"title": "optimizer step", "range": [-0.5, max(total_steps, 1) + 0.5]},
        yaxis={"title": "cross-entropy (nats per token)", "rangemode": "tozero"},
        height=380, margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


LOSS_STYLE = (
    "<style>"
    ".ft-chips{line-height:2.1;font-family:var(--font-mono,monospace);max-height:24em;overflow-y:auto}"
    ".ft-tok{display:inline-block;margin:1px;padding:0 3px;border-radius:4px;white-space:pre;line-height:1.5}"
    ".ft-loss{background:hsla(130,60%,45%,0.30);border:1px solid hsla(130,60%,35%,0.7)}"
    ".ft-free{background:hsla(0,0%,60%,0.12);border:1px dashed hsla(0,0%,50%,0.5);opacity:0.75}"
    ".ft-key{display:inline-block;margin-right:1.2em}"
    "</style>"
)


def loss_sees_html(tokenizer: Any, rendered: Rendered) -> str:
    """The rendered example, one chip per token: green carries loss, grey is only read."""
    pieces = token_texts(tokenizer, rendered.ids, skip_special_tokens=False)
    chips = []
    for i, (piece, carries) in enumerate(zip(pieces, rendered.carries_loss)):
        title = f"token {i}, id {rendered.ids[i]}: " + ("predicted and paid for" if carries else "read, not paid for")
        chips.append(f'<span class="ft-tok {"ft-loss" if carries else "ft-free"}" title="{html.escape(title)}">'
                     f'{visible_text(piece) or "∅"}</span>' + ("<br>" if piece.endswith("\n") else ""))
    n, k = len(rendered.ids), rendered.n_loss
    key = (f'<div><span class="ft-key"><span class="ft-tok ft-loss">green</span> carries loss: {k} tokens</span>'
           f'<span class="ft-key"><span class="ft-tok ft-free">grey</span> read only: {n - k} tokens</span>'
           f"<span class=\"ft-key\">{k / max(n, 1):.0%} of the {n} tokens teach the model</span></div>")
    cut = f"<div><i>{rendered.cut} tokens past the max length were cut off.</i></div>" if rendered.cut else ""
    return LOSS_STYLE + key + '<div class="ft-chips">' + "".join(chips) + "</div>" + cut


def params_md(trainable: int, total: int, adapter_bytes: int | None = None) -> str:
    if not total:
        return ""
    line = (f"**Trainable:** {trainable:,} LoRA parameters against the base model's {total:,} "
            f"({trainable / total:.2%}); the base weights stay frozen.")
    if adapter_bytes:
        line += f" **Adapter file:** {adapter_bytes / 1e6:.1f} MB (the whole model is {total * 4 / 1e6:.0f} MB in float32)."
    return line


def progress_md(place: int, status: str, step: int, total_steps: int, elapsed: float, left: float | None) -> str:
    if place:
        return (f"**Waiting in line: place {place}.** One run trains at a time on this machine; "
                "yours starts when the ones before it finish.")
    if not total_steps:
        return f"**Starting:** {status} …"
    bar = f'<progress value="{step}" max="{total_steps}" style="width:100%"></progress>'
    eta = f", about {left:.0f} s of training left" if left is not None else ""
    return f"{bar}\n\n**Step {step} of {total_steps}** · {elapsed:.0f} s{eta} · {status}"


def answers_html(before: Sequence[dict], after: Sequence[dict] | None,
                 headers: tuple[str, str] = ("Base model (before)", "Tuned model (after)")) -> str:
    """The held-out prompts with both answers side by side (after may still be coming)."""
    rows = []
    for i, b in enumerate(before):
        a = after[i]["text"] if after else "<i>… after training</i>"
        a = a if not after else html.escape(a)
        rows.append(
            f"<tr><td style='vertical-align:top'><b>{html.escape(b['prompt'])}</b></td>"
            f"<td style='vertical-align:top;white-space:pre-wrap'>{html.escape(b['text'])}</td>"
            f"<td style='vertical-align:top;white-space:pre-wrap'>{a}</td></tr>")
    return ("<table class='ft-answers' style='width:100%;table-layout:fixed'><thead><tr><th style='width:20%'>"
            f"Held-out prompt</th><th>{headers[0]}</th><th>{headers[1]}</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")
