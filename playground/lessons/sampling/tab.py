"""Sampling lesson: temperature, top-k, top-p and min-p on a real next-token distribution.

The model gives a probability to every token in its vocabulary; the decoding settings reshape
that distribution before one token is drawn, and the loop repeats. The learner sees the bars
before and after the settings (removed tokens greyed), the entropy, the token drawn; steps one
token at a time or streams many, each coloured by how likely the model rated it; branches at
any step; and compares three temperatures side by side. The maths is in `warpers.py`, the
distribution and the decode steps in `distribution.py`, the result in `generation.py`, and what
is drawn from it in `views.py`.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Iterable, Iterator, TypeVar

import gradio as gr

from playground.checks import UserInputError, check_int, check_text
from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import views as V
from playground.lessons.sampling import prediction as P
from playground.lessons.sampling import warpers as W
from playground.lessons.sampling.generation import Chart, Generation
from playground.lm import engines, prompts
from playground.lm.text import token_bytes, token_text
from playground.models import ModelHub
from playground.models.loaders import LoadedModel
from playground.ui.errors import friendly, on_gpu
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.predict import predict_box, record
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "Sampling"
MODEL = "smollm2-135m-instruct"
MAX_NEW_TOKENS = 200
MAX_PROMPT_CHARS = 100_000  # the token limit (distribution.MAX_PROMPT_TOKENS) bites first
MAX_SEED = 2**31 - 1
STREAM_EVERY_S = 0.12  # send the growing text this often, not on every token

# label -> (prompt, chat, temperature, top-k, top-p, min-p, repetition penalty, new tokens, seed)
EXAMPLES = {
    "Temperature 0 repeats itself": ("I like cats because", False, 0.0, 0, 1.0, 0.0, 1.0, 60, 0),
    # seed 1 starts on a likely token and wanders off, in words, within a sentence or two
    "Temperature 1.2 rambles": ("I like cats because", False, 1.2, 0, 1.0, 0.0, 1.0, 60, 1),
    "Repetition penalty breaks the loop": ("I like cats because", False, 0.0, 0, 1.0, 0.0, 1.3, 60, 0),
    "Top-p cuts the tail": ("My favourite fruit is", False, 1.0, 0, 0.3, 0.0, 1.0, 30, 0),
    "Min-p keeps only close rivals": ("My favourite fruit is", False, 1.0, 0, 1.0, 0.2, 1.0, 30, 0),
    "Chat at temperature 0.7": ("Write a short poem about the sea.", True, 0.7, 0, 0.9, 0.0, 1.0, 60, 0),
}

T = TypeVar("T")


# --- what the endpoints compute ----------------------------------------------------------------------


def check_seed(seed: object) -> int:
    return check_int(0 if seed is None or seed == "" else seed, low=0, high=MAX_SEED, what="Seed")


def check_new_tokens(n: object) -> int:
    return check_int(n, low=1, high=MAX_NEW_TOKENS, what="Number of new tokens")


def start(hub: ModelHub, prompt: object, chat: object, max_new_tokens: int = 0,
          before: Generation | None = None) -> tuple[LoadedModel, Generation]:
    """(model, a new Generation for the prompt) after checking the prompt and its length in tokens.
    `before`, the text it replaces, is kept among its own prompt's earlier texts."""
    text, _ = check_text(prompt, max_chars=MAX_PROMPT_CHARS, what="prompt")
    lm = hub.get(MODEL)
    ids = prompts.encode(lm.tokenizer, text, bool(chat))
    D.check_length(len(ids), max_new_tokens)
    return lm, (before or Generation()).restart(text, chat, ids, lm.tokenizer.decode(ids))


def chart_at(lm: LoadedModel, gen: Generation, s: W.DecodingSettings, seed: int, weights: str, position: int) -> Chart:
    """The distribution after the prompt and the first `position` generated tokens."""
    d = D.distribution(lm, gen.ids(position), s, seed=seed, step=position, weights=weights)
    return Chart(d, s, seed, position, len(lm.tokenizer), engines.weights_note(lm, weights))


def decode_text(lm: LoadedModel, gen: Generation) -> str:
    return lm.tokenizer.decode([st.id for st in gen.steps], skip_special_tokens=True)


