"""The lab's views, each a pure function of computed numbers: the loss curves (with the best
step and where validation turns up), what the loss sees (tokens coloured by whether they carry
loss), the parameter count, and one step up close. The progress line and the answers table are
every training lab's (`playground.viz.training`)."""

from __future__ import annotations

import html
from typing import Any, Sequence

import plotly.graph_objects as go

from playground.lm.text import token_texts
from playground.training.loss_mask import Rendered
from playground.viz.token_chips import visible_bytes, visible_text
from playground.viz.training import BEST, TRAIN, VALID

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
    ".tc-mark{opacity:0.55}"
    ".tc-byte{font-size:0.8em;padding:0 2px;border:1px dashed currentColor;border-radius:3px;opacity:0.8}"
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


def base_md(d: dict) -> str:
    """Which base the run trained beside, and what its weights held in memory."""
    kind = ("QLoRA: the frozen base stored in 4 bits (NF4, bitsandbytes), the adapter trained in 32-bit"
            if d["base_weights"] == "4-bit NF4" else "LoRA on the 32-bit base")
    line = f"**Base:** {kind}, on the {d['device'].upper()}: its weights held {d['base_mb']:.0f} MB"
    if d.get("gpu_peak_mb"):
        line += f"; GPU memory peaked at {d['gpu_peak_mb']:.0f} MB"
    return line + "."




def perplexity_md(ppl: dict[str, dict[str, float]]) -> str:
    """Continued pretraining's report: perplexity on held-out domain text and on general text."""
    if not ppl:
        return ""
    names = {"domain": "held-out text from the training domain", "general": "general text it never trained on"}
    lines = ["**Perplexity** (lower = the text surprises the model less; e^loss per token):"]
    for name, p in ppl.items():
        change = p["after"] / p["before"] - 1
        verdict = "easier" if change < 0 else "harder: the model forgets a little of what it knew"
        lines.append(f"- {names.get(name, name)}: {p['before']:.1f} → {p['after']:.1f} ({change:+.0%}, {verdict})")
    return "\n".join(lines)


def result_columns(result: dict) -> list[tuple[str, Sequence[str]]]:
    """Base, tuned, and where the run has them: the best checkpoint, and the tuned model without its template."""
    cols = [("Base model (before)", [b["text"] for b in result["before"]]),
            ("Tuned model (after, last step)", [a["text"] for a in result["after"]])]
    if result.get("best_after"):
        cols.append((f"Best checkpoint (step {result['best_step']})", result["best_after"]))
    if result.get("no_template"):
        cols.append(("Tuned, asked without the chat template", result["no_template"]))
    return cols


# --- one step, up close -------------------------------------------------------------------------------

STEP_STYLE = (
    "<style>.ft-down{background:hsla(130,60%,45%,0.30)}.ft-up{background:hsla(0,70%,55%,0.30)}"
    ".ft-num{display:block;font-size:0.7em;opacity:0.8;text-align:center;line-height:1.1}</style>"
)


def _piece(piece: str) -> str:
    """A token from the step's worker (`lm.text.token_piece`): part of a character as hex boxes."""
    return visible_bytes(piece.encode("utf-8", errors="surrogateescape"))


def step_tokens_html(r: dict) -> str:
    """Each token with the loss it cost before and after the step: green where it fell, red where it rose."""
    chips = [f'<span class="ft-tok ft-free">{_piece(r["tokens"][0]) or "∅"}</span>']
    for i, piece in enumerate(r["tokens"][1:]):
        b, a = r["before"][i], r["after"][i]
        body = _piece(piece) or "∅"
        if b is None:
            chips.append(f'<span class="ft-tok ft-free" title="no loss on this token">{body}</span>')
            continue
        cls = "ft-down" if a < b else "ft-up"
        title = f"token {i + 1}: loss {b:.2f} → {a:.2f} nats"
        chips.append(f'<span class="ft-tok {cls}" title="{html.escape(title)}">{body}'
                     f'<span class="ft-num">{b:.1f}→{a:.1f}</span></span>' + ("<br>" if piece.endswith("\n") else ""))
    return LOSS_STYLE + STEP_STYLE + '<div class="ft-chips">' + "".join(chips) + "</div>"


def loss_positions(r: dict) -> list[int]:
    """The token positions (from 1) that carry loss."""
    return [i + 1 for i, b in enumerate(r["before"]) if b is not None]


def step_top_html(r: dict, position: int) -> str:
    """The next-token distribution that predicted token `position`, before and after the step."""
    position = max(1, min(int(position), len(r["tokens"]) - 1))
    target = r["tokens"][position]

    def column(top):
        return "".join(f"<tr><td>{'<b>' if t == target else ''}{_piece(t)}{'</b>' if t == target else ''}</td>"
                       f"<td style='text-align:right'>{p:.1%}</td></tr>" for t, p in top)

    return (LOSS_STYLE + f"<div>Predicting token {position}, <b>{_piece(target)}</b>, from everything before it "
            "(the true token in bold):</div><table style='display:inline-table;margin-right:2em'><tr><th colspan=2>before"
            f"</th></tr>{column(r['top_before'][position - 1])}</table><table style='display:inline-table'><tr>"
            f"<th colspan=2>after one step</th></tr>{column(r['top_after'][position - 1])}</table>")


def moved_figure(moved: list[dict]) -> go.Figure:
    """How far each adapted weight moved in the step: |scale·B·A| / |W|, per layer and projection."""
    modules = [m for m in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
               if any(x["module"] == m for x in moved)]
    layers = sorted({x["layer"] for x in moved})
    z = [[next((x["relative"] for x in moved if x["layer"] == layer and x["module"] == m), None) for layer in layers]
         for m in modules]
    fig = go.Figure(go.Heatmap(z=z, x=layers, y=modules, colorscale="Viridis", colorbar={"title": "|ΔW| / |W|"},
                               hovertemplate="layer %{x}, %{y}: %{z:.2e}<extra></extra>"))
    fig.update_layout(title="Which weights moved in one step (relative size of the change)", height=300,
                      xaxis={"title": "layer"}, margin={"l": 80, "r": 20, "t": 50, "b": 40})
    return fig


def step_cost_md(r: dict) -> str:
    mb = 1e6
    return (
        f"**Inference** (one forward pass): {r['forward_s'] * 1000:.0f} ms, keeping nothing once it is done. "
        f"**Training** (forward + backward + update): {r['train_s'] * 1000:.0f} ms, "
        f"{r['train_s'] / max(r['forward_s'], 1e-9):.1f}× as long. Beyond the {r['weight_bytes'] / mb:.0f} MB of "
        f"weights, training held {r['activation_bytes'] / mb:.0f} MB of activations for the backward pass, "
        f"{r['grad_bytes'] / mb:.1f} MB of gradients and {r['optimizer_bytes'] / mb:.1f} MB of optimizer state "
        "(two running averages per trainable weight). Only the adapter moved: the base weights are frozen.")
