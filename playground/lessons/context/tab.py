"""Context windows: the token budget, what overflowing costs, and whether the model uses it all.

The learner composes a request (system prompt, chat history, documents, question, room for the
answer) and sees each part's tokens after the chat template against SmolLM2's window, live; when it
does not fit, a strategy cuts it and the tab strikes through what went. Then what a longer context
costs (the KV cache's memory, prefill and per-token time, measured here), and a needle-in-a-haystack
probe: how likely the model is to give a fact hidden at each depth of a long text. The maths is in
`budget`, `cost` and `needle`; this module holds the text, the layout and the wiring.
"""

from __future__ import annotations

import json

import gradio as gr

from playground.checks import UserInputError, check_int
from playground.lessons.context import budget as B
from playground.lessons.context import cost, needle, views
from playground.lru import BoundedLRU
from playground.models import ModelHub
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "Context windows"
MODEL = "smollm2-135m-instruct"
STRATEGY_CHOICES = [("Drop the oldest turns", "drop_oldest"), ("Cut the end of each document", "cut_documents"),
                    ("Keep each document's start and end, cut the middle", "cut_middle")]
NEEDLE_LENGTHS = [256, 512, 1024, 2048, 4096, 8192]
NEEDLE_DEPTHS = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]

SYSTEM = "You are a concise assistant for a small bicycle shop. Answer from the documents when you can."
HISTORY = [
    {"role": "user", "content": "Hi! Do you repair electric bikes?"},
    {"role": "assistant", "content": "Yes, we service most electric bikes, including batteries and motors."},
    {"role": "user", "content": "Great. How long does a normal service take?"},
    {"role": "assistant", "content": "A standard service takes about two working days, depending on parts."},
]
DOCUMENTS = (
    "Opening hours: Monday to Friday 9:00 to 18:00, Saturday 10:00 to 16:00. Closed on Sundays and public "
    "holidays. In July and August the shop opens one hour earlier on weekdays.\n---\n"
    "Service prices: a basic safety check costs 25 euros; a standard service (brakes, gears, chain, tyres) costs "
    "70 euros; an electric-bike service adds a battery health report for 20 euros. Parts are charged separately.\n"
    "---\nReturns: new bikes can be returned within 14 days if unused. Accessories can be returned within 30 days "
    "with the receipt. Serviced parts cannot be returned once fitted."
)
QUESTION = "How much does a standard service for my electric bike cost, and can I bring it on a Sunday?"

def budget_examples() -> list[list]:
    """(system, history, documents, question, reserve, strategy, window) per one-click example: one that
    fits, three that overflow a pretend smaller window, one with no system prompt."""
    return [[SYSTEM, json.dumps(HISTORY, indent=1), DOCUMENTS, QUESTION, 256, "drop_oldest", 8192],
            [SYSTEM, add_turn(add_turn(json.dumps(HISTORY))), DOCUMENTS, QUESTION, 64, "drop_oldest", 384],
            [SYSTEM, json.dumps(HISTORY[:2]), DOCUMENTS, QUESTION, 64, "cut_documents", 256],
            [SYSTEM, json.dumps(HISTORY[:2]), DOCUMENTS, QUESTION, 64, "cut_middle", 256],
            ["", "[]", "", "Hi!", 64, "drop_oldest", 8192]]


COST_CACHE: BoundedLRU[list[cost.CostPoint]] = BoundedLRU(8)


def window_of(hub: ModelHub) -> int:
    return int(hub.get(MODEL).model.config.max_position_embeddings)


# --- handlers ------------------------------------------------------------------------------------------


def fitted(hub: ModelHub, system, history_json, documents, question, reserve, strategy, window=None):
    w = window_of(hub) if window in (None, "", 0) else check_int(window, low=64, high=window_of(hub),
                                                                   what="The window")
    r = check_int(reserve, low=0, high=10**6, what="The room reserved for the answer")
    req = B.make_request(system, history_json, documents, question)
    return req, B.fit(hub.tokenizer(MODEL), req, w, r, str(strategy)), w, r


@friendly
def show_budget(hub: ModelHub, system, history_json, documents, question, reserve, strategy, window):
    req, f, w, r = fitted(hub, system, history_json, documents, question, reserve, strategy, window)
    return views.summary_md(f, w, r), views.budget_figure(f, w, r), views.dropped_html(req, f)


