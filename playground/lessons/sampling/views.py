"""What the Sampling tab shows, as pure functions of a `Generation`: the chart and the sentences
about it, the generated text as chips, the branch list and the earlier texts.

Byte-level BPE can cut one character (an emoji, a CJK character) into several tokens. Each such
token is drawn as hex byte boxes, the way the Tokens tab draws them, and the token that completes
the character shows the whole character; alternatives and chart labels say which character a
byte token would complete.
"""

from __future__ import annotations

import codecs
import html
import math
from typing import Sequence

import plotly.graph_objects as go

from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import warpers as W
from playground.lessons.sampling.generation import Generation
from playground.viz.colours import likelihood_colour
from playground.viz.token_chips import STYLE as BYTE_STYLE
from playground.viz.token_chips import plain_label, visible_bytes, visible_text

N_BARS = 15
KEPT = "#4C78A8"
REMOVED = "#C8C8C8"
AFTER = "#F58518"
ROW_PX = 24  # chart height per token row
LEGEND_PX = 110  # under the bars: the probability ticks, then the legend (three lines on a phone)
FONT_PX = 14  # readable on a projector

# A chip's details open on hover and on tap (a tapped chip takes the focus): no script needed.
# The box spans the text's width, so near the right edge it never pushes the page sideways.
STYLE = BYTE_STYLE + (
    "<style>"
    ".sx-text{position:relative;line-height:1.9}"
    ".sx-prompt{color:#888;white-space:pre-wrap}"
    ".sx-chip{cursor:pointer;color:#000}"
    ".sx-chip:focus{outline:2px solid var(--color-accent,#F58518)}"
    ".sx-pop{display:none}"
    ".sx-chip:hover>.sx-pop,.sx-chip:focus>.sx-pop{display:block;position:absolute;left:0;right:0;z-index:20;"
    "margin-top:4px;padding:6px 8px;white-space:pre-wrap;line-height:1.4;font-size:0.9em;color:#000;"
    "background:#fff;border:1px solid #999;border-radius:6px;box-shadow:0 2px 8px rgba(0,0,0,.25)}"
    "</style>"
)

LEGEND = (
    "<div style='font-size:0.85em;margin:4px 0'>Colour = how likely the model itself rated each token "
    "(before your settings): "
    + " ".join(
        f"<span class='token-chip' style='background:{likelihood_colour(p)};color:#000'>{p:.0%}</span>"
        for p in (0.01, 0.05, 0.25, 0.5, 0.9)
    )
    + ". Hover or tap a token for the alternatives at that step; a purple frame marks a token you picked; "
    "dashed boxes are bytes of a character that the following token completes.</div>"
)


def percent(p: float) -> str:
    """A probability with two significant digits however small it is: 12.3%, 0.41%, 0.0031%."""
    if p <= 0.0:
        return "0%"
    if p >= 0.001:
        return f"{p:.1%}"
    digits = min(12, 1 - math.floor(math.log10(p * 100)))
    return f"{p * 100:.{digits}f}%"


# --- split characters ------------------------------------------------------------------------------


def _decoder():
    return codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")


def pending_after(steps: Sequence[D.Step]) -> bytes:
    """The bytes of a character the steps have begun but not finished (b"" when none)."""
    dec = _decoder()
    for st in steps:
        if st.piece is None:
            dec.reset()
        else:
            dec.decode(st.piece)
    return dec.getstate()[0]


def chip_bodies(steps: Sequence[D.Step]) -> list[str]:
    """HTML for each step's chip: its text, a completed character whole, bytes still waiting
    for the rest of their character as hex boxes."""
    dec = _decoder()
    out = []
    for st in steps:
        if st.piece is None:  # not a byte-level token: its own text
            dec.reset()
            out.append(visible_text(st.token))
            continue
        done = dec.decode(st.piece).encode("utf-8", errors="surrogateescape")
        waiting = dec.getstate()[0]
        mine = waiting[len(waiting) - min(len(st.piece), len(waiting)):]  # this token's share of them
        out.append(visible_bytes(done + mine) or '<span class="tc-mark">∅</span>')
    return out


def piece_label(token: str, piece: bytes | None, pending: bytes = b"", as_html: bool = False) -> str:
    """One token as a label (plain text, or HTML with byte boxes): `␣cat`, `<F0 9F>`; a byte token
    that would complete the character in `pending` also names it: `<8D B5> → 🍵`."""
    if piece is None:
        return (visible_text(token) if as_html else plain_label(token)) or "∅"
    try:
        whole = piece.decode("utf-8")  # the usual case: whole characters only
        return (visible_text(whole) if as_html else plain_label(whole)) or "∅"
    except UnicodeDecodeError:
        pass
    label = visible_bytes(piece) if as_html else plain_label(piece)
    dec = _decoder()
    dec.decode(pending)
    first = dec.decode(piece)[:1]
    if pending and first and not "\udc80" <= first <= "\udcff":
        label += " → " + (html.escape(first) if as_html else first)
    return label


