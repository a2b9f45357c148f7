"""Grounding lesson: watch a model hallucinate, then ground it with retrieval and check its claims.

The learner asks about Quillmere, an island invented for this project, so no model can know it.
SmolLM2-135M answers twice: closed book (it answers fluently anyway: it invents), and grounded
on the top-k passages retrieved from the knowledge base, numbered so it can cite them. Every
answer token is coloured by the model's own probability; a support checker marks each sentence
supported or not by a single passage (its precision measured on labelled sentences, shown beside
it); the grounded side abstains below a retrieval-score threshold and when the checker backs no
claim of its answer;
several sampled answers show how much the model agrees with itself; and an evaluation panel
runs the built-in questions both ways and reports the accuracies and support rates, live.

The pipeline (input checks, retrieve, answer, check; one result dataclass per computation) is
in `pipeline.py`, retrieval in `retrieval.py`, prompting and generation with token
probabilities in `answer.py`, the support checker in `support.py`, the scoring rule in
`evaluation.py`, and the HTML / plotly views (pure functions of the results) in `view.py`.
This module holds the layout, the handlers and the wiring.
"""

from __future__ import annotations

import hashlib
import time

import gradio as gr

from playground.checks import check_float, check_int
from playground.lru import BoundedLRU
from playground.lessons.grounding import pipeline as pipe
from playground.lessons.grounding import prediction
from playground.lessons.grounding import retrieval as ret
from playground.lessons.grounding import view
from playground.lessons.grounding.pipeline import (
    ConsistencyResult,
    Coverage,
    EvalResult,
    GroundResult,
    KnowledgeBase,
)
from playground.models import ModelHub
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.predict import predict_box, record
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "Grounding"

EXAMPLES = [
    ["What is the capital of Quillmere?"],
    ["Who is the Harbourwarden of Quillmere today?"],
    ["How tall is Mount Corvel?"],
    ["Who designed the flag of Quillmere?"],
    ["Who won the 1998 World Cup?"],
]


# --- handlers (the hub is bound with functools.partial in build_tab) -----------------------------


@friendly
def read_knowledge_base(kb_text: str, mode: str) -> KnowledgeBase:
    return pipe.knowledge_base_from(kb_text, mode)


GROUNDED: BoundedLRU[GroundResult] = BoundedLRU(32)  # recent answers by their inputs (the views only read them)


@friendly
def ground(hub: ModelHub, question: str, k: float, threshold: float, seed: float, kb: KnowledgeBase | None,
           progress=gr.Progress()) -> tuple[dict, GroundResult]:
    k = check_int(k, low=1, high=pipe.MAX_K, what="k")
    threshold = check_float(threshold, low=0.0, high=1.0, what="The abstain threshold")
    seed = check_int(seed, low=0, high=pipe.MAX_SEED, what="The seed")
    kb = pipe.check_knowledge_base(kb)
    progress(0.1, desc="retrieving and answering")
    # seeded, so the same inputs give the same answers: a class opening the tab on its first view, or pressing Ask
    # on the same question, waits for one generation, not one each
    key = (question, k, threshold, seed, kb.mode, hashlib.sha256("\n".join(kb.passages).encode()).hexdigest())
    result = GROUNDED.get_or_compute(key, lambda: pipe.ground(hub, question, k, threshold, seed, kb.passages, kb.mode))
    return result.as_json(), result


@friendly
def show_answer(result: GroundResult | None) -> tuple[str, str, str]:
    return view.answer_views(result) if result is not None else ("", "", "")


@friendly
def measure_coverage(hub: ModelHub, kb: KnowledgeBase | None) -> Coverage:
    kb = pipe.check_knowledge_base(kb)
    return pipe.coverage(hub, kb.passages, kb.mode)


@friendly
def show_evaluation(threshold: float, coverage: Coverage | None, evaluation: EvalResult | None,
                    answer: GroundResult | None):
    """The trade-off plot, the evaluation summary and its table, at the slider's threshold."""
    threshold = check_float(threshold, low=0.0, high=1.0, what="The abstain threshold")
    figure = view.tradeoff_figure(threshold, coverage, evaluation, answer)
    if evaluation is None:
        return figure, view.NO_EVALUATION, gr.Dataframe(visible=False)
    return figure, view.eval_summary_html(evaluation, threshold), gr.Dataframe(value=view.eval_table(evaluation, threshold), visible=True)


@friendly
def sample(hub: ModelHub, question: str, n: float, temperature: float, seed: float, k: float,
           kb: KnowledgeBase | None) -> ConsistencyResult:
    n = check_int(n, low=2, high=pipe.MAX_SAMPLES, what="The number of answers")
    temperature = check_float(temperature, low=0.0, high=2.0, what="The temperature", low_open=True)
    seed = check_int(seed, low=0, high=pipe.MAX_SEED, what="The seed")
    k = check_int(k, low=1, high=pipe.MAX_K, what="k")
    kb = pipe.check_knowledge_base(kb)
    return pipe.consistency(hub, question, n, temperature, seed, k, kb.passages, kb.mode)


