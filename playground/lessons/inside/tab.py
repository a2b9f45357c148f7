"""Inside the model: where the parameters are, what each layer predicts, and what quantization costs.

Four views of one real model: its module tree counted (`anatomy`), one weight matrix up close
(`weights`), the logit lens (`lens`), and the same model in fewer bits (`quantize`, with the
simulated rounding curve in `rounding`). This module holds the text, the layout and the wiring.
"""

from __future__ import annotations

import gradio as gr

from playground.checks import UserInputError, check_int
from playground.lessons.inside import anatomy as A
from playground.lessons.inside import lens as L
from playground.lessons.inside import quantize as Q
from playground.lessons.inside import rounding, views
from playground.lessons.inside import weights as W
from playground.models import ModelHub
from playground.models.catalog import Kind
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import MODEL_WORK

TITLE = "Inside the model"
MODEL = "smollm2-135m-instruct"
DEFAULT_MATRIX = "model.layers.{layer}.self_attn.q_proj.weight"
LENS_EXAMPLES = [
    ["The capital of France is", " Paris"],
    ["The opposite of hot is", " cold"],
    ["Monday, Tuesday, Wednesday,", " Thursday"],
    ["She took her umbrella because it was", " raining"],
]
QUANT_TEXT = ("The best thing about rainy days is the sound on the roof. I like cats because they are calm, and my "
              "favourite fruit is a ripe pear.")
QUANT_EXAMPLES = [
    [QUANT_TEXT],
    ["def add(a, b):\n    return a + b\n\nprint(add(2, 3))"],
    ["Photosynthesis is the process by which green plants use sunlight to turn water and carbon dioxide into"],
]
DEFAULT_VARIANTS = ["fp32", "bf16", "nf4", "q4_1"]


def model_choices(hub: ModelHub) -> list[str]:
    return hub.keys(Kind.CAUSAL_LM) + hub.keys(Kind.SENTENCE_ENCODER)


def checked_model(hub: ModelHub, model: str | None) -> str:
    key = str(model or MODEL).strip()
    if key not in hub.keys():
        raise UserInputError(f"Unknown model {key!r}: pick one of {', '.join(hub.keys())}.")
    return key


def count_model(hub: ModelHub, model: str | None) -> tuple[A.Anatomy, object]:
    lm = hub.get(checked_model(hub, model))
    return A.count(lm.key, lm.model), lm


# --- handlers ------------------------------------------------------------------------------------------


@friendly
def show_anatomy(hub: ModelHub, model):
    a, lm = count_model(hub, model)
    templates = W.matrix_templates(lm.model)
    pick = DEFAULT_MATRIX if DEFAULT_MATRIX in templates else next(
        (t for t in templates if W.LAYER_SLOT in t), templates[0])
    layers = max(a.n_layers() - 1, 0)
    return (views.anatomy_md(a, lm.memory_mb, dict(lm.derived_mb)), views.anatomy_treemap(a), views.role_bars(a),
            gr.update(choices=templates, value=pick), gr.update(maximum=layers, value=min(layers, 0)))


@friendly
def show_matrix(hub: ModelHub, model, template, layer, row, col):
    lm = hub.get(checked_model(hub, model))
    v = W.matrix_view(lm.model, str(template or DEFAULT_MATRIX), check_int(layer or 0, low=0, high=10_000, what="Layer"),
                      check_int(row or 0, low=0, high=10**6, what="First row"),
                      check_int(col or 0, low=0, high=10**6, what="First column"))
    return views.matrix_md(v), views.matrix_figure(v)


@friendly
def run_lens(hub: ModelHub, text, target, model):
    lm = hub.get(checked_model(hub, model))
    lens = L.logit_lens(lm, text, target)
    return views.lens_md(lens), views.lens_figure(lens, lm.tokenizer), views.target_figure(lens)


@friendly
def run_compare(hub: ModelHub, text, variants, seed, progress=gr.Progress()):
    s = check_int(0 if seed in (None, "") else seed, low=0, high=2**31 - 1, what="Seed")
    progress(0.0, desc="Reading the 32-bit reference")

    def on_variant(done: int, total: int, name: str) -> None:
        progress(done / total, desc=f"{name}: loading if needed, then measuring ({done + 1} of {total})")

    c = Q.compare(hub, MODEL, text, variants, s, on_variant=on_variant)
    return views.comparison_md(c), views.comparison_figure(c), views.generations_html(c), views.resident_md(c.resident)