def run(lm: LoadedModel, gen: Generation, s: W.DecodingSettings, seed: int, n: int, weights: str,
        forced: int | None = None) -> Iterator[Generation]:
    """Generate up to n tokens after gen's steps, yielding gen (grown in place) after each one.
    The chart shows the distribution this run's first token came from."""
    first = len(gen.steps)
    D.check_length(len(gen.ids()), n)
    started = time.perf_counter()
    for i, (step,) in enumerate(D.decode(lm, gen.ids(), [s], seed, n, first_step=first, forced=forced,
                                         weights=weights)):
        gen.steps.append(step)
        gen.text = decode_text(lm, gen)
        if i == 0:
            gen.chart, gen.note = chart_at(lm, gen, s, seed, weights, first), ""
        yield gen
    made = len(gen.steps) - first
    gen.note = (f"**Generated** {made} tokens at {made / (time.perf_counter() - started):.1f} tokens/s with "
                f"{engines.weights_choice(lm, weights)} weights (seed {seed}).")


def throttled(items: Iterable[T], every_s: float = STREAM_EVERY_S) -> Iterator[T]:
    """The first item, then at most one every `every_s` seconds, and always the last."""
    last_sent, held, holding = None, None, False
    for item in items:
        now = time.perf_counter()
        if last_sent is None or now - last_sent >= every_s:
            last_sent, holding = now, False
            yield item
        else:
            held, holding = item, True
    if holding:
        yield held


def next_token_result(hub: ModelHub, prompt, temperature, top_k, top_p, min_p, chat) -> dict:
    """The `next_token` API: the 50 most probable tokens under the raw softmax, in that order."""
    s = W.check_settings(temperature, top_k, top_p, min_p)
    lm, gen = start(hub, prompt, chat)
    return D.distribution(lm, gen.ids(), s, n_top=50).as_json()


def generation_stream(hub: ModelHub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat,
                      weights: str = engines.EXACT) -> Iterator[Generation]:
    """The generate endpoints' run: checks, then the growing Generation (throttled), the last complete."""
    s = W.check_settings(temperature, top_k, top_p, min_p)
    n, seed = check_new_tokens(max_new_tokens), check_seed(seed)
    lm, gen = start(hub, prompt, chat, n)
    engines.weights_choice(lm, weights)  # an unknown value fails before anything runs
    yield from throttled(run(lm, gen, s, seed, n, weights))


def generate_result(hub: ModelHub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat) -> dict:
    """The `generate` API (32-bit): the continuation with its steps and their alternatives."""
    gen = None
    for gen in generation_stream(hub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat):
        pass
    return gen.as_json()


# --- the tab's events ---------------------------------------------------------------------------------


def render(gen: Generation, chart: bool = True, branch_to: int | None = None) -> tuple:
    """Every view of gen, for OUTPUTS; `chart=False` leaves the chart and its sentences as they are,
    `branch_to` moves the branch slider to that step (None leaves it)."""
    if branch_to is None:
        slider = alternatives = gr.skip()
    else:
        choices, value = V.branch_options(gen, branch_to)
        slider = gr.Slider(maximum=max(len(gen.steps), 2), value=max(branch_to, 1))
        alternatives = gr.Dropdown(choices=choices, value=value)
    has_chart = chart and gen.chart is not None
    return (
        gen,
        V.text_html(gen),
        V.chart_summary(gen) if has_chart else gr.skip(),
        V.chart_figure(gen) if has_chart else gr.skip(),
        slider,
        alternatives,
        V.earlier_md(gen),
    )