@friendly
def show_samples(result: ConsistencyResult | None) -> str:
    return view.consistency_html(result) if result is not None else ""


@friendly
def run_evaluation(hub: ModelHub, k: float, seed: float, kb: KnowledgeBase | None,
                   progress=gr.Progress()) -> tuple[EvalResult, Coverage]:
    k = check_int(k, low=1, high=pipe.MAX_K, what="k")
    seed = check_int(seed, low=0, high=pipe.MAX_SEED, what="The seed")
    kb = pipe.check_knowledge_base(kb)
    start = time.perf_counter()
    rows = pipe.evaluate(hub, kb.passages, kb.mode, k, seed, progress)
    label = (
        f"Evaluation run at {time.strftime('%H:%M:%S')}: k={k}, {kb.mode} retrieval, seed {seed}, "
        f"{time.perf_counter() - start:.0f} s"
        + ("" if kb.builtin else "; the knowledge base was edited, and the gold answers were written for the built-in one")
    )
    result = EvalResult(tuple(rows), label)
    return result, result.coverage


@friendly
def measure_checker(hub: ModelHub) -> str:
    return view.checker_html(pipe.checker_quality_whole_kb(), pipe.checker_quality(hub))


@friendly
def load_file(path: str | None) -> str:
    return pipe.read_upload(path)


@friendly
def reveal_support(kb_text: str, mode: str, sentence: str, guess: str | None, request: gr.Request) -> str:
    """Predict, then reveal: the support checker on the sentence, against the current knowledge base, graded."""
    kb = pipe.check_knowledge_base(pipe.knowledge_base_from(kb_text, mode))
    return record(prediction.grade_support(guess, sentence, kb.passages), request)


@friendly
def restore_knowledge_base() -> tuple[str, str]:
    return ret.builtin_text(), ret.DEFAULT_MODE


