"""Grounding lesson: watch a model hallucinate, then ground it with retrieval and check its claims.

The learner asks about Quillmere, an island invented for this project, so no model can know it.
SmolLM2-135M answers twice: closed book (it answers fluently anyway: it invents), and grounded
on the top-k passages retrieved from the knowledge base, numbered so it can cite them. Every
answer token is coloured by the model's own probability; a support checker marks each sentence
supported or not by the passages; below a retrieval-score threshold the grounded side abstains;
several sampled answers show how much the model agrees with itself; and an evaluation panel
runs the built-in questions both ways and reports the accuracies and support rates, live.

The pipeline (input checks, retrieve, answer, check) is in `grounding_pipeline.py`,
retrieval in `grounding_retrieval.py`, prompting and the decoding loop with token
probabilities in `grounding_answer.py`, the support checker in `grounding_support.py`, the
scoring rule in `grounding_eval.py`, and the HTML / plotly views in `grounding_view.py`.
"""

from __future__ import annotations

import time

import gradio as gr
import numpy as np

from playground.lessons.grounding import evaluation as ev
from playground.lessons.grounding import retrieval as ret
from playground.lessons.grounding import view as view
from playground.lessons.grounding.pipeline import (
    ANSWER_TEMPERATURE,
    DEFAULT_K,
    DEFAULT_THRESHOLD,
    IDK,
    MAX_K,
    MAX_SAMPLES,
    MAX_SEED,
    api_view,
    check_settings,
    consistency,
    default_settings,
    eval_top_scores,
    evaluate,
    ground_full,
    read_upload,
    settings_from,
)
from playground.models import ModelHub
from playground.checks import check_float, check_int
from playground.ui.errors import friendly
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "Grounding"

THRESHOLDS = np.round(np.linspace(0, 1, 101), 2)  # where the trade-off curves are sampled


# --- the tab --------------------------------------------------------------------------------------

EXAMPLES = [
    ["What is the capital of Quillmere?"],
    ["Who is the Harbourwarden of Quillmere today?"],
    ["How tall is Mount Corvel?"],
    ["Who designed the flag of Quillmere?"],
    ["Who won the 1998 World Cup?"],
]


