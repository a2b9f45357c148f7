"""Attention lesson: heatmaps per layer and head, on a decoder and an encoder.

The learner should see that every token builds its new meaning by looking at other tokens,
that each head in each layer looks for something different (some park on the first token,
some look at the previous token, some copy patterns: induction heads), and that a decoder can
only look back (an empty upper triangle) while an encoder looks both ways.

The model runs once per (model, text): all layers' attention probabilities are kept in a
bounded cache (`weights.AttentionCache`) and in the session's state, so layer, head and token
changes are light work that never runs the model. Special tokens are whatever the model's own
tokenizer adds, and they are shown: MiniLM's [CLS] … [SEP]; SmolLM2's tokenizer adds none. Layers and heads count from 0; head -1 is the
mean over the layer's heads.
"""

from __future__ import annotations

import re

import gradio as gr

from playground.checks import UserInputError, check_int
from playground.lessons.attention.figures import (
    head_figure,
    layer_figure,
    lines_figure,
    probe_patterns_figure,
    probe_report,
    probe_scores_figure,
    summary_figure,
    summary_pointers,
    token_figure,
)
from playground.lessons.attention.prediction import JOBS, PREVIOUS, grade_head, parse_head_guess
from playground.lessons.attention.probe import DEFAULT_HALF, DEFAULT_SEED, ProbeResult, run_probe
from playground.lessons.attention.weights import (
    MAX_TOKENS,
    Attentions,
    attention,
    attention_models,
    attentions_for,
    check_layer_head,
    load_model,
)
from playground.models import ModelHub
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.predict import Verdict, predict_box, record
from playground.ui.queues import LIGHT_WORK, MODEL_WORK
from playground.viz.heatmap import unique_labels

TITLE = "Attention"
DEFAULT_MODEL = "smollm2-135m-instruct"

PRONOUN = "The trophy didn't fit in the suitcase because it was too big."
REPEAT = "red apple, blue sky, green grass, old house. red apple, blue sky, green grass, old house."
LIST = "Shopping list: 1. eggs 2. milk 3. bread 4. butter 5. cheese 6."


# --- the examples' "Start at" cell -------------------------------------------------------------


def parse_start(start: str) -> tuple[int, int, str | None]:
    """An example's 'Start at' cell, e.g. "layer 18, head 6, token ' house'" -> (18, 6, ' house')."""
    layer = re.search(r"layer (\d+)", start or "")
    head = re.search(r"head (-?\d+|mean)", start or "")
    token = re.search(r"token '(.*)'", start or "")
    h = head.group(1) if head else "-1"
    return (int(layer.group(1)) if layer else 0, -1 if h == "mean" else int(h), token.group(1) if token else None)


def find_token(tokens: list[str], wanted: str | None) -> int:
    """The last position whose text is `wanted` (ignoring surrounding spaces); else the last token."""
    if wanted is not None:
        for i in range(len(tokens) - 1, -1, -1):
            if tokens[i].strip() == wanted.strip():
                return i
    return len(tokens) - 1


# --- handlers (the hub is bound in build_tab) ---------------------------------------------------
# The compute handlers return the `Attentions` last: the tab keeps it in one gr.State, and the
# slider and token handlers redraw from it without running the model.


def views(att: Attentions, notice_text: str, lay: int, hd: int, token: int) -> tuple:
    """Every view of one result, and the pickers set to match it."""
    labels = unique_labels(att.tokens)
    note = f"**{len(att.tokens)} tokens.** " + (f"⚠️ {notice_text}" if notice_text else "")
    return (
        note,
        head_figure(att, lay, hd),
        gr.update(choices=[(lab, i) for i, lab in enumerate(labels)], value=token),
        token_figure(att, lay, hd, token),
        lines_figure(att, lay, hd, token),
        layer_figure(att, lay),
        summary_figure(att),
        summary_pointers(att),
        gr.update(maximum=att.n_layers - 1, value=lay),
        gr.update(maximum=att.n_heads - 1, value=hd),
        att,
    )


@friendly
def show_attention(hub: ModelHub, text_in: str, model_in: str, layer_in: float, head_in: float,
                   progress=gr.Progress()) -> tuple:
    progress(0.1, desc="Loading the model")
    load_model(hub, model_in)
    progress(0.4, desc="Running the model once, keeping every layer's attention")
    att, notice_text = attentions_for(hub, text_in, model_in)
    # a model switch may leave the sliders beyond the new model's range: clamp them
    lay = min(max(int(layer_in or 0), 0), att.n_layers - 1)
    hd = min(max(int(head_in if head_in is not None else -1), -1), att.n_heads - 1)
    return views(att, notice_text, lay, hd, len(att.tokens) - 1)