# --- the tab --------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "A language model answers fluently whether or not it knows. Quillmere is an island invented "
        "for this course, so SmolLM2 cannot know anything about it: closed book, it invents. Retrieval "
        "puts the facts into the prompt, and a checker measures which sentences the sources support.",
        [
            "The closed-book answer is confident-sounding and wrong; the token colours show where the "
            "model was unsure (often exactly the invented name or number).",
            "The grounded answer copies from the passages; the support checker, not the model's "
            "citations, says which sentences stand on them.",
            "The grounded side says it does not know instead of guessing when the best passage scores below the "
            "abstain threshold, or when no sentence of its answer has a main claim that one passage states.",
        ],
        [
            "Ask about the Harbourwarden with retrieval set to dense (Knowledge base panel): the right passage "
            "is missed, and hybrid (with BM25) finds it.",
            "Ask who designed the flag of Quillmere: a passage describes the flag but not its designer. The model, "
            "given that passage, still names one; the checker finds no passage that says so, and the grounded side abstains.",
            "Ask who won the 1998 World Cup: nothing in the knowledge base is close, so the grounded side abstains "
            "(and the closed-book side may well know: this is about sources, not intelligence).",
            "Change the seed and ask again: the closed-book answer changes, the grounded one barely does. "
            "Sample several answers to measure it.",
            "Edit a passage (say, change the capital) and ask again: the grounded answer follows the sources.",
        ],
    )
    knowledge_base = gr.State(pipe.default_knowledge_base())
    answer = gr.State(None)  # GroundResult
    coverage = gr.State(None)  # Coverage
    evaluation = gr.State(None)  # EvalResult
    samples = gr.State(None)  # ConsistencyResult

    with gr.Row():
        with gr.Column(scale=3):
            question = gr.Textbox(label="Question", value="What is the capital of Quillmere?", lines=2, max_lines=4)
            gr.Examples(EXAMPLES, inputs=[question], label="One-click questions")
        with gr.Column(scale=2):
            k = gr.Slider(1, pipe.MAX_K, value=pipe.DEFAULT_K, step=1, label="Passages to retrieve (k)")
            threshold = gr.Slider(0, 1, value=pipe.DEFAULT_THRESHOLD, step=0.01, label="Abstain below this retrieval score (and always when no claim is supported)")
            seed = gr.Number(value=0, precision=0, label=f"Seed (answers are sampled at temperature {pipe.ANSWER_TEMPERATURE})")
            ask = gr.Button("Ask both ways", variant="primary")
    gr.HTML(view.LEGEND)
    with gr.Row():
        closed_html = gr.HTML(label="Closed book")
        grounded_html = gr.HTML(label="Grounded")
    passages_html = gr.HTML()
    claim = gr.Textbox(prediction.DEFAULT_SENTENCE, label="A sentence about Quillmere", lines=1, max_lines=3,
                       scale=3, render=False)
    claim_guess = gr.Radio(list(prediction.CHOICES), value=None, label="Your guess", scale=1, render=False)
    claim_box = predict_box(
        "Will the support checker find **one passage** of the knowledge base (below) that states this sentence? "
        "Edit the sentence, guess, then reveal: the checker runs on every passage, each on its own. Try a copy of "
        "a passage, a wrong number, a swapped name, and one whose words are all there in the wrong relation "
        "(“The River Maddle flows from Lake Orrin to the eastern coast.”).",
        claim, claim_guess)
    with gr.Accordion("How the support checker decides, and how often it is right", open=False):
        checker = gr.HTML(view.checker_html(pipe.checker_quality_whole_kb()))
        measure_btn = gr.Button("Measure it on the passages retrieval gives it (and list its mistakes)")
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
        n_samples = gr.Slider(2, pipe.MAX_SAMPLES, value=5, step=1, label="Answers to sample")
        temperature = gr.Slider(0.1, 1.5, value=pipe.CONSISTENCY_TEMPERATURE, step=0.1, label="Temperature")
        sample_btn = gr.Button("Sample answers")
    consistency_html = gr.HTML()

    gr.Markdown(
        "### Evaluation: the built-in questions, both ways\n"
        "Twelve questions the knowledge base answers and three it does not. An answer is **correct** when it contains "
        "the gold fact (case-insensitive, whole words, '1,412' = '1412'); for the three unanswerable ones, the right "
        "answer is to abstain or say so. The grounded side is scored twice: with the retrieval threshold alone, and "
        "with the support rule as well (what the tab does), so you see what abstaining costs in right answers and "
        "saves in wrong ones. Everything is computed live (a minute or two on a CPU). "
        "Moving the abstain slider rescores the stored answers without running the model again."
    )
    eval_btn = gr.Button("Run the evaluation")
    eval_html = gr.HTML()
    tradeoff_plot = gr.Plot(label="Abstain trade-off")
    eval_table = gr.Dataframe(
        headers=view.EVAL_HEADERS, wrap=True, interactive=False, visible=False,
        column_widths=["20%", "10%", "30%", "32%", "8%"],
    )

    # --- wiring -------------------------------------------------------------------------------------

    evaluation_views = dict(
        fn=show_evaluation, inputs=[threshold, coverage, evaluation, answer], outputs=[tradeoff_plot, eval_html, eval_table]
    )
    opened = first_view_trigger()  # the first view: the default question answered both ways
    asked = gr.on([ask.click, opened.change], read_knowledge_base, [kb_text, mode], [knowledge_base],
                  api_name="grounding_settings", **LIGHT_WORK)
    asked = asked.success(gpu_bound(ground, hub), [question, k, threshold, seed, knowledge_base], [api_json, answer],
                          api_name="ground", **MODEL_WORK)
    asked = asked.success(show_answer, [answer], [closed_html, grounded_html, passages_html], api_name="grounding_render", **LIGHT_WORK)
    asked = asked.success(gpu_bound(measure_coverage, hub), [knowledge_base], [coverage],
                          api_name="grounding_top_scores", **MODEL_WORK)
    asked.success(**evaluation_views, api_name="grounding_tradeoff", **LIGHT_WORK)
    threshold.release(**evaluation_views, api_name="grounding_threshold", **LIGHT_WORK)

    sampled = sample_btn.click(read_knowledge_base, [kb_text, mode], [knowledge_base], api_name="grounding_settings_sample", **LIGHT_WORK)
    sampled = sampled.success(gpu_bound(sample, hub), [question, n_samples, temperature, seed, k, knowledge_base], [samples],
                              api_name="consistency", **MODEL_WORK)
    sampled.success(show_samples, [samples], [consistency_html], api_name="grounding_samples_view", **LIGHT_WORK)

    evaluated = eval_btn.click(read_knowledge_base, [kb_text, mode], [knowledge_base], api_name="grounding_settings_eval", **LIGHT_WORK)
    evaluated = evaluated.success(gpu_bound(run_evaluation, hub), [k, seed, knowledge_base], [evaluation, coverage],
                                  api_name="grounding_eval", **MODEL_WORK)
    evaluated.success(**evaluation_views, api_name="grounding_eval_view", **LIGHT_WORK)

    measure_btn.click(gpu_bound(measure_checker, hub), None, [checker], api_name="grounding_checker", **MODEL_WORK)
    upload.upload(load_file, [upload], [kb_text], api_name="grounding_upload", **LIGHT_WORK)
    restore.click(restore_knowledge_base, None, [kb_text, mode], api_name="grounding_restore", **LIGHT_WORK)
    claim_box.reveal.click(reveal_support, [kb_text, mode, claim, claim_guess], claim_box.result,
                           api_name="grounding_predict", **LIGHT_WORK)
    return LessonPage(inputs={"question": question, "k": k, "threshold": threshold, "seed": seed, "retrieval": mode,
                              "passages": kb_text, "samples": n_samples, "temperature": temperature}, opened=opened)