@friendly
def add_turn(history_json: str) -> str:
    turns = [{"role": r, "content": c} for r, c in B.parse_history(history_json)]
    n = len(turns) // 2 + 1
    turns += [{"role": "user", "content": f"Another question, number {n}: what else should I know about my bike?"},
              {"role": "assistant", "content": "Keep the tyres pumped, the chain clean and oiled, and the brakes "
                                               "checked every few months; bring it in if anything sounds odd."}]
    return json.dumps(turns, indent=1, ensure_ascii=False)


@friendly
def remove_oldest(history_json: str) -> str:
    turns = [{"role": r, "content": c} for r, c in B.parse_history(history_json)]
    return json.dumps(turns[1:], indent=1, ensure_ascii=False)


@friendly
def measure_cost(hub: ModelHub, lengths, progress=gr.Progress()):
    picked = tuple(sorted(int(n) for n in (lengths or [])))
    if not picked:
        raise UserInputError("Pick at least one context length to measure.")
    lm = hub.get(MODEL)
    if max(picked) > window_of(hub):
        raise UserInputError(f"SmolLM2's window is {window_of(hub):,} tokens; pick lengths up to that.")

    def run():
        progress(0.05, desc="Reading prompts of each length, then adding tokens")
        return cost.measure(lm, picked, on_point=lambda done, total: progress(done / total, desc=f"{done} of {total}"))

    points = COST_CACHE.get_or_compute(picked, run)
    per_token = cost.kv_bytes_per_token(lm.model.config, next(lm.model.parameters()).element_size())
    return views.cost_md(points, per_token), views.cost_figure(points)


def needle_cells(hub: ModelHub, lengths, depths, seed, progress=None) -> list[needle.Cell]:
    lm = hub.get(MODEL)
    ls, ds = needle.check_grid(lengths, depths, window_of(hub))
    s = check_int(0 if seed in (None, "") else seed, low=0, high=2**31 - 1, what="Seed")
    def on_cell(done, total, cell):
        if progress is not None:
            progress(done / total, desc=f"{done} of {total} cells (last: {cell.length:,} tokens)")

    return needle.probe(lm.model, lm.tokenizer, ls, ds, s, on_cell=on_cell)


@friendly
def run_needle(hub: ModelHub, lengths, depths, seed, progress=gr.Progress()):
    cells = needle_cells(hub, [int(n) for n in lengths or []], [float(d) for d in depths or []], seed, progress)
    worst = min(cells, key=lambda c: c.answer_prob)
    best = max(cells, key=lambda c: c.answer_prob)
    md = (f"**{len(cells)} cells.** Highest: p = {best.answer_prob:.2f} at {best.length:,} tokens, depth "
          f"{best.depth:.0%}; lowest: p = {worst.answer_prob:.2f} at {worst.length:,} tokens, depth {worst.depth:.0%}. "
          "Each number is the model's own probability of the answer's tokens right after the question "
          "(teacher-forced), not whether one sampled answer happened to match.")
    return md, views.needle_figure(cells)


class Handlers:
    """The API endpoints, bound to the hub (methods, so Gradio reads their type hints)."""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def context_budget(self, system: str, history_json: str, documents: str, question: str, reserve: int,
                       strategy: str) -> dict:
        """The request's tokens per part after the chat template and the strategy, against the model's window."""
        _, f, w, _ = fitted(self.hub, system, history_json, documents, question, reserve, strategy)
        return B.budget_json(f, w)

    @friendly
    def needle(self, lengths: list[int], depths: list[float], seed: int) -> dict:
        """The needle-in-a-haystack probe: the answer's probability at every (length, depth)."""
        cells = needle_cells(self.hub, lengths, depths, seed)
        return {"cells": [{"length": c.length, "depth": c.depth, "answer_prob": c.answer_prob} for c in cells]}