class Handlers:
    """The tab's event handlers and its JSON endpoints, bound to one model hub."""

    def __init__(self, hub: ModelHub):
        self.hub = hub
        self._predict_on_gpu = on_gpu(self.predict_show)  # the model's part of a reveal, on a GPU where there is one

    # JSON endpoints, with exactly the inputs and shapes the README documents

    @friendly
    def next_token(self, prompt: str, temperature: float, top_k: int, top_p: float, min_p: float, chat: bool) -> dict:
        return next_token_result(self.hub, prompt, temperature, top_k, top_p, min_p, chat)

    @friendly
    def generate(self, prompt: str, max_new_tokens: int, temperature: float, top_k: int, top_p: float, min_p: float,
                 seed: int, chat: bool) -> dict:
        return generate_result(self.hub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat)

    @friendly
    def generate_stream(self, prompt: str, max_new_tokens: int, temperature: float, top_k: int, top_p: float,
                        min_p: float, seed: int, chat: bool, weights: str) -> Iterator[dict]:
        """The `generate` JSON as tokens arrive, with "4-bit" or "32-bit" weights; the last is complete."""
        for gen in generation_stream(self.hub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat,
                                     weights):
            yield gen.as_json()

    # the tab

    @friendly
    def show(self, text, is_chat, w, t, k, p, m, r, seed, gen: Generation, progress=gr.Progress()):
        s, seed = W.check_settings(t, k, p, m, r), check_seed(seed)
        loading = not self.hub.is_loaded(MODEL)
        progress(0, desc="loading the model (first use only)" if loading else "reading the prompt")
        lm, gen = start(self.hub, text, is_chat, before=gen)
        if engines.weights_choice(lm, w) == engines.FAST and not engines.fast_measured(lm):
            progress(0.5, desc="packing the 4-bit weights and measuring them against 32-bit (first use only)")
        gen.chart = chart_at(lm, gen, s, seed, w, 0)
        return render(gen, branch_to=1)

    @friendly
    def reshape(self, text, is_chat, w, t, k, p, m, r, seed, gen: Generation):
        # Sliders only reshape kept logits; a different prompt waits for a button.
        if not gen.matches(text, is_chat) or gen.chart is None:
            return gr.skip(), gr.skip(), gr.skip()
        lm = self.hub.get(MODEL)
        chart = chart_at(lm, gen, W.check_settings(t, k, p, m, r), check_seed(seed), w, gen.chart.position)
        gen = dataclasses.replace(gen, chart=chart)  # a stream still running keeps its own
        return gen, V.chart_summary(gen), V.chart_figure(gen)

    @friendly
    def step(self, text, is_chat, w, t, k, p, m, r, seed, gen: Generation):
        """One more token at the end of the text shown (a new prompt starts a new text)."""
        s, seed = W.check_settings(t, k, p, m, r), check_seed(seed)
        if gen.matches(text, is_chat):
            lm = self.hub.get(MODEL)
        else:
            lm, gen = start(self.hub, text, is_chat, before=gen)
        ids = gen.ids()
        D.check_length(len(ids), 1)
        gen.steps.append(D.make_step(lm.tokenizer, D.next_logits(lm, ids, w), ids, s, seed, len(gen.steps)))
        gen.text, gen.note = decode_text(lm, gen), ""
        gen.chart = chart_at(lm, gen, s, seed, w, len(gen.steps))
        return render(gen, branch_to=len(gen.steps))

    @friendly
    def generate_view(self, text, is_chat, w, t, k, p, m, r, n_new, seed, gen: Generation):
        s, seed, n = W.check_settings(t, k, p, m, r), check_seed(seed), check_new_tokens(n_new)
        lm, gen = start(self.hub, text, is_chat, n, before=gen)
        yield from self._stream(lm, gen, s, seed, n, w, branch_to=1)

    @friendly
    def pick_step(self, step_no, gen: Generation):
        choices, value = V.branch_options(gen, step_no)
        return gr.Dropdown(choices=choices, value=value)

    @friendly
    def branch(self, text, is_chat, w, t, k, p, m, r, n_new, seed, step_no, alt, gen: Generation):
        s, seed, n = W.check_settings(t, k, p, m, r), check_seed(seed), check_new_tokens(n_new)
        if not gen.steps or not gen.matches(text, is_chat):
            raise UserInputError("Generate some text first (or step a few tokens), then pick a step to branch from.")
        if alt is None:
            raise UserInputError("Pick the token to take instead from the list.")
        i = check_int(step_no, low=1, high=len(gen.steps), what="Step") - 1
        lm = self.hub.get(MODEL)
        gen.remember(V.branch_note(gen, i, token_text(lm.tokenizer, int(alt)), token_bytes(lm.tokenizer, int(alt))))
        gen.steps = gen.steps[:i]
        yield from self._stream(lm, gen, s, seed, n, w, forced=int(alt), branch_to=i + 1)

    def _stream(self, lm, gen, s, seed, n, w, forced=None, branch_to=1):
        """The views as tokens arrive (the chart once, with the first), then the closing summary."""
        charted = False
        for gen in throttled(run(lm, gen, s, seed, n, w, forced)):
            yield render(gen, chart=not charted)
            charted = True
        yield render(gen, branch_to=branch_to)

    def predict_show(self, text, is_chat, w, t, k, p, m, r, seed, gen: Generation, guess) -> tuple:
        """Predict, then reveal: the distribution for the current prompt and settings (as Show draws it), and the
        guess graded against the same logits. The guess is checked before the model runs."""
        P.check_guess(guess)
        s, seed = W.check_settings(t, k, p, m, r), check_seed(seed)
        lm, gen = start(self.hub, text, is_chat, before=gen)
        gen.chart = chart_at(lm, gen, s, seed, w, 0)
        return render(gen, branch_to=1), P.next_token_verdict(lm, gen.ids(), guess, s, w)

    @friendly
    def predict_reveal(self, text, is_chat, w, t, k, p, m, r, seed, gen: Generation, guess, request: gr.Request):
        views, verdict = self._predict_on_gpu(text, is_chat, w, t, k, p, m, r, seed, gen, guess)
        return (*views, record(verdict, request))

    @friendly
    def compare(self, text, is_chat, w, ta, tb, tc, k, p, m, r, n_new, seed):
        settings = [W.check_settings(tt, k, p, m, r) for tt in (ta, tb, tc)]
        seed, n = check_seed(seed), check_new_tokens(n_new)
        lm, gen = start(self.hub, text, is_chat, n)
        runs: list[list[D.Step]] = [[], [], []]

        def rows() -> Iterator[list[list[D.Step]]]:
            for row in D.decode(lm, gen.ids(), settings, seed, n, weights=w):
                for steps, step in zip(runs, row):
                    if step is not None:
                        steps.append(step)
                yield runs

        for _ in throttled(rows()):
            yield [V.compare_column(st, gen.prompt_shown, steps) for st, steps in zip(settings, runs)]


