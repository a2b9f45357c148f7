"""HTML and plotly views for the Grounding lesson: confidence-coloured answer tokens, the
support verdict per sentence, the retrieved passages, self-consistency samples, the evaluation
summary and the abstain trade-off plot. Pure functions of the pipeline's results; no model calls."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.lessons.grounding import evaluation as ev
from playground.lessons.grounding import support as sup
from playground.lessons.grounding.answer import TokenProb
from playground.lessons.grounding.pipeline import (
    Answer,
    CheckedSentence,
    ConsistencyResult,
    Coverage,
    EvalResult,
    GroundResult,
)
from playground.lessons.grounding.retrieval import Hit
from playground.viz.colours import likelihood_colour

THRESHOLDS = np.round(np.linspace(0, 1, 101), 2)  # where the trade-off curves are sampled
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


def tokens_html(tokens: Sequence[TokenProb]) -> str:
    if not tokens:
        return "<div style='opacity:0.7'><i>(no tokens generated)</i></div>"
    parts = ["<div style='line-height:1.9'>"]
    low_run = 0
    for t in tokens:
        low = t.prob < LOW_CONFIDENCE
        low_run += low
        mark = "border-bottom:2px dashed #c0392b;" if low else ""
        title = f"p = {t.prob:.1%}, entropy {t.entropy:.2f} nats"
        text = t.token.replace("\n", "↵") or "∅"
        parts.append(
            f"<span class='token-chip' style='background:{likelihood_colour(t.prob)};color:#000;{mark}' title='{_esc(title)}'>{_esc(text)}</span>"
        )
    parts.append("</div>")
    mean = sum(t.prob for t in tokens) / len(tokens)
    parts.append(
        f"<div style='font-size:0.85em;opacity:0.85'>{len(tokens)} tokens, mean probability {mean:.0%}, "
        f"{low_run} below {LOW_CONFIDENCE:.0%}.</div>"
    )
    return "".join(parts)


def _why_not(c: sup.SentenceSupport) -> str:
    """Why the checker did not certify a sentence, in the order it checks."""
    if not c.claims:
        return "it says nothing the question did not already say"
    reasons = c.failed_rules()
    if c.missing:
        reasons.append("not in the passage: " + ", ".join(c.missing[:6]))
    return "; ".join(reasons)


def sentences_html(sentences: Sequence[CheckedSentence], retrieved: Sequence[Hit]) -> str:
    """One row per sentence: verdict, score, the checker's passage and the model's own citations."""
    if not sentences:
        return ""
    rank_of = {h.id: i for i, h in enumerate(retrieved, 1)}
    n_ok = sum(s.supported for s in sentences)
    rows = []
    for s in sentences:
        c = s.support
        best = rank_of.get(s.passage)
        where = f"[{best}]" if best else "none"
        if s.cited:
            cites = ", ".join(f"[{n}]" for n in s.cited)
            cite_note = f"model cited {cites}" + ("" if best in s.cited else " (a different passage)")
        else:
            cite_note = "model cited nothing"
        if c.supported:
            verdict, detail = "✓ supported", f"stands on {where}"
        else:
            verdict, detail = "✗ not supported", f"closest {where}: {_why_not(c)}"
            if s.main.supported and s.main.text != c.text:
                detail += f" · its main claim “{_esc(s.main.text)}” stands on [{s.main.passage + 1}]"
        rows.append(
            f"<tr><td style='padding:2px 6px'>{_esc(s.text)}</td><td style='padding:2px 6px;white-space:nowrap'>{verdict}</td>"
            f"<td style='padding:2px 6px'>{c.score:.0%}</td>"
            f"<td style='padding:2px 6px;font-size:0.9em'>{detail} · {_esc(cite_note)}</td></tr>"
        )
    head = (
        f"<div style='margin-top:6px'><b>Support:</b> {n_ok} of {len(sentences)} sentence(s) stand on a single retrieved "
        f"passage ({n_ok / len(sentences):.0%}).</div>"
    )
    table = (
        "<table style='font-size:0.9em;border-collapse:collapse'><tr><th>sentence</th><th>verdict</th>"
        "<th title='share of its content words, weighted by rarity, found in that passage'>words found</th>"
        "<th>passage</th></tr>" + "".join(rows) + "</table>"
    )
    return head + table


def answer_card(title: str, answer: Answer, retrieved: Sequence[Hit], note: str = "") -> str:
    parts = [f"<h3 style='margin:0 0 4px'>{_esc(title)}</h3>"]
    if note:
        parts.append(f"<div style='font-size:0.9em;margin-bottom:4px'>{note}</div>")
    parts.append(f"<div style='font-size:1.05em;margin:6px 0'><b>{_esc(answer.text) or '(empty answer)'}</b></div>")
    shown = answer.draft if answer.abstained else answer
    if shown is None:
        return "".join(parts)
    if answer.abstained:
        parts.append(f"<div style='font-size:0.9em;margin-top:6px'>What the model wrote, which the checker would not back: "
                     f"<i>{_esc(shown.text) or '(empty answer)'}</i></div>")
    if not shown.finished:
        parts.append("<div style='font-size:0.85em;opacity:0.8'>(cut at the token limit)</div>")
    parts.append(tokens_html(shown.tokens))
    parts.append(sentences_html(shown.sentences, retrieved))
    return "".join(parts)


def answer_views(result: GroundResult) -> tuple[str, str, str]:
    """The closed-book card, the grounded card and the retrieved passages."""
    closed = answer_card(
        "Closed book", result.closed_book, result.retrieved,
        "The question alone. Its sentences are checked against the same passages.",
    )
    note = f"The question plus the top {result.k} passages, numbered for citation ({result.mode} retrieval)."
    g = result.grounded
    if g.abstained and g.draft is None:
        note += (
            f" <b>Abstained:</b> the best passage scored {result.top_score:.2f}, below the threshold "
            f"{result.threshold:.2f}, so the model was not asked."
        )
    elif g.abstained:
        note += (
            " <b>Abstained:</b> the model answered, but no sentence of its answer has a main claim that a single "
            "retrieved passage states, so the grounded side says it does not know."
        )
    return closed, answer_card("Grounded", g, result.retrieved, note), passages_html(result.retrieved, result.mode, result.threshold)


def passages_html(retrieved: Sequence[Hit], mode: str, threshold: float) -> str:
    if not retrieved:
        return ""
    top = retrieved[0].score
    how = "cosine of MiniLM embeddings" if mode == "dense" else "½ cosine + ½ BM25 (normalised, see the knowledge base panel)"
    parts = [
        f"<div><b>Retrieved passages</b> (score = {how}). Top score {top:.2f} "
        f"{'≥' if top >= threshold else '<'} abstain threshold {threshold:.2f}.</div><ol style='margin-top:4px'>"
    ]
    for rank, h in enumerate(retrieved, 1):
        extra = f"cos {h.cosine:.2f}" + (f", BM25 {h.bm25:.2f}" if mode == "hybrid" else "")
        parts.append(
            f"<li value='{rank}'>[{rank}] <span style='opacity:0.7;font-size:0.85em'>"
            f"(knowledge-base line {h.id}, score {h.score:.2f}: {extra})</span> {_esc(h.text)}</li>"
        )
    parts.append("</ol>")
    return "".join(parts)


def consistency_html(result: ConsistencyResult) -> str:
    parts = []
    for side, title in ((result.closed_book, "Closed book"), (result.grounded, "Grounded")):
        parts.append(
            f"<div style='margin-top:6px'><b>{title}:</b> agreement {side.agreement:.2f} (mean pairwise cosine of the "
            f"{len(side.texts)} answers' embeddings; 1 = all say the same), {side.distinct} distinct answer(s).</div><ol>"
        )
        parts += [f"<li>{_esc(s) or '<i>(empty)</i>'}</li>" for s in side.texts]
        parts.append("</ol>")
    return "".join(parts)


NO_EVALUATION = "<i>No evaluation run yet: click 'Run the evaluation'.</i>"


def eval_summary_html(result: EvalResult | None, threshold: float) -> str:
    """Closed book against grounded, the grounded side under the retrieval rule alone and with
    the support rule added (what the tab does): the trade-off in counts."""
    if result is None:
        return NO_EVALUATION
    rows = list(result.rows)
    plain, gated = ev.summarise(rows, threshold, support_rule=False), ev.summarise(rows, threshold, support_rule=True)

    def pct(x):
        return "n/a" if x is None else f"{x:.0%}"

    def line(label: str, closed: str, a: str, b: str) -> str:
        cells = "".join(f"<td style='padding:2px 10px'>{v}</td>" for v in (label, closed, a, b))
        return f"<tr>{cells}</tr>"

    th = "".join(
        f"<th style='padding:2px 10px'>{h}</th>"
        for h in ("", "closed book", f"grounded: retrieval score ≥ {threshold:.2f}",
                  "grounded: and a supported main claim (the tab's rule)")
    )
    body = [
        line(f"accuracy ({plain.n} questions)", pct(plain.closed_accuracy), pct(plain.grounded_accuracy), pct(gated.grounded_accuracy)),
        line(f"right on the {plain.answerable} answerable", "–", f"{plain.answerable_right}", f"{gated.answerable_right}"),
        line(f"abstained on the {plain.unanswerable} unanswerable", "–", f"{plain.unanswerable_abstained}",
             f"{gated.unanswerable_abstained}"),
        line("answered (did not abstain)", "100%", pct(plain.coverage), pct(gated.coverage)),
        line("wrong answers given", "–", f"{plain.wrong_answers}", f"{gated.wrong_answers}"),
        line("sentences supported by the passages", pct(plain.closed_support), pct(plain.grounded_support),
             pct(gated.grounded_support)),
        line("gold passage retrieved", "–", pct(plain.retrieval_recall), pct(gated.retrieval_recall)),
    ]
    return (
        f"<div style='font-size:0.9em;opacity:0.8'>{_esc(result.label)}</div>"
        f"<table style='border-collapse:collapse;margin-top:4px'><tr>{th}</tr>{''.join(body)}</table>"
    )


EVAL_HEADERS = ["question", "gold", "closed book", "grounded", "top score"]


def eval_table(result: EvalResult, threshold: float) -> list[list[str]]:
    """One row per question: the gold fact, both answers marked right or wrong (the grounded one
    under the tab's rule), and the top retrieval score."""
    table = []
    for r in result.rows:
        abstains = r.abstains(threshold)
        why = "retrieval score below the threshold" if r.top_score < threshold else "no supported main claim"
        grounded = (
            f"{'✓' if ev.is_correct(r.grounded_answer, r.gold, abstained=abstains) else '✗'} "
            + (f"(abstains: {why}) would have said: " if abstains else "")
            + r.grounded_answer
        )
        table.append([
            r.question,
            ", ".join(r.gold) or "(not in the knowledge base)",
            f"{'✓' if ev.is_correct(r.closed_answer, r.gold) else '✗'} {r.closed_answer}",
            grounded,
            f"{r.top_score:.2f}",
        ])
    return table


def tradeoff_figure(
    threshold: float, coverage: Coverage | None, evaluation: EvalResult | None, answer: GroundResult | None
) -> go.Figure | None:
    """Against the abstain threshold: the share of questions that pass it (live, from retrieval
    scores) and, from the last evaluation, coverage and accuracy with the support rule (solid)
    and without it (dotted)."""
    if coverage is None or not coverage.top_scores:
        return None
    xs = [float(t) for t in THRESHOLDS]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ev.coverage_curve(list(coverage.top_scores), THRESHOLDS),
                             name="pass the retrieval threshold (live)", mode="lines", line=dict(color="#1f77b4")))
    if evaluation is not None:
        rows = list(evaluation.rows)
        plain, gated = ev.tradeoff(rows, THRESHOLDS, support_rule=False), ev.tradeoff(rows, THRESHOLDS, support_rule=True)
        fig.add_trace(go.Scatter(x=xs, y=gated["coverage"], name="answered, with the support rule", mode="lines",
                                 line=dict(color="#2ca02c")))
        fig.add_trace(go.Scatter(x=xs, y=gated["accuracy"], name="grounded accuracy, with the support rule", mode="lines",
                                 line=dict(color="#d62728")))
        fig.add_trace(go.Scatter(x=xs, y=plain["accuracy"], name="grounded accuracy, retrieval rule only", mode="lines",
                                 line=dict(color="#d62728", dash="dot")))
    fig.add_vline(x=threshold, line_dash="dash", line_color="#888", annotation_text=f"threshold {threshold:.2f}")
    if answer is not None:
        fig.add_vline(x=answer.top_score, line_dash="dot", line_color="#8E44AD", annotation_text="your question",
                      annotation_position="bottom right")
    fig.update_layout(
        height=340,
        margin=dict(l=40, r=10, t=30, b=40),
        xaxis_title="abstain threshold (top retrieval score)",
        yaxis=dict(title="share of evaluation questions", range=[0, 1.05], tickformat=".0%"),
        showlegend=True,
        legend=dict(orientation="h", y=-0.25),
        title=None,
    )
    return fig


