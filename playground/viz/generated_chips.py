"""Generated text as HTML chips: each token coloured by how likely the model itself rated it,
with a tooltip (the title attribute, so no script is needed) listing the top alternatives."""

from __future__ import annotations

import html
from typing import Sequence

from playground.viz.next_token_bars import show_token


def likelihood_colour(p: float) -> str:
    """Red for tokens the model found unlikely, through yellow, to green for likely ones.
    The square root spreads out the small probabilities, where the interesting cases are."""
    hue = 120 * min(max(p, 0.0), 1.0) ** 0.5
    return f"hsl({hue:.0f}, 75%, 80%)"


LEGEND = (
    "<div style='font-size:0.85em;margin:4px 0'>Colour = how likely the model itself rated each token "
    "(before your settings): "
    + " ".join(
        f"<span class='token-chip' style='background:{likelihood_colour(p)};color:#000'>{p:.0%}</span>"
        for p in (0.01, 0.05, 0.25, 0.5, 0.9)
    )
    + ". Hover a token for the alternatives at that step; a purple frame marks a token you picked.</div>"
)


def _tooltip(index: int, step) -> str:
    lines = [
        f"step {index}: {show_token(step.token)!r}",
        f"model: {step.prob_raw:.1%}, after settings: {step.prob:.1%}"
        + (" (your pick)" if step.forced else ""),
        "alternatives (model / after settings):",
    ]
    lines += [f"  {show_token(a.token)!r}  {a.prob_raw:.1%} / {a.prob:.1%}" for a in step.alternatives]
    return "\n".join(lines)


def chips_html(prompt_text: str, steps: Sequence, show_legend: bool = True, max_prompt_chars: int = 300) -> str:
    """The prompt in grey, then one chip per generated token (numbered from 1 in the tooltip)."""
    shown_prompt = prompt_text if len(prompt_text) <= max_prompt_chars else "…" + prompt_text[-max_prompt_chars:]
    parts = [LEGEND if show_legend else "", "<div style='line-height:1.9'>"]
    parts.append(f"<span style='color:#888;white-space:pre-wrap'>{html.escape(shown_prompt)}</span>")
    for i, step in enumerate(steps, 1):
        frame = "outline:2px solid #8E44AD;" if step.forced else ""
        text = step.token.replace("\n", "↵") or "∅"
        parts.append(
            f"<span class='token-chip' style='background:{likelihood_colour(step.prob_raw)};color:#000;{frame}' "
            f"title=\"{html.escape(_tooltip(i, step), quote=True)}\">{html.escape(text)}</span>"
            + "<br>" * step.token.count("\n")  # the chip shows ↵; the line break follows it
        )
    parts.append("</div>")
    return "".join(parts)