# --- the chart ---------------------------------------------------------------------------------------


def where(chart) -> str:
    return "the prompt" if chart.position == 0 else f"the prompt + {chart.position} generated token(s)"


def chart_rows(gen: Generation) -> list[tuple[int, D.Candidate]]:
    """(rank, candidate) for the top N_BARS tokens, plus the drawn one if it ranks below them."""
    d = gen.chart.dist
    rows = list(enumerate(d.candidates[:N_BARS], 1))
    if all(c.id != d.drawn.id for _, c in rows):
        rows.append((d.drawn.rank, d.drawn_candidate()))
    return rows


def chart_figure(gen: Generation) -> go.Figure:
    """Horizontal bars, most probable token on top: the model's own probability and the one after
    the settings; removed tokens grey. The drawn token's label is marked, and when it ranks below
    the top bars it gets a row of its own with its rank."""
    chart = gen.chart
    pending = pending_after(gen.steps[: chart.position])
    rows = chart_rows(gen)
    y = list(range(len(rows)))
    labels = [f"{rank:,}. {piece_label(c.token, c.piece, pending)}" for rank, c in rows]
    hover = [
        f"{html.escape(label)} (id {c.id})<br>logit {c.logit:.2f}<br>model: {percent(c.prob_raw)}<br>"
        f"after settings: {percent(c.prob)}{'' if c.prob > 0 else ' (removed)'}"
        for label, (_, c) in zip(labels, rows)
    ]
    ticks = [
        f'<span style="color:{AFTER}"><b>▶ {html.escape(label)}</b></span>' if c.id == chart.dist.drawn.id
        else html.escape(label)
        for label, (_, c) in zip(labels, rows)
    ]
    fig = go.Figure()
    fig.add_bar(
        y=y, x=[c.prob_raw for _, c in rows], orientation="h", name="model's own probability",
        marker_color=[KEPT if c.prob > 0 else REMOVED for _, c in rows], hovertext=hover, hoverinfo="text",
    )
    fig.add_bar(y=y, x=[c.prob for _, c in rows], orientation="h", name="after your settings", marker_color=AFTER,
                hovertext=hover, hoverinfo="text")
    # a legend entry for the grey bars, which have no trace of their own
    fig.add_bar(y=[None], x=[None], orientation="h", name="removed by your settings", marker_color=REMOVED)
    # the legend goes under the bars, across the whole figure: above them it would sit under
    # plotly's toolbar, and beside the token labels it would wrap into a tall column on a phone
    fig.update_layout(
        barmode="group", bargap=0.2, height=ROW_PX * len(rows) + LEGEND_PX + 40, font={"size": FONT_PX},
        margin={"l": 10, "r": 20, "t": 30, "b": LEGEND_PX},
        legend={"orientation": "h", "xref": "container", "x": 0, "yref": "container", "y": 0, "yanchor": "bottom"},
        xaxis={"tickformat": ".0%", "rangemode": "tozero", "automargin": True},
        yaxis={"tickmode": "array", "tickvals": y, "ticktext": ticks, "autorange": "reversed", "automargin": True},
    )
    return fig


def chart_summary(gen: Generation) -> str:
    """The sentences above the chart: where it looks, what was drawn, the entropy, what was cut."""
    chart = gen.chart
    d, s = chart.dist, chart.settings
    pending = pending_after(gen.steps[: chart.position])
    drawn = piece_label(d.drawn.token, d.drawn.piece, pending)
    lines = [
        f"**Next token after {where(chart)}** · entropy {d.entropy_raw:.2f} → {d.entropy:.2f} bits · "
        f"{d.kept:,} of {chart.vocab_size:,} tokens still possible",
        f"**Settings:** {s.describe()}. **Drawn with seed {chart.seed}** (▶ on the chart): `{drawn}`, rank {d.drawn.rank:,} of "
        f"{chart.vocab_size:,} (model {percent(d.drawn.prob_raw)} → after settings {percent(d.drawn.prob)}).",
        f"**Entropy:** {d.entropy_raw:.2f} bits for the model's own distribution, {d.entropy:.2f} bits after "
        f"the settings (0 bits = no choice left; each extra bit doubles the number of plausible tokens).",
    ]
    if d.removed_raw > 0:
        lines.append(
            f"**Cut away:** {chart.vocab_size - d.kept:,} tokens that held {d.removed_raw:.1%} of the model's "
            f"own probability can no longer be drawn."
        )
    if s.greedy:
        top = d.candidates[0]
        lines.append(f"**Greedy:** temperature 0 always takes `{piece_label(top.token, top.piece, pending)}`, "
                     "the single most likely token.")
    lines.append(chart.weights_note)
    if gen.note:
        lines.append(gen.note)
    return "\n\n".join(lines)