def checker_html(whole_kb: sup.Quality, retrieved: dict[str, sup.Quality] | None = None) -> str:
    """What the support checker does, what it cannot tell, and how often it is right on the
    labelled sentences (measured in this process, not quoted)."""

    def row(label: str, q: sup.Quality) -> str:
        return (
            f"<tr><td style='padding:2px 8px'>{_esc(label)}</td><td style='padding:2px 8px'>{q.precision:.1%}</td>"
            f"<td style='padding:2px 8px'>{q.recall:.1%}</td><td style='padding:2px 8px'>{q.false_positives} of "
            f"{q.n - q.positives}</td><td style='padding:2px 8px'>{q.positives - q.true_positives} of {q.positives}</td></tr>"
        )

    rows = [row("against the whole knowledge base", whole_kb)]
    rows += [row(f"against the passages {label} retrieval gives it (k=3)", q) for label, q in (retrieved or {}).items()]
    mistakes = ""
    if retrieved:
        q = next(iter(retrieved.values()))
        items = "".join(
            f"<li>{'certified, but no passage says so' if not w.supported else 'missed'} ({_esc(w.kind)}): "
            f"<i>{_esc(w.sentence)}</i></li>"
            for w in q.wrong
        )
        mistakes = f"<div style='margin-top:4px'>Its mistakes with {next(iter(retrieved))} retrieval:</div><ul>{items}</ul>"
    return (
        "<div style='font-size:0.92em'>"
        "<p>A sentence is <b>supported</b> when <b>one</b> retrieved passage contains every number in it, every name "
        "in it (except names the question gave), any 'not' in it, and at least "
        f"{sup.SUPPORT_THRESHOLD:.0%} of its content words weighted by how rare each word is in the knowledge base "
        "(plurals and tenses matched). Words from different passages never add up. A bare answer ('The answer is: 17') "
        "is read with the question's words, and a sentence that only repeats the question claims nothing.</p>"
        "<p><b>It can tell</b> a wrong number, a swapped name, and a claim built from words of several passages. "
        "<b>It cannot tell</b> word order or relations (a passage that says <i>western</i> coast still backs a sentence "
        "saying <i>eastern</i> when every other word matches), a paraphrase in words the passage does not use, a "
        "'not' inside the passage, or whether a true sentence answers the question at all. It is a word-level "
        "check for a lesson, not a fact-checker. Asked 'does the passage say so?', SmolLM2-135M itself did no better "
        "than a coin on these sentences (tested while building the checker), so the model is not asked.</p>"
        f"<p>Measured now on {whole_kb.n} labelled sentences (assets/grounding/support_labels.jsonl: {whole_kb.positives} "
        "supported, the rest hard negatives: wrong numbers, swapped names, inventions that reuse the passages' words, "
        "and sentences SmolLM2 wrote). Precision = of the sentences marked supported, the share that are; recall = of "
        "the supported ones, the share it marks.</p>"
        "<table style='border-collapse:collapse'><tr><th style='padding:2px 8px'></th><th style='padding:2px 8px'>precision</th>"
        "<th style='padding:2px 8px'>recall</th><th style='padding:2px 8px'>certified wrongly</th>"
        "<th style='padding:2px 8px'>missed</th></tr>" + "".join(rows) + "</table>" + mistakes + "</div>"
    )
