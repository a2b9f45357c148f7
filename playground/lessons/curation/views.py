"""Pure views of a `Curation` (and of a self-instruct run): markdown, plotly figures and HTML tables.
Nothing here reads a model or a textbox."""

from __future__ import annotations

import html
from collections import Counter

import numpy as np
import plotly.graph_objects as go

from playground.lessons.curation import duplicates as D
from playground.lessons.curation import filters as F
from playground.lessons.curation.pipeline import CONTEXT_WINDOW, METHODS, Curation
from playground.lessons.curation.records import FORMS
from playground.lessons.curation.synthetic import Synthetic

SHOW_GROUPS = 40  # duplicate clusters drawn in the table (the counts cover all of them)
SHOW_EXAMPLES = 3  # examples per filter
METHOD_NAMES = {"exact": "exact", "near": "MinHash", "semantic": "embeddings"}


def _short(text: str, n: int = 160) -> str:
    t = " ".join(text.split())
    return html.escape(t if len(t) <= n else t[: n - 1] + "…")


def summary_md(c: Curation, enabled: tuple[str, ...], methods: tuple[str, ...]) -> str:
    kept = c.kept(enabled, methods)
    dup_rows = {m: sum(len(g) - 1 for g in c.groups(m)) for m in METHODS}
    lines = [
        f"**{c.parsed.rows:,} rows**, {FORMS[c.parsed.form]} form: **{len(c.parsed.invalid):,} invalid**, "
        f"{len(c.parsed.records):,} valid. **{len(kept):,} kept** with the filters and deduplication switched on.",
        "",
        "| step | rows it would remove |", "| --- | ---: |",
        f"| invalid (validation) | {len(c.parsed.invalid):,} |",
    ]
    lines += [f"| {METHOD_NAMES[m]} duplicates{'' if m in methods else ' (off)'} | {dup_rows[m]:,} |" for m in METHODS]
    lines += [f"| {name.replace('_', ' ')}{'' if name in enabled else ' (off)'} | {len(c.flags[name]):,} |"
              for name in F.FILTERS + F.TAB_ONLY]
    lines += [""] + [f"*{n}*" for n in c.notes]
    return "\n".join(lines)


# --- validate ----------------------------------------------------------------------------------------


SHOW_INVALID = 500  # rows listed in the table; the summary counts all of them


def invalid_rows(c: Curation) -> list[list]:
    rows = [[i, why] for i, why in c.parsed.invalid[:SHOW_INVALID]]
    if len(c.parsed.invalid) > SHOW_INVALID:
        rows.append(["…", f"and {len(c.parsed.invalid) - SHOW_INVALID:,} more invalid rows"])
    return rows


# --- look --------------------------------------------------------------------------------------------


def lengths_figure(c: Curation) -> go.Figure:
    values = np.array(list(c.lengths.values()))
    fig = go.Figure(go.Histogram(x=values, nbinsx=120, marker_color="#4c78a8", name="rows",
                                 hovertemplate="%{x} tokens: %{y} rows<extra></extra>"))
    top = int(values.max()) if len(values) else 0
    for x, label, colour in ((c.settings.max_tokens, f"training max length {c.settings.max_tokens:,}", "#e45756"),
                             (CONTEXT_WINDOW, f"context window {CONTEXT_WINDOW:,}", "#333333")):
        if x <= max(top * 1.1, c.settings.max_tokens):
            fig.add_vline(x=x, line_dash="dash", line_color=colour, annotation_text=label,
                          annotation_position="top right")
    over = sum(v > c.settings.max_tokens for v in values)
    fig.update_layout(title=f"Tokens per row after the chat template ({over:,} over the max length)",
                      xaxis_title="tokens (SmolLM2's chat template)", yaxis_title="rows (log scale)", height=340,
                      yaxis_type="log",  # a handful of very long rows stay visible beside hundreds of short ones
                      margin=dict(l=50, r=20, t=50, b=45), bargap=0.05)
    return fig


def roles_figure(c: Curation) -> go.Figure:
    turns = Counter(role for r in c.parsed.records for role, _ in r.turns)
    chars = Counter()
    for r in c.parsed.records:
        for role, content in r.turns:
            chars[role] += len(content)
    roles = [r for r in ("system", "user", "assistant") if turns[r]]
    fig = go.Figure(go.Bar(x=roles, y=[turns[r] for r in roles], marker_color=["#9d755d", "#4c78a8", "#54a24b"][:len(roles)],
                           text=[f"{turns[r]:,} turns<br>{chars[r] / turns[r]:.0f} chars each" for r in roles],
                           textposition="auto", hoverinfo="skip"))
    fig.update_layout(title="Role balance: turns per role", height=340, margin=dict(l=50, r=20, t=50, b=40),
                      yaxis_title="turns")
    return fig


