"""Sampling lesson: temperature, top-k, top-p and min-p on a real next-token distribution.

The model gives a probability to every token in its vocabulary; the decoding settings reshape
that distribution before one token is drawn, and the loop repeats. The learner sees the bars
before and after the settings (removed tokens greyed), the entropy, the token drawn; steps one
token at a time or streams many, each coloured by how likely the model rated it; branches at
any step; and compares three temperatures side by side. The maths is in `sampling_warpers`,
the KV-cached decode loop in `sampling_decode`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gradio as gr

from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import warpers as W
from playground.lm import engines, prompts, text
from playground.models import ModelHub
from playground.checks import UserInputError, check_int, check_text
from playground.ui.errors import friendly
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK
from playground.viz.generated_chips import chips_html
from playground.viz.next_token_bars import bars_figure, show_token

TITLE = "Sampling"
MODEL = "smollm2-135m-instruct"
MAX_NEW_TOKENS = 200
MAX_PROMPT_CHARS = 100_000  # the token limit (sampling_decode.MAX_PROMPT_TOKENS) bites first
MAX_SEED = 2**31 - 1
STREAM_EVERY_S = 0.12  # send the growing text this often, not on every token


# --- what the endpoints compute ----------------------------------------------------------------------


def prepare(hub: ModelHub, prompt: object, chat: object, max_new_tokens: int = 0):
    """(model, prompt ids) after checking the prompt and its length in tokens."""
    text, _ = check_text(prompt, max_chars=MAX_PROMPT_CHARS, what="prompt")
    lm = hub.get(MODEL)
    ids = prompts.encode(lm.tokenizer, text, bool(chat))
    D.check_length(len(ids), max_new_tokens)
    return lm, ids


def check_seed(seed: object) -> int:
    return check_int(0 if seed is None or seed == "" else seed, low=0, high=MAX_SEED, what="Seed")


def next_token_result(hub: ModelHub, prompt, temperature, top_k, top_p, min_p, chat) -> dict:
    """The `next_token` API: the 50 most probable tokens under the raw softmax, in that order."""
    s = W.check_settings(temperature, top_k, top_p, min_p)
    lm, ids = prepare(hub, prompt, chat)
    d = D.distribution(lm, ids, s, n_top=50)
    return {
        "candidates": [
            {"id": c.id, "token": c.token, "logit": c.logit, "prob_raw": c.prob_raw, "prob": c.prob}
            for c in d.candidates
        ],
        "entropy_raw": d.entropy_raw,
        "entropy": d.entropy,
    }


def generate_result(hub: ModelHub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat) -> dict:
    """The `generate` API: the continuation and, per step, the token, its probability after the
    settings, and the top alternatives (most probable under the model first)."""
    s = W.check_settings(temperature, top_k, top_p, min_p)
    n = check_int(max_new_tokens, low=1, high=MAX_NEW_TOKENS, what="Number of new tokens")
    seed = check_seed(seed)
    lm, ids = prepare(hub, prompt, chat, n)
    steps = [row[0] for row in D.decode(lm, ids, [s], seed, n)]
    return {
        "text": lm.tokenizer.decode([st.id for st in steps], skip_special_tokens=True),
        "steps": [
            {"id": st.id, "token": st.token, "prob": st.prob,
             "alternatives": [{"token": a.token, "prob": a.prob} for a in st.alternatives]}
            for st in steps
        ],
    }


# --- one learner's path through the text ------------------------------------------------------------


@dataclass
class Path:
    """The prompt, the tokens generated so far, and where the chart is looking."""

    prompt: str = ""
    chat: bool = False
    prompt_ids: list[int] = field(default_factory=list)
    steps: list[D.Step] = field(default_factory=list)
    view: int = 0  # the chart shows the distribution after prompt + steps[:view]
    history: list[str] = field(default_factory=list)  # earlier paths, as short text

    def ids(self, upto: int | None = None) -> list[int]:
        return self.prompt_ids + [st.id for st in self.steps[: len(self.steps) if upto is None else upto]]

    def matches(self, prompt: str, chat: bool) -> bool:
        return bool(self.prompt_ids) and self.prompt == prompt and self.chat == bool(chat)


def prompt_display(lm, path: Path) -> str:
    return lm.tokenizer.decode(path.prompt_ids)


def chart(lm, path: Path, s: W.Settings, seed: int, weights: str = engines.EXACT):
    """The figure and the sentence under it, for the distribution at path.view."""
    d = D.distribution(lm, path.ids(path.view), s, seed=seed, step=path.view, weights=weights)
    where = "the prompt" if path.view == 0 else f"the prompt + {path.view} generated token(s)"
    title = (
        f"Next token after {where} · entropy {d.entropy_raw:.2f} → {d.entropy:.2f} bits · "
        f"{d.kept:,} of {len(lm.tokenizer):,} tokens still possible"
    )
    fig = bars_figure(d.candidates, d.drawn.id, title)
    top = d.candidates[0]
    lines = [
        f"**Settings:** {s.describe()}. **Drawn with seed {seed}:** `{show_token(d.drawn.token)}` "
        f"(model {d.drawn.prob_raw:.1%} → after settings {d.drawn.prob:.1%}).",
        f"**Entropy:** {d.entropy_raw:.2f} bits for the model's own distribution, {d.entropy:.2f} bits after "
        f"the settings (0 bits = no choice left; each extra bit doubles the number of plausible tokens).",
    ]
    if d.removed_raw > 0:
        lines.append(
            f"**Cut away:** {len(lm.tokenizer) - d.kept:,} tokens that held {d.removed_raw:.1%} of the model's "
            f"own probability can no longer be drawn."
        )
    if s.greedy:
        lines.append(f"**Greedy:** temperature 0 always takes `{show_token(top.token)}`, the single most likely token.")
    lines.append(engines.weights_note(lm, weights))
    return fig, "\n\n".join(lines)


def branch_choices(path: Path, step_no: int) -> gr.Dropdown:
    if not path.steps:
        return gr.Dropdown(choices=[], value=None)
    step = path.steps[min(max(int(step_no), 1), len(path.steps)) - 1]
    choices = [
        (f"{show_token(a.token)!r}  model {a.prob_raw:.1%} / after {a.prob:.1%}"
         + ("  (taken)" if a.id == step.id else ""), a.id)
        for a in step.alternatives
    ]
    other = next((a.id for a in step.alternatives if a.id != step.id), None)
    return gr.Dropdown(choices=choices, value=other)


def history_md(path: Path) -> str:
    if not path.history:
        return ""
    return "**Earlier paths** (newest first):\n\n" + "\n".join(f"- {h}" for h in reversed(path.history[-8:]))


# --- the tab -----------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> None:
    lesson_intro(
        "A language model does not write words: for every position it gives a probability to each of "
        "its 49,152 tokens. Decoding settings reshape that distribution, one token is drawn, it is "
        "appended, and the loop repeats. Here you watch it happen on SmolLM2-135M, live.",
        [
            "Temperature 0 always takes the top bar, so once a phrase comes back the model is stuck in a loop.",
            "Temperature 1.5 flattens the bars: red tokens (ones the model itself found unlikely) get drawn, "
            "and one odd token leads to the next.",
            "Top-p, top-k and min-p grey out the tail: those tokens can no longer be drawn, whatever the seed.",
        ],
        [
            "Click *Temperature 0 repeats itself*, then *Repetition penalty breaks the loop*.",
            "Click *Temperature 1.5 rambles* and hover the red tokens: what did the model prefer there?",
            "Click *Top-p cuts the tail*, then drag top-p from 1 down to 0.3 and watch bars turn grey.",
            "Generate, then pick a step and an alternative under *Branch* to see where the other road leads.",
            "Switch *Weights* between 4-bit and 32-bit on the same prompt: how much do the bars move, and does "
            "the drawn token change?",
        ],
    )
    path_state = gr.State(Path())
    with gr.Row():
        prompt = gr.Textbox(label="Prompt", lines=3, scale=4, value="The best thing about rainy days is")
        with gr.Column(scale=1, min_width=220):
            chat = gr.Checkbox(label="Chat: wrap the prompt in the model's chat template", value=False)
            seed = gr.Number(label="Seed (same seed, same text)", value=0, precision=0, minimum=0, maximum=MAX_SEED)
            max_new = gr.Slider(1, MAX_NEW_TOKENS, value=40, step=1, label="New tokens to generate")
            weights = gr.Radio(
                list(engines.WEIGHTS), value=engines.FAST, label="Weights",
                info="4-bit: faster per token. 32-bit: the exact numbers. The note under the chart says how "
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
        examples=[
            ["I like cats because", False, 0.0, 0, 1.0, 0.0, 1.0, 60, 0],
            ["I like cats because", False, 1.5, 0, 1.0, 0.0, 1.0, 60, 0],
            ["I like cats because", False, 0.0, 0, 1.0, 0.0, 1.3, 60, 0],
            ["My favourite fruit is", False, 1.0, 0, 0.3, 0.0, 1.0, 30, 0],
            ["My favourite fruit is", False, 1.0, 0, 1.0, 0.2, 1.0, 30, 0],
            ["Write a short poem about the sea.", True, 0.7, 0, 0.9, 0.0, 1.0, 60, 0],
        ],
        example_labels=[
            "Temperature 0 repeats itself", "Temperature 1.5 rambles", "Repetition penalty breaks the loop",
            "Top-p cuts the tail", "Min-p keeps only close rivals", "Chat at temperature 0.7",
        ],
        inputs=[prompt, chat, temperature, top_k, top_p, min_p, penalty, max_new, seed],
        api_name="sampling_example",
    )
    plot = gr.Plot(label="Next-token distribution")
    summary = gr.Markdown()
    text_html = gr.HTML(label="Generated text")
    with gr.Accordion("Branch: take another road at any step", open=True):
        with gr.Row():
            branch_step = gr.Slider(1, 2, value=1, step=1, label="Step (1 = first generated token)", scale=2)
            branch_alt = gr.Dropdown(label="Take this token instead", choices=[], scale=3)
            branch_btn = gr.Button("Continue from here", scale=1)
        history = gr.Markdown()
    with gr.Accordion("Compare: the same prompt at three temperatures", open=True):
        with gr.Row():
            t_low = gr.Number(label="Temperature A", value=0.0, minimum=0, maximum=W.MAX_TEMPERATURE)
            t_mid = gr.Number(label="Temperature B", value=0.7, minimum=0, maximum=W.MAX_TEMPERATURE)
            t_high = gr.Number(label="Temperature C", value=1.5, minimum=0, maximum=W.MAX_TEMPERATURE)
            compare_btn = gr.Button("Compare")
        with gr.Row(equal_height=True):
            columns = [gr.HTML(), gr.HTML(), gr.HTML()]

    settings_in = [temperature, top_k, top_p, min_p, penalty]

    def settings_of(t, k, p, m, r) -> W.Settings:
        return W.check_settings(t, k, p, m, r)

    @friendly
    def show(text, is_chat, w, t, k, p, m, r, seed_value, path: Path, progress=gr.Progress()):
        s, seed_i = settings_of(t, k, p, m, r), check_seed(seed_value)
        progress(0, desc="loading the model (first use only)" if not hub.is_loaded(MODEL) else "reading the prompt")
        lm, ids = prepare(hub, text, is_chat)
        path = Path(text, bool(is_chat), ids, history=path.history)
        if engines.weights_choice(lm, w) == engines.FAST and not engines.fast_measured(lm):
            progress(0.5, desc="packing the 4-bit weights and measuring them against 32-bit (first use only)")
        fig, md = chart(lm, path, s, seed_i, w)
        return fig, md, chips_html(prompt_display(lm, path), []), path

    @friendly
    def reshape_view(text, is_chat, w, t, k, p, m, r, seed_value, path: Path):
        # Sliders only reshape kept logits; a different prompt waits for a button.
        if not path.matches(text, is_chat):
            return gr.skip(), gr.skip()
        return chart(hub.get(MODEL), path, settings_of(t, k, p, m, r), check_seed(seed_value), w)

    @friendly
    def step_one(text, is_chat, w, t, k, p, m, r, seed_value, path: Path):
        s, seed_i = settings_of(t, k, p, m, r), check_seed(seed_value)
        lm = hub.get(MODEL)
        if not path.matches(text, is_chat):
            _, ids = prepare(hub, text, is_chat)
            path = Path(text, bool(is_chat), ids, history=path.history)
        path.steps = path.steps[: path.view]
        D.check_length(len(path.ids()), 1)
        ids = path.ids()
        step = D.make_step(lm.tokenizer, D.next_logits(lm, ids, w), ids, s, seed_i, len(path.steps))
        path.steps.append(step)
        path.view = len(path.steps)
        fig, md = chart(lm, path, s, seed_i, w)
        n = len(path.steps)
        return fig, md, chips_html(prompt_display(lm, path), path.steps), path, gr.Slider(maximum=max(n, 2), value=n)

    def stream(lm, path: Path, s: W.Settings, seed_i: int, n: int, w: str, forced: int | None = None):
        """Run the decode loop from path.steps, yielding (html, fig, summary) as tokens arrive."""
        start, last_sent, kept = time.perf_counter(), 0.0, list(path.steps)
        prefix, first = path.ids(), len(path.steps)
        D.check_length(len(prefix), n)
        chart_md = ""
        for i, (step,) in enumerate(D.decode(lm, prefix, [s], seed_i, n, first_step=first, forced=forced, weights=w)):
            kept.append(step)
            fig = md = gr.skip()
            if i == 0:  # the chart shows the distribution this run's first token came from
                path.view = first
                fig, md = chart(lm, path, s, seed_i, w)
                chart_md = md
            now = time.perf_counter()
            if now - last_sent >= STREAM_EVERY_S or i == 0:
                last_sent = now
                yield chips_html(prompt_display(lm, path), kept), fig, md
        path.steps = kept
        rate = (len(kept) - first) / (time.perf_counter() - start)
        done = (f"**Generated** {len(kept) - first} tokens at {rate:.1f} tokens/s with {engines.weights_choice(lm, w)} "
                f"weights (seed {seed_i}).")
        yield chips_html(prompt_display(lm, path), kept), gr.skip(), chart_md + "\n\n" + done

    @friendly
    def generate_view(text, is_chat, w, t, k, p, m, r, n_new, seed_value, path: Path):
        s, seed_i = settings_of(t, k, p, m, r), check_seed(seed_value)
        n = check_int(n_new, low=1, high=MAX_NEW_TOKENS, what="Number of new tokens")
        lm, ids = prepare(hub, text, is_chat, n)
        if path.matches(text, is_chat) and path.steps:
            path.history.append(lm.tokenizer.decode(path.ids()[len(path.prompt_ids):])[:200])
        path = Path(text, bool(is_chat), ids, history=path.history)
        for html_out, fig, md in stream(lm, path, s, seed_i, n, w):
            yield html_out, fig, md, path, gr.skip(), gr.skip(), gr.skip()
        n_steps = len(path.steps)
        yield (gr.skip(), gr.skip(), gr.skip(), path, gr.Slider(maximum=max(n_steps, 2), value=1),
               branch_choices(path, 1), history_md(path))

    @friendly
    def pick_step(step_no, path: Path):
        return branch_choices(path, step_no)

    @friendly
    def branch(text, is_chat, w, t, k, p, m, r, n_new, seed_value, step_no, alt, path: Path):
        s, seed_i = settings_of(t, k, p, m, r), check_seed(seed_value)
        n = check_int(n_new, low=1, high=MAX_NEW_TOKENS, what="Number of new tokens")
        if not path.steps or not path.matches(text, is_chat):
            raise UserInputError("Generate some text first (or step a few tokens), then pick a step to branch from.")
        if alt is None:
            raise UserInputError("Pick the token to take instead from the list.")
        i = check_int(step_no, low=1, high=len(path.steps), what="Step") - 1
        lm = hub.get(MODEL)
        old = path.steps[i]
        path.history.append(
            lm.tokenizer.decode([st.id for st in path.steps])[:200]
            + f"  ← branched at step {i + 1}: {show_token(old.token)!r} → {show_token(text.token_text(lm.tokenizer, int(alt)))!r}"
        )
        path.steps = path.steps[:i]
        for html_out, fig, md in stream(lm, path, s, seed_i, n, w, forced=int(alt)):
            yield html_out, fig, md, path, gr.skip(), gr.skip(), gr.skip()
        yield (gr.skip(), gr.skip(), gr.skip(), path, gr.Slider(maximum=max(len(path.steps), 2), value=i + 1),
               branch_choices(path, i + 1), history_md(path))

    @friendly
    def compare(text, is_chat, w, ta, tb, tc, k, p, m, r, n_new, seed_value):
        temps = [ta, tb, tc]
        settings = [settings_of(tt, k, p, m, r) for tt in temps]
        seed_i = check_seed(seed_value)
        n = check_int(n_new, low=1, high=MAX_NEW_TOKENS, what="Number of new tokens")
        lm, ids = prepare(hub, text, is_chat, n)
        shown = lm.tokenizer.decode(ids)
        runs: list[list[D.Step]] = [[], [], []]
        last_sent = 0.0

        def render():
            return [
                f"<b>{s.describe()}</b>" + chips_html(shown, run, show_legend=False, max_prompt_chars=80)
                for s, run in zip(settings, runs)
            ]

        for row in D.decode(lm, ids, settings, seed_i, n, weights=w):
            for run, step in zip(runs, row):
                if step is not None:
                    run.append(step)
            if time.perf_counter() - last_sent >= STREAM_EVERY_S:
                last_sent = time.perf_counter()
                yield render()
        yield render()

    common = [prompt, chat, weights, *settings_in]
    show_btn.click(show, [*common, seed, path_state], [plot, summary, text_html, path_state],
                   api_name="sampling_show", **MODEL_WORK)
    prompt.submit(show, [*common, seed, path_state], [plot, summary, text_html, path_state],
                  api_name="sampling_show_submit", **MODEL_WORK)
    gr.on([c.change for c in [*settings_in, seed]], reshape_view, [*common, seed, path_state], [plot, summary],
          api_name="sampling_reshape", trigger_mode="always_last", **LIGHT_WORK)
    # other weights mean other logits: the model runs, so this waits in the model queue
    weights.change(reshape_view, [*common, seed, path_state], [plot, summary], api_name="sampling_weights",
                   trigger_mode="always_last", **MODEL_WORK)
    step_btn.click(step_one, [*common, seed, path_state], [plot, summary, text_html, path_state, branch_step],
                   api_name="sampling_step", **MODEL_WORK)
    gen_outputs = [text_html, plot, summary, path_state, branch_step, branch_alt, history]
    gen_btn.click(generate_view, [*common, max_new, seed, path_state], gen_outputs,
                  api_name="sampling_generate_stream", **MODEL_WORK)
    examples.load_input_event.then(generate_view, [*common, max_new, seed, path_state], gen_outputs,
                                   api_name="sampling_example_run", **MODEL_WORK)
    branch_step.change(pick_step, [branch_step, path_state], branch_alt, api_name="sampling_pick_step",
                       trigger_mode="always_last", **LIGHT_WORK)
    branch_btn.click(branch, [*common, max_new, seed, branch_step, branch_alt, path_state], gen_outputs,
                     api_name="sampling_branch", **MODEL_WORK)
    compare_btn.click(compare, [prompt, chat, weights, t_low, t_mid, t_high, top_k, top_p, min_p, penalty, max_new, seed],
                      columns, api_name="sampling_compare", **MODEL_WORK)

    # The two JSON endpoints of the issue, with exactly its inputs and shapes.
    @friendly
    def next_token(prompt: str, temperature: float, top_k: int, top_p: float, min_p: float, chat: bool) -> dict:
        return next_token_result(hub, prompt, temperature, top_k, top_p, min_p, chat)

    @friendly
    def generate(prompt: str, max_new_tokens: int, temperature: float, top_k: int, top_p: float, min_p: float,
                 seed: int, chat: bool) -> dict:
        return generate_result(hub, prompt, max_new_tokens, temperature, top_k, top_p, min_p, seed, chat)

    gr.api(next_token, api_name="next_token", **MODEL_WORK)
    gr.api(generate, api_name="generate", **MODEL_WORK)