@friendly
def run_curve(hub: ModelHub, group, progress=gr.Progress()):
    g = int(group)
    if g not in rounding.GROUPS:
        raise UserInputError(f"Group size must be one of {', '.join(map(str, rounding.GROUPS))}.")
    lm = hub.get(MODEL)
    progress(0.0, desc="Rounding the weights at 8 bits")
    points = rounding.curve(lm.model, lm.tokenizer, g, cache_key=lm.key,
                            on_point=lambda done, total: progress(done / total, desc=f"{done} of {total} widths"))
    return views.curve_md(points), views.curve_figure(points)


@friendly
def show_resident(hub: ModelHub):
    return views.resident_md(Q.resident(hub))


class Handlers:
    """The API endpoints, bound to the hub (methods, so Gradio reads their type hints)."""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def anatomy(self, model: str) -> dict:
        """The model's parameters, partitioned by the module that owns them; `total` is their sum."""
        return count_model(self.hub, model)[0].as_json()

    @friendly
    def logit_lens(self, text: str, model: str) -> dict:
        """The top token of every layer's lens distribution at every position (embeddings first)."""
        lm = self.hub.get(checked_model(self.hub, model))
        return L.logit_lens(lm, text).as_json(lm.tokenizer)

    @friendly
    def quantize_compare(self, text: str, variants: list[str]) -> dict:
        """Memory, bits, KL and top-1 agreement against fp32 on `text`, and decode speed, per variant."""
        return Q.compare(self.hub, MODEL, text, variants).as_json()