def extremes(c: Curation, k: int = 3) -> list[list]:
    """The longest and the shortest rows: where problems hide."""
    order = sorted(c.lengths, key=lambda i: c.lengths[i])
    records = c.records
    picks = [("longest", i) for i in reversed(order[-k:])] + [("shortest", i) for i in order[:k]]
    return [[kind, i, c.lengths[i], " ".join(records[i].text().split())[:200]] for kind, i in picks]


# --- duplicates --------------------------------------------------------------------------------------


def clusters(c: Curation) -> list[list[int]]:
    """Rows that any method joined, as one cluster each (so a group is seen once, with every method that saw it)."""
    return D.groups_from_pairs([(g[0], i) for m in METHODS for g in c.groups(m) for i in g[1:]])


def duplicates_html(c: Curation) -> str:
    records = c.records
    cos = {}
    if c.semantic:
        for i, j, s in c.semantic.pairs:
            cos[(i, j)] = s
    member = {m: {i: g[0] for g in c.groups(m) for i in g} for m in METHODS}
    found = clusters(c)
    if not found:
        return "<p>No duplicates found by any method at these thresholds.</p>"
    head = ("<tr><th>cluster</th><th>row</th><th>text</th>"
            + "".join(f"<th>{METHOD_NAMES[m]}</th>" for m in METHODS) + "<th>Jaccard</th><th>cosine</th></tr>")
    body = []
    for n, cluster in enumerate(found[:SHOW_GROUPS], 1):
        first = cluster[0]
        base = D.shingles(records[first].text(), c.settings.shingle)
        for k, i in enumerate(cluster):
            marks = "".join(
                f"<td style='text-align:center'>{'✓' if i in member[m] and member[m][i] != i else ('·' if i in member[m] else '')}</td>"
                for m in METHODS)
            jac = "" if k == 0 else f"{D.jaccard(base, D.shingles(records[i].text(), c.settings.shingle)):.2f}"
            s = cos.get((first, i)) or cos.get((i, first))
            body.append(f"<tr style='{'border-top:2px solid #999' if k == 0 else ''}'><td>{n if k == 0 else ''}</td>"
                        f"<td>{i}</td><td>{_short(records[i].text())}</td>{marks}<td>{jac}</td>"
                        f"<td>{'' if k == 0 or s is None else f'{s:.2f}'}</td></tr>")
    more = f"<p>… and {len(found) - SHOW_GROUPS} more clusters.</p>" if len(found) > SHOW_GROUPS else ""
    return ("<p>Each cluster: its first row (kept), then the rows that duplicate it. ✓ = this method paired the row "
            "with its group, · = the group's first row in that method. Jaccard is the exact overlap of character "
            "shingles with the first row; cosine is the embeddings'.</p>"
            f"<div style='overflow-x:auto'><table style='font-size:0.9em'>{head}{''.join(body)}</table></div>{more}")


def s_curve_figure(c: Curation) -> go.Figure:
    b, r = c.near.bands, c.near.rows_per_band
    s = np.linspace(0, 1, 201)
    fig = go.Figure(go.Scatter(x=s, y=D.s_curve(s, b, r), mode="lines", name=f"{b} bands × {r} rows",
                               hovertemplate="Jaccard %{x:.2f}: caught with probability %{y:.2f}<extra></extra>"))
    records = c.records
    pairs = [(g[0], i) for g in clusters(c) for i in g[1:]][:200]
    if pairs:
        xs = [D.jaccard(D.shingles(records[a].text(), c.settings.shingle), D.shingles(records[b_].text(), c.settings.shingle))
              for a, b_ in pairs]
        near = {(g[0], i) for g in c.near.groups for i in g[1:]}
        caught = [p in near for p in pairs]
        fig.add_trace(go.Scatter(x=xs, y=[D.s_curve(np.array(x), b, r) for x in xs], mode="markers",
                                 marker=dict(size=9, color=["#54a24b" if k else "#e45756" for k in caught]),
                                 text=[f"rows {a} and {b_}: {'caught' if k else 'missed'} by MinHash"
                                       for (a, b_), k in zip(pairs, caught)],
                                 hovertemplate="%{text}<br>Jaccard %{x:.2f}<extra></extra>", name="duplicate pairs found"))
    fig.add_vline(x=c.settings.minhash_threshold, line_dash="dash", line_color="#333",
                  annotation_text=f"threshold {c.settings.minhash_threshold:.2f}")
    fig.update_layout(title="Why the threshold is soft: the LSH S-curve", xaxis_title="Jaccard similarity of two rows",
                      yaxis_title="P(they share a bucket)", height=360, margin=dict(l=50, r=20, t=50, b=45),
                      legend=dict(orientation="h", y=-0.25))
    return fig