# --- the text as chips ---------------------------------------------------------------------------------


def _details(index: int, step: D.Step, pending: bytes) -> str:
    """The chip's details box: the step, its probabilities, the top alternatives."""
    lines = [
        f"<b>step {index}</b>: {piece_label(step.token, step.piece, pending, as_html=True)} · "
        f"rank {step.rank:,} · model {percent(step.prob_raw)}, after settings {percent(step.prob)}"
        + (" (your pick)" if step.forced else ""),
        "alternatives (model / after settings):",
    ]
    lines += [
        f"&nbsp;&nbsp;{piece_label(a.token, a.piece, pending, as_html=True)}&nbsp; "
        f"{percent(a.prob_raw)} / {percent(a.prob)}" + (" ← taken" if a.id == step.id else "")
        for a in step.alternatives
    ]
    return "<br>".join(lines)


def chips_html(prompt_shown: str, steps: Sequence[D.Step], show_legend: bool = True, max_prompt_chars: int = 300) -> str:
    """The prompt in grey, then one chip per generated token (numbered from 1 in its details)."""
    shown = prompt_shown if len(prompt_shown) <= max_prompt_chars else "…" + prompt_shown[-max_prompt_chars:]
    parts = [STYLE, LEGEND if show_legend else "", "<div class='sx-text'>"]
    parts.append(f"<span class='sx-prompt'>{html.escape(shown)}</span>")
    dec = _decoder()
    for i, (step, body) in enumerate(zip(steps, chip_bodies(steps)), 1):
        pending = dec.getstate()[0]  # what this step's alternatives would continue
        if step.piece is None:
            dec.reset()
        else:
            dec.decode(step.piece)
        frame = "outline:2px solid #8E44AD;" if step.forced else ""
        parts.append(
            f"<span class='token-chip sx-chip' tabindex='0' style='background:{likelihood_colour(step.prob_raw)};{frame}'>"
            f"{body}<span class='sx-pop'>{_details(i, step, pending)}</span></span>"
            + "<br>" * step.token.count("\n")  # the chip shows ↵; the line break follows it
        )
    parts.append("</div>")
    return "".join(parts)


def text_html(gen: Generation) -> str:
    return chips_html(gen.prompt_shown, gen.steps)


def compare_column(settings: W.DecodingSettings, prompt_shown: str, steps: Sequence[D.Step]) -> str:
    return f"<b>{html.escape(settings.describe())}</b>" + chips_html(prompt_shown, steps, show_legend=False,
                                                                      max_prompt_chars=80)


# --- branching and earlier texts ------------------------------------------------------------------------


def branch_options(gen: Generation, step_no: int) -> tuple[list[tuple[str, int]], int | None]:
    """(label, token id) for each alternative at step `step_no` (from 1), and the first one not taken."""
    if not gen.steps:
        return [], None
    i = min(max(int(step_no), 1), len(gen.steps)) - 1
    step, pending = gen.steps[i], pending_after(gen.steps[:i])
    choices = [
        (f"{piece_label(a.token, a.piece, pending)}  model {percent(a.prob_raw)} / after {percent(a.prob)}"
         + ("  (taken)" if a.id == step.id else ""), a.id)
        for a in step.alternatives
    ]
    return choices, next((a.id for a in step.alternatives if a.id != step.id), None)


def branch_note(gen: Generation, i: int, token: str, piece: bytes | None) -> str:
    """What replaced what at step i + 1 (from 0), for the earlier texts."""
    pending = pending_after(gen.steps[:i])
    old = gen.steps[i]
    return (f"  ← branched at step {i + 1}: {piece_label(old.token, old.piece, pending)!r} → "
            f"{piece_label(token, piece, pending)!r}")


def earlier_md(gen: Generation) -> str:
    texts = gen.earlier_texts()
    if not texts:
        return ""
    return "**Earlier texts for this prompt** (newest first):\n\n" + "\n".join(
        f"- {html.escape(t).replace(chr(10), ' ↵ ')}" for t in reversed(texts)
    )