def build_tab(hub: ModelHub) -> None:
    lesson_intro(
        "A language model answers fluently whether or not it knows. Quillmere is an island invented "
        "for this course, so SmolLM2 cannot know anything about it: closed book, it invents. Retrieval "
        "puts the facts into the prompt, and a checker measures which sentences the sources support.",
        [
            "The closed-book answer is confident-sounding and wrong; the token colours show where the "
            "model was unsure (often exactly the invented name or number).",
            "The grounded answer copies from the passages; the support checker, not the model's "
            "citations, says which sentences stand on them.",
            "Below the abstain threshold the grounded side says it does not know instead of guessing.",
        ],
        [
            "Ask about the Harbourwarden with retrieval set to dense (Knowledge base panel): the right passage "
            "is missed, and hybrid (with BM25) finds it.",
            "Ask who won the 1998 World Cup: nothing in the knowledge base is close, so the grounded side abstains "
            "(and the closed-book side may well know: this is about sources, not intelligence).",
            "Change the seed and ask again: the closed-book answer changes, the grounded one barely does. "
            "Sample several answers to measure it.",
            "Edit a passage (say, change the capital) and ask again: the grounded answer follows the sources.",
        ],
    )
    settings = gr.State(default_settings())
    full_state = gr.State(None)
    eval_state = gr.State(None)
    scores_state = gr.State(None)

    with gr.Row():
        with gr.Column(scale=3):
            question = gr.Textbox(label="Question", value="What is the capital of Quillmere?", lines=2, max_lines=4)
            gr.Examples(EXAMPLES, inputs=[question], label="One-click questions")
        with gr.Column(scale=2):
            k = gr.Slider(1, MAX_K, value=DEFAULT_K, step=1, label="Passages to retrieve (k)")
            threshold = gr.Slider(0, 1, value=DEFAULT_THRESHOLD, step=0.01, label="Abstain below this retrieval score")
            seed = gr.Number(value=0, precision=0, label=f"Seed (answers are sampled at temperature {ANSWER_TEMPERATURE})")
            ask = gr.Button("Ask both ways", variant="primary")
    gr.HTML(view.LEGEND)
    with gr.Row():
        closed_html = gr.HTML(label="Closed book")
        grounded_html = gr.HTML(label="Grounded")
    passages_html = gr.HTML()
    with gr.Accordion("Raw result (what the ground API returns)", open=False):
        api_json = gr.JSON(label="ground")

    with gr.Accordion("Knowledge base", open=False):
        gr.Markdown(
            "One passage per line. The built-in base is fifty facts about Quillmere, written for this course. "
            "**Dense** retrieval ranks passages by the cosine of MiniLM sentence embeddings; **hybrid** adds BM25 "
            "word matching: score = ½ cosine + ½ min(1, BM25 / the BM25 a passage holding every question word once "
            "would get). Both scores are absolute, so one abstain threshold works for either."
        )
        mode = gr.Radio(list(ret.MODES), value=ret.DEFAULT_MODE, label="Retrieval")
        kb_text = gr.Textbox(value=ret.builtin_text(), lines=10, max_lines=20, label="Passages")
        with gr.Row():
            upload = gr.File(label="Upload a .txt file (one passage per line)", file_types=[".txt"], type="filepath")
            restore = gr.Button("Restore the built-in knowledge base")

    gr.Markdown("### Self-consistency: does the model agree with itself?")
    with gr.Row():
        n_samples = gr.Slider(2, MAX_SAMPLES, value=5, step=1, label="Answers to sample")
        temperature = gr.Slider(0.1, 1.5, value=1.0, step=0.1, label="Temperature")
        sample_btn = gr.Button("Sample answers")
    consistency_html = gr.HTML()
    consistency_json = gr.JSON(visible=False)

    gr.Markdown(
        "### Evaluation: the built-in questions, both ways\n"
        "Twelve questions the knowledge base answers and three it does not. An answer is **correct** when it contains "
        "the gold fact (case-insensitive, whole words, '1,412' = '1412'); for the three unanswerable ones, the right "
        "answer is to abstain or say so. Accuracy and support are computed live (about a minute or two on a CPU). "
        "Moving the abstain slider rescores the stored answers without running the model again."
    )
    eval_btn = gr.Button("Run the evaluation")
    eval_html = gr.HTML()
    tradeoff_plot = gr.Plot(label="Abstain trade-off")
    eval_table = gr.Dataframe(
        headers=["question", "gold", "closed book", "grounded", "top score"], wrap=True, interactive=False, visible=False,
        column_widths=["20%", "10%", "30%", "32%", "8%"],
    )

    # --- handlers ---------------------------------------------------------------------------------

    @friendly
    def sync_settings(kb: str, m: str) -> dict:
        return settings_from(kb, m)

    @friendly
    def ground(q: str, kk: float, thr: float, sd: float, st: dict, progress=gr.Progress()):
        kk = check_int(kk, low=1, high=MAX_K, what="k")
        thr = check_float(thr, low=0.0, high=1.0, what="The abstain threshold")
        sd = check_int(sd, low=0, high=MAX_SEED, what="The seed")
        passages, m = check_settings(st)
        progress(0.1, desc="retrieving and answering")
        full = ground_full(hub, q, kk, thr, sd, passages, m)
        return api_view(full), full

    @friendly
    def render(full: dict | None):
        if not full:
            return "", "", ""
        retrieved = full["retrieved"]
        closed = view.answer_card(
            "Closed book", full["closed_book"], retrieved,
            "The question alone. Its sentences are checked against the same passages.",
        )
        g = full["grounded"]
        note = f"The question plus the top {full['k']} passages, numbered for citation ({full['mode']} retrieval)."
        if g["abstained"]:
            note += (
                f" <b>Abstained:</b> the best passage scored {full['top_score']:.2f}, below the threshold "
                f"{full['threshold']:.2f}, so the model was not asked."
            )
        return closed, view.answer_card("Grounded", g, retrieved, note), view.passages_html(retrieved, full["mode"], full["threshold"])

    @friendly
    def top_scores(st: dict):
        passages, m = check_settings(st)
        return eval_top_scores(hub, passages, m)

    @friendly
    def redraw(thr: float, scores: list[float] | None, rows_state: dict | None, full: dict | None):
        thr = check_float(thr, low=0.0, high=1.0, what="The abstain threshold")
        return _tradeoff(thr, scores, rows_state, full), *_eval_view(rows_state, thr)

    @friendly
    def sample(q: str, n: float, t: float, sd: float, kk: float, st: dict):
        n = check_int(n, low=2, high=MAX_SAMPLES, what="The number of answers")
        t = check_float(t, low=0.0, high=2.0, what="The temperature", low_open=True)
        sd = check_int(sd, low=0, high=MAX_SEED, what="The seed")
        kk = check_int(kk, low=1, high=MAX_K, what="k")
        passages, m = check_settings(st)
        result = consistency(hub, q, n, t, sd, kk, passages, m)
        return result, view.consistency_html(result)

    @friendly
    def run_eval(kk: float, sd: float, thr: float, st: dict, progress=gr.Progress()):
        kk = check_int(kk, low=1, high=MAX_K, what="k")
        sd = check_int(sd, low=0, high=MAX_SEED, what="The seed")
        thr = check_float(thr, low=0.0, high=1.0, what="The abstain threshold")
        passages, m = check_settings(st)
        start = time.perf_counter()
        rows = evaluate(hub, passages, m, kk, sd, progress)
        label = (
            f"Evaluation run at {time.strftime('%H:%M:%S')}: k={kk}, {m} retrieval, seed {sd}, "
            f"{time.perf_counter() - start:.0f} s"
            + ("" if st.get("builtin", True) else "; the knowledge base was edited, and the gold answers were written for the built-in one")
        )
        rows_state = {"rows": [r.__dict__ for r in rows], "label": label}
        scores = [r.top_score for r in rows]
        html_out, table = _eval_view(rows_state, thr)
        return rows_state, scores, html_out, table, _tradeoff(thr, scores, rows_state, None)

    @friendly
    def load_file(path: str | None):
        return read_upload(path)

    @friendly
    def restore_kb():
        return ret.builtin_text(), ret.DEFAULT_MODE

    # --- wiring -------------------------------------------------------------------------------------

    ask_event = ask.click(sync_settings, [kb_text, mode], [settings], api_name="grounding_settings", **LIGHT_WORK)
    ask_event = ask_event.success(ground, [question, k, threshold, seed, settings], [api_json, full_state], api_name="ground", **MODEL_WORK)
    ask_event = ask_event.success(render, [full_state], [closed_html, grounded_html, passages_html], api_name="grounding_render", **LIGHT_WORK)
    ask_event = ask_event.success(top_scores, [settings], [scores_state], api_name="grounding_top_scores", **MODEL_WORK)
    ask_event.success(redraw, [threshold, scores_state, eval_state, full_state], [tradeoff_plot, eval_html, eval_table], api_name="grounding_tradeoff", **LIGHT_WORK)
    threshold.release(
        redraw, [threshold, scores_state, eval_state, full_state], [tradeoff_plot, eval_html, eval_table], api_name="grounding_threshold", **LIGHT_WORK
    )
    sample_event = sample_btn.click(sync_settings, [kb_text, mode], [settings], api_name="grounding_settings_sample", **LIGHT_WORK)
    sample_event.success(
        sample, [question, n_samples, temperature, seed, k, settings], [consistency_json, consistency_html], api_name="consistency", **MODEL_WORK
    )
    eval_event = eval_btn.click(sync_settings, [kb_text, mode], [settings], api_name="grounding_settings_eval", **LIGHT_WORK)
    eval_event.success(
        run_eval, [k, seed, threshold, settings], [eval_state, scores_state, eval_html, eval_table, tradeoff_plot],
        api_name="grounding_eval", **MODEL_WORK,
    )
    upload.upload(load_file, [upload], [kb_text], api_name="grounding_upload", **LIGHT_WORK)
    restore.click(restore_kb, None, [kb_text, mode], api_name="grounding_restore", **LIGHT_WORK)


