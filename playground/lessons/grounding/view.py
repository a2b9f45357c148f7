"""HTML and plotly views for the Grounding lesson: confidence-coloured answer tokens, the
support verdict per sentence, the retrieved passages, self-consistency samples, the evaluation
summary and the abstain trade-off plot. Pure functions of plain data; no model calls."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from playground.viz.generated_chips import likelihood_colour

LOW_CONFIDENCE = 0.30  # tokens the model gave less than this probability are marked


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


LEGEND = (
    "<div style='font-size:0.85em;margin:2px 0 6px'>Token colour = the model's own probability for the "
    "token it wrote: "
    + " ".join(
        f"<span class='token-chip' style='background:{likelihood_colour(p)};color:#000'>{p:.0%}</span>" for p in (0.02, 0.1, 0.3, 0.6, 0.95)
    )
    + f". A dashed red underline marks low confidence (below {LOW_CONFIDENCE:.0%}). Hover a token for its "
    "probability and the entropy of that step.</div>"
)


def tokens_html(tokens: list[dict]) -> str:
    if not tokens:
        return "<div style='opacity:0.7'><i>(no tokens generated)</i></div>"
    parts = ["<div style='line-height:1.9'>"]
    low_run = 0
    for t in tokens:
        p, h = t["prob"], t.get("entropy")
        low = p < LOW_CONFIDENCE
        low_run += low
        mark = "border-bottom:2px dashed #c0392b;" if low else ""
        title = f"p = {p:.1%}" + (f", entropy {h:.2f} nats" if h is not None else "")
        text = t["token"].replace("\n", "↵") or "∅"
        parts.append(
            f"<span class='token-chip' style='background:{likelihood_colour(p)};color:#000;{mark}' title='{_esc(title)}'>{_esc(text)}</span>"
        )
    parts.append("</div>")
    probs = [t["prob"] for t in tokens]
    parts.append(
        f"<div style='font-size:0.85em;opacity:0.85'>{len(tokens)} tokens, mean probability {sum(probs) / len(probs):.0%}, "
        f"{low_run} below {LOW_CONFIDENCE:.0%}.</div>"
    )
    return "".join(parts)


def sentences_html(sentences: list[dict], retrieved: list[dict]) -> str:
    """One row per sentence: verdict, score, the checker's passage and the model's own citations."""
    if not sentences:
        return ""
    rank_of = {r["id"]: i for i, r in enumerate(retrieved, 1)}
    n_ok = sum(s["supported"] for s in sentences)
    rows = []
    for s in sentences:
        ok = s["supported"]
        verdict = "✓ supported" if ok else "✗ not supported"
        best = rank_of.get(s["passage"])
        where = f"[{best}]" if best else "none"
        cited = s.get("cited") or []
        if cited:
            cites = ", ".join(f"[{c}]" for c in cited)
            cite_note = f"model cited {cites}" + ("" if best in cited else " (a different passage)")
        else:
            cite_note = "model cited nothing"
        why = ""
        if not ok and s.get("missing"):
            why = " · not in the passage: " + ", ".join(_esc(w) for w in s["missing"][:6])
        if not ok and s.get("numbers_ok") is False:
            why += " · a number does not match"
        rows.append(
            f"<tr><td style='padding:2px 6px'>{_esc(s['text'])}</td><td style='padding:2px 6px;white-space:nowrap'>{verdict}</td>"
            f"<td style='padding:2px 6px'>{s['score']:.2f}<span style='opacity:0.6;font-size:0.85em'> "
            f"(cos {s.get('cosine', 0):.2f}, words {s.get('lexical', 0):.0%})</span></td>"
            f"<td style='padding:2px 6px;font-size:0.9em'>checker's best match {_esc(where)} · {_esc(cite_note)}{why}</td></tr>"
        )
    head = (
        f"<div style='margin-top:6px'><b>Support:</b> {n_ok} of {len(sentences)} sentence(s) stand on the retrieved "
        f"passages ({n_ok / len(sentences):.0%}).</div>"
    )
    table = (
        "<table style='font-size:0.9em;border-collapse:collapse'><tr><th>sentence</th><th>verdict</th>"
        "<th>score</th><th>passage</th></tr>" + "".join(rows) + "</table>"
    )
    return head + table


def answer_card(title: str, side: dict, retrieved: list[dict], note: str = "") -> str:
    parts = [f"<h3 style='margin:0 0 4px'>{_esc(title)}</h3>"]
    if note:
        parts.append(f"<div style='font-size:0.9em;margin-bottom:4px'>{note}</div>")
    if side.get("abstained"):
        parts.append(f"<div style='font-size:1.1em;margin:6px 0'><b>{_esc(side['answer'])}</b></div>")
        return "".join(parts)
    parts.append(f"<div style='font-size:1.05em;margin:6px 0'><b>{_esc(side['answer']) or '(empty answer)'}</b></div>")
    if not side.get("finished", True):
        parts.append("<div style='font-size:0.85em;opacity:0.8'>(cut at the token limit)</div>")
    parts.append(tokens_html(side.get("tokens", [])))
    parts.append(sentences_html(side.get("sentences", []), retrieved))
    return "".join(parts)


def passages_html(retrieved: list[dict], mode: str, threshold: float) -> str:
    if not retrieved:
        return ""
    top = retrieved[0]["score"]
    how = "cosine of MiniLM embeddings" if mode == "dense" else "½ cosine + ½ BM25 (normalised, see the knowledge base panel)"
    parts = [
        f"<div><b>Retrieved passages</b> (score = {how}). Top score {top:.2f} "
        f"{'≥' if top >= threshold else '<'} abstain threshold {threshold:.2f}.</div><ol style='margin-top:4px'>"
    ]
    for r in retrieved:
        extra = f"cos {r['cosine']:.2f}" + (f", BM25 {r['bm25']:.2f}" if mode == "hybrid" else "")
        parts.append(
            f"<li value='{retrieved.index(r) + 1}'>[{retrieved.index(r) + 1}] <span style='opacity:0.7;font-size:0.85em'>"
            f"(knowledge-base line {r['id']}, score {r['score']:.2f}: {extra})</span> {_esc(r['text'])}</li>"
        )
    parts.append("</ol>")
    return "".join(parts)


def consistency_html(result: dict) -> str:
    parts = []
    for key, title in (("closed_book", "Closed book"), ("grounded", "Grounded")):
        side = result[key]
        agree = side["agreement"]
        parts.append(
            f"<div style='margin-top:6px'><b>{title}:</b> agreement {agree:.2f} (mean pairwise cosine of the "
            f"{len(side['samples'])} answers' embeddings; 1 = all say the same), {side['distinct']} distinct answer(s).</div><ol>"
        )
        parts += [f"<li>{_esc(s) or '<i>(empty)</i>'}</li>" for s in side["samples"]]
        parts.append("</ol>")
    return "".join(parts)


def eval_summary_html(s, label: str) -> str:
    def pct(x):
        return "n/a" if x is None else f"{x:.0%}"

    return (
        f"<div style='font-size:0.9em;opacity:0.8'>{_esc(label)}</div>"
        "<table style='border-collapse:collapse;margin-top:4px'>"
        "<tr><th style='padding:2px 10px'></th><th style='padding:2px 10px'>closed book</th><th style='padding:2px 10px'>grounded</th></tr>"
        f"<tr><td style='padding:2px 10px'>accuracy ({s.n} questions)</td><td style='padding:2px 10px'>{pct(s.closed_accuracy)}</td>"
        f"<td style='padding:2px 10px'>{pct(s.grounded_accuracy)}</td></tr>"
        f"<tr><td style='padding:2px 10px'>sentences supported by the passages</td><td style='padding:2px 10px'>{pct(s.closed_support)}</td>"
        f"<td style='padding:2px 10px'>{pct(s.grounded_support)}</td></tr>"
        f"<tr><td style='padding:2px 10px'>answered (not abstained) at threshold {s.threshold:.2f}</td><td style='padding:2px 10px'>100%</td>"
        f"<td style='padding:2px 10px'>{pct(s.coverage)}</td></tr>"
        f"<tr><td style='padding:2px 10px'>gold passage retrieved</td><td style='padding:2px 10px'>–</td>"
        f"<td style='padding:2px 10px'>{pct(s.retrieval_recall)}</td></tr></table>"
    )


def tradeoff_figure(
    thresholds: list[float],
    coverage: list[float],
    accuracy: list[float] | None,
    threshold: float,
    question_score: float | None,
    accuracy_label: str,
) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=thresholds, y=coverage, name="answered (live, from retrieval scores)", mode="lines"))
    if accuracy is not None:
        fig.add_trace(go.Scatter(x=thresholds, y=accuracy, name=f"grounded accuracy ({accuracy_label})", mode="lines"))
    fig.add_vline(x=threshold, line_dash="dash", line_color="#888", annotation_text=f"threshold {threshold:.2f}")
    if question_score is not None:
        fig.add_vline(x=question_score, line_dash="dot", line_color="#8E44AD", annotation_text="your question", annotation_position="bottom right")
    fig.update_layout(
        height=300,
        margin=dict(l=40, r=10, t=30, b=40),
        xaxis_title="abstain threshold (top retrieval score)",
        yaxis=dict(title="share of evaluation questions", range=[0, 1.05], tickformat=".0%"),
        showlegend=True,
        legend=dict(orientation="h", y=1.15),
        title=None,
    )
    return fig