# --- the tab -------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "A language model is a stack of layers, and every layer is a few big matrices of numbers: its "
        "parameters. SmolLM2 has 135 million of them. Each token's vector passes up the stack, every layer adding "
        "to it, and only the top is turned into a prediction; stored in fewer bits, the same numbers take less "
        "memory and predict almost, but not quite, the same.",
        [
            "Most parameters sit in the MLPs (gate, up, down), not in attention; the token embeddings are a fifth of "
            "this small model, and they are used twice (in and out).",
            "In the logit lens the early layers predict filler (“the”, “,”): the answer appears only in the top few "
            "layers. The last row is the model's own prediction.",
            "This SmolLM2 ships as a Q4_1 GGUF, so its 32-bit weights already sit on a 4-bit grid of groups of 32: "
            "the Q4_1 engine finds the same levels and barely moves, while NF4's different grid does.",
        ],
        [
            "Count the parameters, then click a block in the treemap: how many go to k and v compared with q, "
            "and why (grouped-query attention)?",
            "Run the lens on *The capital of France is* with target *Paris*: at which layer does Paris first win?",
            "Compare the variants, then draw the bits curve with groups of 32 and of 128: where does quality collapse, "
            "and why is 4 bits in groups of 32 almost free for this model?",
        ],
    )
    with gr.Accordion("Anatomy: where the parameters are", open=True):
        with gr.Row():
            model = gr.Dropdown(model_choices(hub), value=MODEL, label="Model", scale=3)
            count_btn = gr.Button("Count the parameters", variant="primary", scale=1)
        anatomy_md = gr.Markdown()
        with gr.Row():
            treemap = gr.Plot(label="Treemap")
            bars = gr.Plot(label="By job")
    with gr.Accordion("A parameter, up close", open=False):
        gr.Markdown("Weights are just numbers. Pick a matrix and a layer: a slice of it as colours (blue above 0, red "
                    "below), and the histogram of every value in it. Count the parameters first to fill the list.")
        with gr.Row():
            matrix = gr.Dropdown([DEFAULT_MATRIX], value=DEFAULT_MATRIX, label="Matrix", scale=3)
            layer = gr.Slider(0, 29, value=0, step=1, label="Layer", scale=2)
        with gr.Row():
            row0 = gr.Number(0, precision=0, minimum=0, label="First row of the slice")
            col0 = gr.Number(0, precision=0, minimum=0, label="First column of the slice")
        matrix_md = gr.Markdown()
        matrix_plot = gr.Plot(label="Matrix")
    with gr.Accordion("Logit lens: the prediction forming layer by layer", open=True):
        with gr.Row():
            lens_text = gr.Textbox(LENS_EXAMPLES[0][0], label="Text (up to 256 tokens)", lines=2, scale=3)
            lens_target = gr.Textbox(LENS_EXAMPLES[0][1], label="Target token (empty: the model's own next token)",
                                     scale=1)
            lens_model = gr.Dropdown(hub.keys(Kind.CAUSAL_LM), value=MODEL, label="Model", scale=1)
        lens_btn = gr.Button("Run the lens", variant="primary")
        gr.Examples(LENS_EXAMPLES, [lens_text, lens_target],
                    example_labels=["A capital", "An opposite", "A sequence", "A reason"])
        lens_md = gr.Markdown()
        lens_grid = gr.Plot(label="Logit lens")
        lens_line = gr.Plot(label="The target, layer by layer")
    with gr.Accordion("Quantization: the same model in fewer bits", open=False):
        gr.Markdown("Each variant reads your text and continues it with the same random seed. Variants load from "
                    "the model's files when asked (a few seconds each, progress below); this tab keeps at most one "
                    "besides the shared model, so asking for another frees the last.")
        with gr.Row():
            q_text = gr.Textbox(QUANT_TEXT, label="Text to measure on (up to 256 tokens)", lines=3, scale=3)
            with gr.Column(scale=2):
                q_variants = gr.CheckboxGroup(list(Q.VARIANTS), value=DEFAULT_VARIANTS, label="Variants")
                q_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
        q_btn = gr.Button("Compare", variant="primary")
        gr.Examples(QUANT_EXAMPLES, [q_text], example_labels=["Plain English", "Code", "A science sentence"])
        q_md = gr.Markdown()
        q_plot = gr.Plot(label="Variants")
        q_gen = gr.HTML()
        resident = gr.Markdown()
        gr.Markdown("**How many bits are enough?** Every block weight rounded to 8, 6, 4, 3 and 2 bits (each group "
                    "of weights keeps its own minimum and step), then the same measurement.")
        with gr.Row():
            group = gr.Radio([("32", 32), ("64", 64), ("128", 128), ("a whole row", 0)], value=64,
                             label="Group size (weights sharing one minimum and step)")
            curve_btn = gr.Button("Draw the curve")
        curve_md = gr.Markdown()
        curve_plot = gr.Plot(label="Bits curve")

    matrix_view = gpu_bound(show_matrix, hub)
    matrix_io = ([model, matrix, layer, row0, col0], [matrix_md, matrix_plot])
    opened = first_view_trigger()  # the first view: SmolLM2's anatomy, and the lens on "The capital of France is"
    gr.on([count_btn.click, opened.change], gpu_bound(show_anatomy, hub), model, [anatomy_md, treemap, bars, matrix, layer],
          api_name="inside_anatomy_view", **MODEL_WORK).then(
        matrix_view, *matrix_io, api_name="inside_first_matrix", **MODEL_WORK)  # the picker may keep its value
    gr.on([matrix.input, layer.release, row0.submit, col0.submit], matrix_view, *matrix_io, api_name="inside_matrix",
          trigger_mode="always_last", **MODEL_WORK)
    gr.on([lens_btn.click, lens_text.submit, lens_target.submit, opened.change], gpu_bound(run_lens, hub),
          [lens_text, lens_target, lens_model], [lens_md, lens_grid, lens_line], api_name="inside_lens", **MODEL_WORK)
    q_btn.click(gpu_bound(run_compare, hub), [q_text, q_variants, q_seed], [q_md, q_plot, q_gen, resident],
                api_name="inside_compare", **MODEL_WORK)
    curve_btn.click(gpu_bound(run_curve, hub), group, [curve_md, curve_plot], api_name="inside_curve", **MODEL_WORK)
    handlers = Handlers(hub)
    gr.api(handlers.anatomy, api_name="anatomy", **MODEL_WORK)
    gr.api(handlers.logit_lens, api_name="logit_lens", **MODEL_WORK)
    gr.api(handlers.quantize_compare, api_name="quantize_compare", **MODEL_WORK)
    return LessonPage(inputs={"model": model, "lens_text": lens_text, "target": lens_target, "lens_model": lens_model,
                              "quant_text": q_text, "variants": q_variants, "seed": q_seed, "group": group},
                      opened=opened)
