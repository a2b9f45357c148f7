"""The lab's views, each a pure function of computed numbers: a pair's answers token by token
(coloured by how likely the model found each token), the pair's DPO numbers, the run's curves
(loss, reward margin, reward accuracy), the held-out pairs before and after, and SFT against DPO."""

from __future__ import annotations

import html
import math
import statistics
from typing import Any, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.lessons.preference.scoring import LOG2, PairScore
from playground.lm.text import token_piece
from playground.viz.colours import likelihood_colour
from playground.viz.token_chips import visible_bytes
from playground.viz.training import TRAIN, VALID

CHIP_STYLE = (
    "<style>.pf-chips{line-height:2.1;font-family:var(--font-mono,monospace);max-height:16em;overflow-y:auto}"
    ".pf-tok{display:inline-block;margin:1px;padding:0 3px;border-radius:4px;white-space:pre;line-height:1.5;"
    "color:#111}.pf-num{display:block;font-size:0.7em;opacity:0.8;text-align:center;line-height:1.1}"
    ".tc-mark{opacity:0.55}.tc-byte{font-size:0.8em;padding:0 2px;border:1px dashed currentColor;border-radius:3px}"
    "</style>"
)


def tokens_html(tokenizer: Any, tokens: Sequence[tuple[int, float]], title: str, total: float) -> str:
    """One answer, a chip per token with its log-probability under it: green = the model expected it."""
    chips = []
    for token_id, logp in tokens:
        body = visible_bytes(token_piece(tokenizer, token_id).encode("utf-8", errors="surrogateescape")) or "∅"
        tip = f"log p = {logp:.3f} (p = {math.exp(logp):.1%})"
        chips.append(f'<span class="pf-tok" style="background:{likelihood_colour(math.exp(logp))}" '
                     f'title="{html.escape(tip)}">{body}<span class="pf-num">{logp:.1f}</span></span>')
    return (f"<div><b>{html.escape(title)}</b>: log p = {total:.2f} over {len(tokens)} tokens</div>"
            f'<div class="pf-chips">{"".join(chips)}</div>')


def pair_html(tokenizer: Any, s: PairScore) -> str:
    return (CHIP_STYLE + tokens_html(tokenizer, s.chosen_tokens, "Chosen", s.chosen_logp)
            + tokens_html(tokenizer, s.rejected_tokens, "Rejected", s.rejected_logp))


def score_md(s: PairScore, beta: float, adapter: str | None) -> str:
    d = s.dpo
    policy = f"the base model with your tuned adapter ({adapter})" if adapter else "the base model"
    lines = [
        f"**Policy:** {policy}. **Reference:** the base model (frozen).",
        "",
        "| | log π(y\\|x) (policy) | log π_ref(y\\|x) | reward β·(log π − log π_ref) |",
        "|---|---:|---:|---:|",
        f"| chosen | {s.chosen_logp:.3f} | {s.ref_chosen_logp:.3f} | {d.chosen_reward:+.4f} |",
        f"| rejected | {s.rejected_logp:.3f} | {s.ref_rejected_logp:.3f} | {d.rejected_reward:+.4f} |",
        "",
        f"**Margin** (chosen reward − rejected reward): {d.margin:+.4f} · **DPO loss** −log σ(margin): {d.loss:.4f}",
    ]
    if not adapter:
        lines.append(f"\nThe policy *is* the reference here, so both rewards are exactly 0 and the loss is "
                     f"−log σ(0) = log 2 = {LOG2:.4f}: DPO rewards only what training *changed*. Which answer is more "
                     f"likely on its own ({'chosen' if s.chosen_logp > s.rejected_logp else 'rejected'}, by "
                     f"{abs(s.chosen_logp - s.rejected_logp):.2f} nats) does not enter; longer answers have lower "
                     "log-probabilities simply because they have more tokens.")
    else:
        verdict = "prefers the chosen answer" if d.margin > 0 else "does not prefer the chosen answer (yet)"
        lines.append(f"\nAgainst the base model, the tuned policy {verdict}. β = {beta:g} scales the rewards: a "
                     "larger β keeps the policy closer to the reference.")
    return "\n".join(lines)