def _eval_view(rows_state: dict | None, thr: float):
    if not rows_state:
        return "<i>No evaluation run yet: click 'Run the evaluation'.</i>", gr.Dataframe(visible=False)
    rows = [ev.EvalRow(**{**r, "gold": tuple(r["gold"])}) for r in rows_state["rows"]]
    s = ev.summarise(rows, thr)
    table = [
        [
            r.question,
            ", ".join(r.gold) or "(not in the knowledge base)",
            f"{'✓' if ev.is_correct(r.closed_answer, r.gold) else '✗'} {r.closed_answer}",
            (
                f"{'✓' if ev.is_correct(r.grounded_answer, r.gold, abstained=r.top_score < thr) else '✗'} "
                + (f"(abstains: {IDK}) would have said: " if r.top_score < thr else "")
                + r.grounded_answer
            ),
            f"{r.top_score:.2f}",
        ]
        for r in rows
    ]
    return view.eval_summary_html(s, rows_state["label"]), gr.Dataframe(value=table, visible=True)


def _tradeoff(thr: float, scores: list[float] | None, rows_state: dict | None, full: dict | None):
    if not scores:
        return None
    accuracy, label = None, ""
    if rows_state:
        rows = [ev.EvalRow(**{**r, "gold": tuple(r["gold"])}) for r in rows_state["rows"]]
        accuracy = ev.tradeoff(rows, THRESHOLDS)["accuracy"]
        label = "from the last evaluation run"
    coverage = ev.coverage_curve(scores, THRESHOLDS)
    q_score = full["top_score"] if full else None
    return view.tradeoff_figure(list(map(float, THRESHOLDS)), coverage, accuracy, thr, q_score, label)