# --- filters -----------------------------------------------------------------------------------------


def _example(record) -> str:
    """The row's answer, or its question when the answer is empty (an empty answer shows nothing)."""
    answer = record.answers()[-1] if record.answers() else ""
    if answer.strip():
        return _short(answer, 140)
    return f"<i>the answer is empty; the question:</i> {_short(record.questions()[-1] if record.questions() else '', 140)}"


def filters_html(c: Curation, enabled: tuple[str, ...]) -> str:
    records = c.records
    blocks = []
    for name in F.FILTERS + F.TAB_ONLY:
        rows = c.flags[name]
        state = "on" if name in enabled else "off"
        examples = "".join(f"<li>row {i} ({html.escape(c.why.get((name, i), ''))}): {_example(records[i])}</li>"
                           for i in rows[:SHOW_EXAMPLES])
        blocks.append(f"<details{' open' if rows and name in enabled else ''}><summary><b>{name.replace('_', ' ')}</b>: "
                      f"{len(rows):,} rows ({state}). <i>{html.escape(F.DESCRIPTIONS[name])}</i></summary>"
                      f"<ul>{examples or '<li>none</li>'}</ul></details>")
    return "".join(blocks)


# --- synthetic ---------------------------------------------------------------------------------------


def _synthetic_reason(why: str, first_new: int) -> str:
    """"near duplicate of row 2" in the seeds-then-new numbering, as "near copy of seed 3" or "... of task 1"."""
    if " duplicate of row " not in why:
        return why
    method, j = why.split(" duplicate of row ")[0], int(why.rsplit(" ", 1)[-1])
    return f"{method} copy of seed {j + 1}" if j < first_new else f"{method} duplicate of task {j - first_new + 1}"


def synthetic_html(s: Synthetic) -> str:
    removed = s.curation.removed()
    rows = []
    for k, (task, answer) in enumerate(zip(s.tasks, s.answers)):
        why = [_synthetic_reason(w, s.first_new) for w in removed.get(s.first_new + k, [])]
        status = ("<span style='color:#2a7a2a'>kept</span>" if not why else
                  f"<span style='color:#b03030'>removed: {html.escape('; '.join(why))}</span>")
        rows.append(f"<tr><td>{k + 1}</td><td>{_short(task, 200)}</td><td>{_short(answer, 300)}</td><td>{status}</td></tr>")
    return ("<div style='overflow-x:auto'><table style='font-size:0.9em'><tr><th>#</th><th>task the model wrote</th>"
            "<th>its answer</th><th>after the filters</th></tr>" + "".join(rows) + "</table></div>")


def synthetic_md(s: Synthetic) -> str:
    d = s.diversity
    survived = len(s.survivors())
    reasons = Counter(_synthetic_reason(w, s.first_new).split(" of ")[0].replace("duplicate", "copy")
                      for i, whys in s.curation.removed().items() if i >= s.first_new for w in whys)
    failed = ", ".join(f"{n} {w}" for w, n in reasons.most_common()) or "none"
    return (f"**{survived} of {len(s.tasks)}** new rows survive the same filters and deduplication (the seeds are "
            f"rows 0–{s.first_new - 1}, so copies of a seed count as duplicates). Failures: {failed}.\n\n"
            "| | distinct word pairs | spread of the tasks' embeddings |\n| --- | ---: | ---: |\n"
            f"| {s.first_new} seed tasks | {d['seeds']['distinct_bigrams']:.2f} | {d['seeds']['spread']:.2f} |\n"
            f"| {len([t for t in s.tasks if t])} new tasks | {d['synthetic']['distinct_bigrams']:.2f} | "
            f"{d['synthetic']['spread']:.2f} |\n\n"
            "*Distinct word pairs: unique two-word sequences over all of them (1.0 = none repeated). Spread: the mean "
            "cosine distance between two tasks' MiniLM embeddings (0 = all the same meaning).*")