def curves_figure(train: Sequence[dict], evals: Sequence[dict], total_steps: int, method: str) -> go.Figure:
    """Loss, reward margin and reward accuracy per step, on training batches and held-out pairs."""
    dpo = method == "dpo"
    panels = ["DPO loss (log 2 at the start)", "reward margin (chosen − rejected)", "reward accuracy"] if dpo \
        else ["SFT loss on the chosen answers (nats per token)"]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=panels, horizontal_spacing=0.08)
    keys = ("loss", "margin", "accuracy") if dpo else ("loss",)
    for col, key in enumerate(keys, 1):
        for points, name, colour, width in ((train, "training batch", TRAIN, 1.5), (evals, "validation pairs", VALID, 3)):
            pts = [p for p in points if key in p]
            fig.add_scatter(x=[p["step"] for p in pts], y=[p[key] for p in pts], mode="lines+markers", name=name,
                            line={"color": colour, "width": width}, marker={"size": 5 if width < 2 else 8},
                            showlegend=col == 1, row=1, col=col)
        fig.update_xaxes(title_text="optimizer step", range=[-0.5, max(total_steps, 1) + 0.5], row=1, col=col)
    if dpo:
        fig.add_hline(y=LOG2, line={"dash": "dot", "color": "grey"}, row=1, col=1)
        fig.add_hline(y=0, line={"dash": "dot", "color": "grey"}, row=1, col=2)
        fig.add_hline(y=0.5, line={"dash": "dot", "color": "grey"}, row=1, col=3)
        fig.update_yaxes(range=[-0.05, 1.05], row=1, col=3)
    fig.update_layout(height=360, margin={"l": 50, "r": 20, "t": 50, "b": 50}, legend={"orientation": "h", "y": -0.3})
    return fig


def _mean(xs: Sequence[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


def heldout_summary(before: Sequence[dict], after: Sequence[dict]) -> dict[str, float]:
    """What training did to the held-out pairs: mean change of each answer's log-probability against
    the base, the mean margin and the share of pairs whose chosen reward beats the rejected one."""
    return {
        "d_chosen": _mean([a["chosen_logp"] - b["chosen_logp"] for a, b in zip(after, before)]),
        "d_rejected": _mean([a["rejected_logp"] - b["rejected_logp"] for a, b in zip(after, before)]),
        "margin": _mean([a["margin"] for a in after]),
        "accuracy": _mean([1.0 if a["margin"] > 0 else 0.0 for a in after]),
    }


def heldout_html(questions: Sequence[str], before: Sequence[dict], after: Sequence[dict]) -> str:
    rows = []
    for q, b, a in zip(questions, before, after):
        dc, dr = a["chosen_logp"] - b["chosen_logp"], a["rejected_logp"] - b["rejected_logp"]
        mark = "✔" if a["margin"] > 0 else "✘"
        rows.append(f"<tr><td>{html.escape(q)}</td><td style='text-align:right'>{dc:+.2f}</td>"
                    f"<td style='text-align:right'>{dr:+.2f}</td><td style='text-align:right'>{a['margin']:+.3f}</td>"
                    f"<td style='text-align:center'>{mark}</td></tr>")
    return ("<table class='pf-heldout' style='width:100%'><thead><tr><th>Held-out pair (prompt)</th>"
            "<th>Δ log p chosen</th><th>Δ log p rejected</th><th>margin after</th><th>chosen ahead?</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


METHOD_NAMES = {"dpo": "DPO on the pairs", "sft": "SFT on the chosen answers"}


def compare_md(results: dict[str, dict]) -> str:
    """SFT against DPO on the same held-out pairs: what each did to the chosen and the rejected answers."""
    if not results:
        return ""
    lines = ["| method (last run of each) | Δ log p chosen | Δ log p rejected | margin | chosen ahead |",
             "|---|---:|---:|---:|---:|"]
    for method, r in results.items():
        h = heldout_summary(r["test_before"], r["test_after"])
        lines.append(f"| {METHOD_NAMES[method]} | {h['d_chosen']:+.2f} | {h['d_rejected']:+.2f} | {h['margin']:+.3f} "
                     f"| {h['accuracy']:.0%} |")
    note = ("\n\nSFT only ever pushes the chosen answers up; whatever happens to the rejected ones is a side effect "
            "of what they share with the chosen (words, style, the prompt). DPO optimises the *gap* between the two.")
    if "sft" in results:
        h = heldout_summary(results["sft"]["test_before"], results["sft"]["test_after"])
        went = "rose too" if h["d_rejected"] > 0 else "fell"
        note += f" Here, under SFT, the rejected answers {went} ({h['d_rejected']:+.2f} nats on average)."
    if len(results) < 2:
        other = "SFT" if "dpo" in results else "DPO"
        note += f" Train again with the method **{other}** on the same set to fill in the other row."
    return "\n".join(lines) + note


def lengths_md(before_tokens: Sequence[int], after_tokens: Sequence[int]) -> str:
    b, a = _mean(before_tokens), _mean(after_tokens)
    change = "longer" if a > b else "shorter" if a < b else "as long"
    return (f"**Answer length** (tokens, held-out prompts, greedy, up to the lab's cap): {b:.0f} before → {a:.0f} after "
            f"({change}).")