# --- the tab -----------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    h = Handlers(hub)
    # on_gpu wraps the bound methods, so ZeroGPU pickles only the UI's values, never self (the hub)
    gpu = {name: on_gpu(getattr(h, name)) for name in ['next_token', 'generate', 'generate_stream', 'show', 'step', 'generate_view', 'branch', 'compare']}
    lesson_intro(
        "A language model does not write words: for every position it gives a probability to each of "
        "its 49,152 tokens. Decoding settings reshape that distribution, one token is drawn, it is "
        "appended, and the loop repeats. Here you watch it happen on SmolLM2-135M, live.",
        [
            "Temperature 0 always takes the top bar, so once a phrase comes back the model is stuck in a loop.",
            "A temperature above 1 flattens the bars: red tokens (ones the model itself found unlikely) get "
            "drawn, and one odd token leads to the next.",
            "Top-p, top-k and min-p grey out the tail: those tokens can no longer be drawn, whatever the seed.",
        ],
        [
            "Click *Temperature 0 repeats itself*, then *Repetition penalty breaks the loop*.",
            "Click *Temperature 1.2 rambles* and hover (or tap) the red tokens: what did the model prefer there?",
            "Click *Top-p cuts the tail*, then drag top-p from 1 down to 0.3 and watch bars turn grey.",
            "Generate, then pick a step and an alternative under *Branch* to see where the other road leads.",
            "Switch *Weights* between 4-bit and 32-bit on the same prompt: how much do the bars move, and does "
            "the drawn token change?",
        ],
    )
    state = gr.State(Generation())
    with gr.Row():
        prompt = gr.Textbox(label="Prompt", lines=3, scale=4, value="The best thing about rainy days is")
        with gr.Column(scale=1, min_width=220):
            chat = gr.Checkbox(label="Chat: wrap the prompt in the model's chat template", value=False)
            seed = gr.Number(label="Seed (same seed, same text)", value=0, precision=0, minimum=0, maximum=MAX_SEED)
            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=40, step=1, label="New tokens to generate")
            weights = gr.Radio(
                list(engines.WEIGHTS), value=engines.FAST, label="Weights",
                info="4-bit: faster per token. 32-bit: the exact numbers. The note above the chart says how "
                     "much faster and how far apart they are, measured here.",
            )
    with gr.Row():
        temperature = gr.Slider(0, 2, value=1.0, step=0.05, label="Temperature (0 = greedy)")
        top_k = gr.Slider(0, 200, value=0, step=1, label="Top-k (0 = off)")
        top_p = gr.Slider(0.01, 1, value=1.0, step=0.01, label="Top-p (1 = off)")
        min_p = gr.Slider(0, 1, value=0.0, step=0.01, label="Min-p (0 = off)")
        penalty = gr.Slider(1.0, 2.0, value=1.0, step=0.05, label="Repetition penalty (1 = off)")
    with gr.Row():
        show_btn = gr.Button("Show next-token distribution", variant="primary")
        step_btn = gr.Button("Step one token")
        gen_btn = gr.Button("Generate (streamed)")
    examples = gr.Examples(
        examples=[list(v) for v in EXAMPLES.values()],
        example_labels=list(EXAMPLES),
        inputs=[prompt, chat, temperature, top_k, top_p, min_p, penalty, max_new, seed],
        api_name="sampling_example",
    )
    predict = predict_box(P.QUESTION, gr.Textbox(label="Your guess for the next token", placeholder="e.g. the",
                                                 max_length=P.MAX_GUESS_CHARS, scale=3, render=False))
    # the text first, so it is on screen when a run ends; the chart that explains it below
    text_html = gr.HTML(label="Generated text", elem_id="sampling-text")
    summary = gr.Markdown(elem_id="sampling-summary")
    plot = gr.Plot(label="Next-token distribution", show_label=False, elem_id="sampling-chart")
    with gr.Accordion("Branch: take another road at any step", open=True):
        with gr.Row():
            branch_step = gr.Slider(1, 2, value=1, step=1, label="Step (1 = first generated token)", scale=2)
            branch_alt = gr.Dropdown(label="Take this token instead", choices=[], scale=3)
            branch_btn = gr.Button("Continue from here", scale=1)
        earlier = gr.Markdown()
    with gr.Accordion("Compare: the same prompt at three temperatures", open=True):
        with gr.Row():
            t_low = gr.Number(label="Temperature A", value=0.0, minimum=0, maximum=W.MAX_TEMPERATURE)
            t_mid = gr.Number(label="Temperature B", value=0.7, minimum=0, maximum=W.MAX_TEMPERATURE)
            t_high = gr.Number(label="Temperature C", value=1.5, minimum=0, maximum=W.MAX_TEMPERATURE)
            compare_btn = gr.Button("Compare")
        with gr.Row(equal_height=True):
            columns = [gr.HTML(), gr.HTML(), gr.HTML()]

    # --- wiring --------------------------------------------------------------------------------
    common = [prompt, chat, weights, temperature, top_k, top_p, min_p, penalty]
    outputs = [state, text_html, summary, plot, branch_step, branch_alt, earlier]
    show_btn.click(gpu["show"], [*common, seed, state], outputs, api_name="sampling_show", **MODEL_WORK)
    opened = first_view_trigger()  # the first view: the distribution after the default prompt
    opened.change(gpu["show"], [*common, seed, state], outputs, api_name="sampling_first_view", **MODEL_WORK)
    prompt.submit(gpu["show"], [*common, seed, state], outputs, api_name="sampling_show_submit", **MODEL_WORK)
    gr.on([c.change for c in [temperature, top_k, top_p, min_p, penalty, seed]], h.reshape, [*common, seed, state],
          [state, summary, plot], api_name="sampling_reshape", trigger_mode="always_last", **LIGHT_WORK)
    # other weights mean other logits: the model runs, so this waits in the model queue
    weights.change(h.reshape, [*common, seed, state], [state, summary, plot], api_name="sampling_weights",
                   trigger_mode="always_last", **MODEL_WORK)
    step_btn.click(gpu["step"], [*common, seed, state], outputs, api_name="sampling_step", **MODEL_WORK)
    gen_btn.click(gpu["generate_view"], [*common, max_new, seed, state], outputs, api_name="sampling_generate_view",
                  **MODEL_WORK)
    examples.load_input_event.then(gpu["generate_view"], [*common, max_new, seed, state], outputs,
                                   api_name="sampling_example_run", **MODEL_WORK)
    branch_step.change(h.pick_step, [branch_step, state], branch_alt, api_name="sampling_pick_step",
                       trigger_mode="always_last", **LIGHT_WORK)
    branch_btn.click(gpu["branch"], [*common, max_new, seed, branch_step, branch_alt, state], outputs,
                     api_name="sampling_branch", **MODEL_WORK)
    compare_btn.click(gpu["compare"], [prompt, chat, weights, t_low, t_mid, t_high, top_k, top_p, min_p, penalty, max_new,
                                  seed], columns, api_name="sampling_compare", **MODEL_WORK)
    # predict, then reveal: the reveal draws the distribution (as Show does) and grades the guess against it
    gr.on([predict.reveal.click, predict.guess.submit], h.predict_reveal, [*common, seed, state, predict.guess],
          [*outputs, predict.result], api_name="sampling_predict", **MODEL_WORK)
    gr.api(gpu["next_token"], api_name="next_token", **MODEL_WORK)
    gr.api(gpu["generate"], api_name="generate", **MODEL_WORK)
    gr.api(gpu["generate_stream"], api_name="generate_stream", **MODEL_WORK)
    return LessonPage(inputs={"prompt": prompt, "chat": chat, "seed": seed, "new_tokens": max_new, "weights": weights,
                              "temperature": temperature, "top_k": top_k, "top_p": top_p, "min_p": min_p,
                              "penalty": penalty}, opened=opened)