@friendly
def show_example(hub: ModelHub, text_in: str, model_in: str, start_in: str, progress=gr.Progress()) -> tuple:
    lay, hd, wanted = parse_start(start_in)
    progress(0.2, desc="Running the model once, keeping every layer's attention")
    att, notice_text = attentions_for(hub, text_in, model_in)
    lay, hd = check_layer_head(att.model_key, att.n_layers, att.n_heads, lay, hd)
    return views(att, notice_text, lay, hd, find_token(att.tokens, wanted))


def picked(att: Attentions | None, layer_in: object, head_in: object, focus_in: object) -> tuple[int, int, int]:
    """The layer, head and token the pickers point at, checked against the shown result."""
    if att is None:
        raise UserInputError("Press “Show attention” first; the sliders then move through its layers and heads.")
    lay, hd = check_layer_head(att.model_key, att.n_layers, att.n_heads, layer_in, head_in)
    n = len(att.tokens)
    token = focus_in if isinstance(focus_in, int) and 0 <= focus_in < n else n - 1
    return lay, hd, token


@friendly
def change_layer(att: Attentions | None, layer_in: float, head_in: float, focus_in: int) -> tuple:
    lay, hd, token = picked(att, layer_in, head_in, focus_in)
    return (head_figure(att, lay, hd), token_figure(att, lay, hd, token), lines_figure(att, lay, hd, token),
            layer_figure(att, lay))


@friendly
def change_head(att: Attentions | None, layer_in: float, head_in: float, focus_in: int) -> tuple:
    lay, hd, token = picked(att, layer_in, head_in, focus_in)
    return head_figure(att, lay, hd), token_figure(att, lay, hd, token), lines_figure(att, lay, hd, token)


@friendly
def change_token(att: Attentions | None, layer_in: float, head_in: float, focus_in: int) -> tuple:
    lay, hd, token = picked(att, layer_in, head_in, focus_in)
    return token_figure(att, lay, hd, token), lines_figure(att, lay, hd, token)


@friendly
def shown_numbers(att: Attentions | None, layer_in: float, head_in: float) -> dict:
    """The shown text's numbers for the picked layer and head, as the API returns them."""
    lay, hd, _ = picked(att, layer_in, head_in, None)
    return att.as_json(lay, hd)


@friendly
def attention_json(hub: ModelHub, text_in: str, model_in: str, layer_in: float, head_in: float) -> dict:
    """The `attention` API."""
    return attention(hub, text_in, model_in, layer_in, head_in)


def _probe(hub: ModelHub, model_in: str, half_in: float, seed_in: float, progress) -> tuple[ProbeResult, str, tuple]:
    """The probe for the current inputs: its result, the model's key, and its three views."""
    loaded = load_model(hub, model_in)
    n = check_int(half_in, low=8, high=100, what="Random tokens per copy")
    s = check_int(seed_in, low=0, high=2**31 - 1, what="Seed")
    progress(0.3, desc="Running the model on the repeated random tokens")
    res = run_probe(loaded, n, s)
    return res, loaded.key, (probe_report(res, loaded.key), probe_scores_figure(res, loaded.key),
                             probe_patterns_figure(res))


@friendly
def probe(hub: ModelHub, model_in: str, half_in: float, seed_in: float, progress=gr.Progress()) -> tuple:
    return _probe(hub, model_in, half_in, seed_in, progress)[2]


@friendly
def probe_guess(hub: ModelHub, model_in: str, half_in: float, seed_in: float, job_in: str, layer_in: float,
                head_in: float, progress=gr.Progress()) -> tuple:
    """Predict, then reveal: run the probe on the current inputs, show it, and grade the guessed head."""
    parse_head_guess(job_in, layer_in, head_in)  # an empty guess is refused before the model runs
    res, key, shown_views = _probe(hub, model_in, half_in, seed_in, progress)
    return (*shown_views, grade_head(res, job_in, layer_in, head_in, key))


@friendly
def score_guess(verdict: Verdict | None, request: gr.Request) -> str:
    """The reveal's Markdown, with this page's running score."""
    return "" if verdict is None else record(verdict, request)