# --- the tab -------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "A model reads a fixed number of tokens at once: its context window (8,192 for SmolLM2). Everything goes in "
        "it: the system prompt, the whole chat so far, any retrieved documents, the question, and the answer it is "
        "about to write. When that does not fit, something has to go, and longer contexts cost memory and time.",
        [
            "The template's own tokens (the role markers, and SmolLM2's default system prompt when you give none) "
            "count too: they are the grey part of the bar.",
            "The KV cache grows by the same number of bytes for every token, so memory is linear in the context; "
            "each new token's attention reads the whole cache, so it gets slower as the context grows.",
            "Fitting in the window is not the same as being used: the needle probe shows where a small model "
            "loses track of a fact in a long text.",
        ],
        [
            "Click *A 384-token model: drop the oldest turns*: which turns went, and does the question still make "
            "sense without them?",
            "Switch between cutting the end of each document and cutting the middle: which keeps the answer to "
            "the question (the service price, the Sunday hours)?",
            "Under *What a longer context costs*, press **Measure**: compare the formula with the real cache, and the "
            "time of one new token at 128 and at 2,048 tokens.",
            "Run the needle probe: is the fact found as well in the middle as at the start and the end?",
        ],
    )
    with gr.Row():
        with gr.Column(scale=3):
            system = gr.Textbox(SYSTEM, label="System prompt (empty: the template adds its default)", lines=2)
            history = gr.Code(json.dumps(HISTORY, indent=1), language="json", label="Chat history (JSON turns)",
                              lines=6, max_lines=14)
            with gr.Row():
                add_btn = gr.Button("Add a turn pair", size="sm")
                remove_btn = gr.Button("Remove the oldest turn", size="sm")
            documents = gr.Textbox(DOCUMENTS, label="Documents (separate them with a line holding only ---)",
                                   lines=6, max_lines=14)
            question = gr.Textbox(QUESTION, label="Question", lines=2)
        with gr.Column(scale=2):
            window = gr.Slider(64, 8192, value=8192, step=64,
                               label="Window (tokens): SmolLM2 has 8,192; pretend a smaller model to see overflow")
            reserve = gr.Slider(0, 8128, value=256, step=16, label="Reserved for the answer (tokens)")
            strategy = gr.Radio(STRATEGY_CHOICES, value="drop_oldest", label="When it does not fit")
    summary = gr.Markdown()
    bar = gr.Plot(label="The budget")
    gone = gr.HTML(label="What the strategy removed")
    inputs = [system, history, documents, question, reserve, strategy, window]
    gr.Examples(
        examples=budget_examples(),
        example_labels=["Fits easily in 8,192", "A 384-token model: drop the oldest turns",
                        "Cut the end of each document", "Cut the middle of each document",
                        "No system prompt: the template adds one"],
        inputs=inputs,
    )
    with gr.Accordion("What a longer context costs", open=False):
        cost_lengths = gr.CheckboxGroup([128, 256, 512, 1024, 2048, 4096], value=list(cost.DEFAULT_LENGTHS),
                                        label="Context lengths to measure (tokens)")
        cost_btn = gr.Button("Measure on this machine")
        cost_md = gr.Markdown()
        cost_plot = gr.Plot(label="Cost")
    with gr.Accordion("Does the model use it? A needle in a haystack", open=False):
        gr.Markdown("A made-up fact (a password) is hidden at a depth of filler text (the Python standard library's "
                    "own documentation), and the model is asked for it. Each cell is the probability it gives the "
                    "right answer. Long contexts take a while on a CPU: the bar shows progress, and cells already "
                    "computed are kept.")
        with gr.Row():
            n_lengths = gr.CheckboxGroup(NEEDLE_LENGTHS, value=list(needle.DEFAULT_LENGTHS), label="Lengths (tokens)")
            n_depths = gr.CheckboxGroup(NEEDLE_DEPTHS, value=list(needle.DEFAULT_DEPTHS), label="Depths")
            n_seed = gr.Number(0, precision=0, minimum=0, label="Seed (which password, which filler order)")
        needle_btn = gr.Button("Run the probe")
        needle_md = gr.Markdown()
        needle_plot = gr.Plot(label="Needle")

    run_budget = lambda *a: show_budget(hub, *a)  # noqa: E731 (tokenizer only: no GPU)
    opened = first_view_trigger()  # the first view: the default request's budget
    # .change: typing and an example's values alike (the count is a tokenizer pass: milliseconds)
    gr.on([system.change, history.change, documents.change, question.change, reserve.change, strategy.change,
           window.change, opened.change],
          run_budget, inputs, [summary, bar, gone], api_name="context_view", trigger_mode="always_last", **LIGHT_WORK)
    add_btn.click(add_turn, history, history, api_name="context_add_turn", **LIGHT_WORK)
    remove_btn.click(remove_oldest, history, history, api_name="context_remove_turn", **LIGHT_WORK)
    cost_btn.click(gpu_bound(measure_cost, hub), cost_lengths, [cost_md, cost_plot], api_name="context_cost",
                   **MODEL_WORK)
    needle_btn.click(gpu_bound(run_needle, hub), [n_lengths, n_depths, n_seed], [needle_md, needle_plot],
                     api_name="context_needle", **MODEL_WORK)
    handlers = Handlers(hub)
    gr.api(handlers.context_budget, api_name="context_budget", **LIGHT_WORK)
    gr.api(handlers.needle, api_name="needle", **MODEL_WORK)
    return LessonPage(inputs={"system": system, "history": history, "documents": documents, "question": question,
                              "window": window, "reserve": reserve, "strategy": strategy}, opened=opened)