# --- the tab ----------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "Every token builds its new meaning by mixing in information from other tokens, and attention "
        "decides the mix: in each heatmap a row is one token, and its colours say how much it takes from "
        "each other token (a row adds up to 1). Every layer has several heads and each looks for something "
        "different. SmolLM2 is a decoder, it writes text one token at a time, so a token can only look back; "
        "MiniLM is an encoder, it reads the whole sentence at once, so it looks both ways.",
        [
            "With SmolLM2 the upper-right triangle is blank: those cells are future tokens, masked to zero. "
            "That is why a decoder can generate text: it never peeks at what comes next.",
            "Many heads pour most of their weight onto the first token (an 'attention sink'): a head's way of "
            "doing nothing on this text.",
            "Some heads have a clear job: a bright line just below the diagonal is a previous-token head. "
            "In the lines view the same head draws a ladder: every token's line steps up one row.",
            "Layers and heads count from 0. Colours follow a square-root scale so small weights stay visible; "
            "hover over a cell for the exact number.",
        ],
        [
            "Click the repeated example: from each token of the second copy, layer 18 head 6 looks at the token "
            "that came next the first time. That is an induction head, the probe below finds it.",
            "Click the pronoun example and go through the heads, with 'it' picked under 'Where one token looks', "
            "for one that looks back at 'trophy' or 'suitcase'. Then switch to MiniLM: every token looks forward too.",
            "Run the probe, then set the sliders to its top heads and look at your own text.",
        ],
    )
    models = attention_models(hub)
    with gr.Row():
        text = gr.Textbox(PRONOUN, label="Text", lines=3, max_lines=8, scale=3,
                          info=f"At most {MAX_TOKENS} tokens; longer text is cut, with a notice.")
        with gr.Column(scale=2):
            model = gr.Radio(models, value=DEFAULT_MODEL if DEFAULT_MODEL in models else models[0], label="Model",
                             info="smollm2: decoder, looks back only · all-minilm: encoder, looks both ways")
            show = gr.Button("Show attention", variant="primary")
    start = gr.Textbox(visible=False, label="Start at")
    with gr.Row():  # ranges fit SmolLM2; each view resets them from the chosen model's config
        layer = gr.Slider(0, 29, value=0, step=1, label="Layer")
        head = gr.Slider(-1, 8, value=-1, step=1, label="Head (-1 = mean over the layer's heads)")
    examples = gr.Examples(
        [
            [PRONOUN, DEFAULT_MODEL, "layer 0, head mean, token 'it'"],
            [PRONOUN, "all-minilm-l6-v2", "layer 0, head mean, token 'it'"],
            [REPEAT, DEFAULT_MODEL, "layer 18, head 6, token 'house'"],
            [LIST, DEFAULT_MODEL, "layer 16, head 0, token '6'"],
        ],
        inputs=[text, model, start],
        label="Examples (a pronoun to resolve, on a decoder and an encoder; a repeated sequence; a list)",
        api_name="attention_example",
    )
    notice = gr.Markdown()
    # the Attentions every view below is drawn from; up to 71 MB at 256 tokens, so a session that
    # went quiet gives it back after ten minutes instead of Gradio's hour
    shown = gr.State(None, time_to_live=600)
    with gr.Row():
        heat = gr.Plot(label="One head (or the mean of a layer's heads)", scale=3, elem_id="attention-heatmap")
        with gr.Column(scale=2):
            focus = gr.Dropdown([], label="Where one token looks: pick a token", interactive=True)
            bars = gr.Plot(label="Its attention over the other tokens")
    lines = gr.Plot(label="Who looks at whom: a line for each look (the picked token's in orange)",
                    elem_id="attention-lines")
    grid = gr.Plot(label="The whole layer: every head at a glance", elem_id="attention-layer-grid")
    gr.Markdown("### Every layer and head\nEach square is one head; the three maps score what it does on your "
                "text. Bright in the right-hand map = a previous-token head; bright in the middle = a sink.")
    pointers = gr.Markdown()
    summary = gr.Plot(label="Layer × head summary")
    with gr.Accordion("The numbers for this layer and head (JSON, as the API returns them)", open=False):
        numbers_btn = gr.Button("Show the numbers")
        numbers = gr.JSON(label="attention")
    # The `attention` API endpoint reads unbounded hidden inputs, so a bad model key or an
    # out-of-range layer reaches our checks (and their messages) instead of a slider's bounds.
    with gr.Group(visible=False):
        api_text, api_model = gr.Textbox(label="text"), gr.Textbox(label="model")
        api_layer, api_head = gr.Number(label="layer"), gr.Number(label="head")  # floats: our check says "whole number"
        api_btn = gr.Button("attention")

    gr.Markdown("### Find heads with a job: the induction probe\nA sequence of random tokens is repeated "
                "twice. Random tokens mean nothing, so whatever a head does here it does by position and "
                "repetition: each head gets a previous-token score and an induction score (in the second copy, "
                "how much weight goes to the token that followed the earlier copy of the current token).")
    guess_job = gr.Radio(list(JOBS), value=PREVIOUS, label="The job", render=False)
    # text boxes, not gr.Number: an empty Number shows and sends 0, a guess the learner never made
    guess_layer = gr.Textbox(label="Layer", placeholder="a layer, e.g. 12", max_lines=1, render=False)
    guess_head = gr.Textbox(label="Head", placeholder="a head, e.g. 3", max_lines=1, render=False)
    guess_box = predict_box(
        "Before you run the probe: which head of the model picked above do you think is the strongest "
        "**previous-token head** (or **induction head**)? Pick the job, type a layer and a head (both count from 0: "
        "SmolLM2 has 30 layers of 9 heads, MiniLM 6 layers of 12), and reveal: the probe runs on the settings below "
        "and ranks your head among all of them (1 point for the top head, ½ for the second, ⅓ for the third …).",
        guess_job, guess_layer, guess_head, button="Run the probe and reveal")
    guessed = gr.State(None)  # the Verdict, until it is scored
    with gr.Row():
        half = gr.Slider(8, 100, value=DEFAULT_HALF, step=1, label="Random tokens per copy")
        seed = gr.Number(DEFAULT_SEED, precision=0, label="Seed (same seed, same tokens)")
        probe_btn = gr.Button("Run the probe", variant="primary")
    probe_md = gr.Markdown()
    probe_scores = gr.Plot(label="Probe scores per layer and head")
    probe_patterns = gr.Plot(label="The top heads on the probe sequence", elem_id="attention-probe-patterns")

    # --- wiring ---

    view_outputs = [notice, heat, focus, bars, lines, grid, summary, pointers, layer, head, shown]
    opened = first_view_trigger()  # the first view: the pronoun sentence's attention, layer 0, mean of the heads
    for trigger, name in ((show.click, "attention_show"), (text.submit, "attention_submit"),
                          (model.input, "attention_model"), (opened.change, "attention_first_view")):
        trigger(gpu_bound(show_attention, hub), [text, model, layer, head], view_outputs, api_name=name, **MODEL_WORK)
    examples.load_input_event.then(gpu_bound(show_example, hub), [text, model, start], view_outputs,
                                   api_name="attention_show_example", **MODEL_WORK)
    layer.release(change_layer, [shown, layer, head, focus], [heat, bars, lines, grid],
                  api_name="attention_layer", **LIGHT_WORK)
    head.release(change_head, [shown, layer, head, focus], [heat, bars, lines], api_name="attention_head",
                 **LIGHT_WORK)
    focus.input(change_token, [shown, layer, head, focus], [bars, lines], api_name="attention_token", **LIGHT_WORK)
    numbers_btn.click(shown_numbers, [shown, layer, head], numbers, api_name="attention_numbers", **LIGHT_WORK)
    api_btn.click(gpu_bound(attention_json, hub), [api_text, api_model, api_layer, api_head], numbers,
                  api_name="attention", **MODEL_WORK)
    probe_btn.click(gpu_bound(probe, hub), [model, half, seed], [probe_md, probe_scores, probe_patterns],
                    api_name="attention_probe", **MODEL_WORK)
    guess_box.reveal.click(
        gpu_bound(probe_guess, hub), [model, half, seed, guess_job, guess_layer, guess_head],
        [probe_md, probe_scores, probe_patterns, guessed], api_name="attention_predict", **MODEL_WORK,
    ).success(score_guess, [guessed], guess_box.result, api_name="attention_predict_score", **LIGHT_WORK)
    return LessonPage(inputs={"text": text, "model": model, "layer": layer, "head": head, "probe_tokens": half,
                              "seed": seed}, opened=opened)
