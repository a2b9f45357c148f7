"""Representation lab: classify text three (four) ways, and train an embedding model so the map moves.

The maths is in `classify` (the methods), `retrieval` (MRR, recall@1) and `jobs` (SetFit and the
contrastive run, in a training worker); `lab` checks the data and queues the runs; this module holds
the text, the layout and the wiring.
"""

from __future__ import annotations

import copy
import json

import gradio as gr

from playground.checks import UserInputError
from playground.data.uploads import NO_LABEL, read_upload
from playground.lessons.representation import classify as C
from playground.lessons.representation import lab
from playground.lessons.representation import sets as S
from playground.lessons.representation import views
from playground.lru import BoundedLRU
from playground.models import ModelHub
from playground.training.jobs import default_runner
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK, TRAINING_WAIT
from playground.viz.training import progress_md

TITLE = "Representation lab"
DEFAULT_SET = "tickets"


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def set_values(name: str) -> tuple[str, str, str]:
    """(train JSONL, test JSONL, descriptions JSON) of a built-in set."""
    train, test = S.builtin_split(name)
    return S.examples_jsonl(train), S.examples_jsonl(test), json.dumps(S.DESCRIPTIONS[name], indent=1)


# --- handlers ------------------------------------------------------------------------------------------


@friendly
def pick_set(name: str):
    return set_values(name)


@friendly
def upload_set(path):
    if not path:
        raise UserInputError("Upload a CSV or JSONL file with a text and a label column.")
    corpus = read_upload(path, "text", "label", max_rows=S.MAX_TEXTS, max_chars_per_text=S.MAX_CHARS)
    rows = [S.Example(t, str(lab_)) for t, lab_ in zip(corpus.texts, corpus.labels or []) if lab_ != NO_LABEL]
    if not rows:
        raise UserInputError("No row of the upload has a label: it needs a label column beside the text.")
    labels = sorted({e.label for e in rows})
    train, test = [], []
    for label in labels:  # stratified: the last 30% of each label is the test set
        group = [e for e in rows if e.label == label]
        k = max(1, round(len(group) * S.TEST_SHARE)) if len(group) > 1 else 0
        train += group[: len(group) - k]
        test += group[len(group) - k:]
    return S.examples_jsonl(train), S.examples_jsonl(test), json.dumps({label: label for label in labels}, indent=1)


SETFIT_NEXT = "*Next: SetFit trains in a worker process …*"
SETFIT_LATER = "*SetFit is not in this table yet: press **Compare** to train it too (about a minute, in a worker).*"


@friendly
def quick_run(hub: ModelHub, train_jsonl, test_jsonl, descriptions, seed, note: str = SETFIT_NEXT):
    c, train = lab.quick_methods(hub, train_jsonl, test_jsonl, descriptions, seed)
    curve = C.few_shot_curve(hub, train, c.test, c.labels, seed=lab.check_seed(seed))
    return (views.comparison_md(c, note), views.confusion_figure(c),
            views.wrong_html(c), views.few_shot_figure(curve, c), {"comparison": c, "train": train, "curve": curve})


FIRST_VIEWS: BoundedLRU[tuple] = BoundedLRU(4)  # the first view by its inputs: a class opening the tab pays once


def first_view(hub: ModelHub, train_jsonl, test_jsonl, descriptions, seed):
    """The quick methods on the built-in set, without SetFit (it trains only on Compare); computed once per
    process for the same inputs, and copied for each page (SetFit later adds its row to a page's own copy)."""
    key = (train_jsonl, test_jsonl, descriptions, seed)
    return copy.deepcopy(FIRST_VIEWS.get_or_compute(
        key, lambda: quick_run(hub, train_jsonl, test_jsonl, descriptions, seed, note=SETFIT_LATER)))


def setfit_run(hub: ModelHub, kept, per_class, seed, request: gr.Request | None):
    if not kept:
        return
    c, train, curve = kept["comparison"], kept["train"], kept["curve"]
    for p in lab.setfit_steps(hub, default_runner(), _session(request), c, train, per_class, seed):
        if p.result is None:
            yield (views.comparison_md(c, "**SetFit:** " + progress_md(p.place, p.status, p.step, p.total_steps,
                                                                         p.elapsed, p.seconds_left())),
                   gr.skip(), gr.skip(), gr.skip())
    yield views.comparison_md(c), views.confusion_figure(c), views.wrong_html(c), views.few_shot_figure(curve, c)


def embedding_train_run(hub: ModelHub, pairs_jsonl, epochs, learning_rate, seed, request: gr.Request | None):
    run = lab.embedding_run(hub, pairs_jsonl, epochs, learning_rate, seed)
    notes = "".join(f"\n\n{n}" for n in run.notes)
    anchors, positives = run.config["test_anchors"], run.config["test_positives"]
    before = None
    for p in lab.run_job(default_runner(), _session(request), lab.CONTRASTIVE_JOB, run.config):
        if p.result is None:
            yield (progress_md(p.place, p.status, p.step, p.total_steps, p.elapsed, p.seconds_left()) + notes,
                   views.loss_figure(p.train, p.total_steps) if p.train else gr.skip(), gr.skip(), gr.skip())
            continue
        d = p.result
        before = d["before"]
        done = (f"**Done** in {d['seconds']:.0f} s: {d['steps']} steps ({d['train_seconds']:.0f} s of training) on "
                f"{len(run.train)} pairs; worker peak memory {d['peak_mb']:.0f} MB. The shared MiniLM every other tab "
                "uses was not touched: the tuned copy lived in the worker process and ended with it." + notes)
        yield (done, views.loss_figure(d["train"], d["steps"]),
               views.retrieval_md(before, d["after"], len(anchors), len(run.train)),
               views.maps_figure(d["map_before"], d["map_after"], anchors, positives))


@friendly
def cancel_run(request: gr.Request) -> str:
    job = default_runner().cancel(_session(request))
    return "Nothing to cancel." if job is None else "Cancelling: the worker process is being stopped."


class Handlers:
    """The handlers that need the hub, bound to it (methods, so Gradio reads their type hints and hands
    them the `gr.Request` that names the session)."""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def setfit(self, kept, per_class, seed, request: gr.Request):
        yield from setfit_run(self.hub, kept, per_class, seed, request)

    @friendly
    def train(self, pairs_jsonl, epochs, learning_rate, seed, request: gr.Request):
        yield from embedding_train_run(self.hub, pairs_jsonl, epochs, learning_rate, seed, request)

    @friendly
    def classify_compare(self, train_jsonl: str, test_jsonl: str, label_descriptions_json: str,
                         request: gr.Request) -> dict:
        """Four classifiers on the same split: accuracy, macro F1, seconds and the test predictions of each."""
        return lab.compare(self.hub, default_runner(), "api:" + _session(request), train_jsonl, test_jsonl,
                           label_descriptions_json).as_json()

    @friendly
    def embedding_train(self, pairs_jsonl: str, epochs: int, learning_rate: float, seed: int,
                        request: gr.Request) -> dict:
        """Fine-tune MiniLM on (anchor, positive) pairs; held-out retrieval before and after, and the loss."""
        return lab.train_embeddings_to_end(self.hub, default_runner(), "api:" + _session(request), pairs_jsonl,
                                           epochs, learning_rate, seed)


# --- the tab -------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "An embedding turns a text into a vector; what you build on it is where it earns its keep. Here the same "
        "texts are classified four ways, from no labelled examples at all (zero-shot) to a few labelled ones "
        "(a logistic regression on the embeddings, and SetFit, which also fine-tunes the encoder), and then an "
        "embedding model itself is trained so that texts that belong together move together.",
        [
            "Zero-shot needs no labels, only a good description of each label: edit one and watch its accuracy move.",
            "The few-shot curve crosses the zero-shot lines early: a handful of labelled examples per class already "
            "beats a prompt on this data.",
            "Training the embedding model pulls each question towards its own answer and away from the other answers "
            "in its batch (in-batch negatives): the lines on the map get shorter, and MRR goes up.",
        ],
        [
            "Press **Compare** on the support tickets: which method wins, and which tickets does every method get wrong?",
            "Change the *technical* description to something vague (\"a problem\") and compare again.",
            "Under *Train an embedding model*, press **Train**: how much do MRR and recall@1 move on the held-out pairs?",
        ],
    )
    train0, test0, desc0 = set_values(DEFAULT_SET)
    with gr.Accordion("Classify text, four ways", open=True):
        with gr.Row():
            set_pick = gr.Dropdown([(v, k) for k, v in S.BUILTIN_SETS.items()], value=DEFAULT_SET, label="Built-in set")
            upload = gr.File(label="Or upload CSV / JSONL with text and label columns", file_types=[".csv", ".jsonl"],
                             height=90)
        with gr.Row():
            train_box = gr.Code(train0, language="json", label="Training set (JSONL: text, label)", lines=6, max_lines=10)
            test_box = gr.Code(test0, language="json", label="Test set (JSONL)", lines=6, max_lines=10)
        with gr.Row():
            desc_box = gr.Code(desc0, language="json", label="Label descriptions for zero-shot (JSON; empty: the names)",
                               lines=6, max_lines=10)
            with gr.Column():
                per_class = gr.Slider(2, 16, value=lab.SETFIT_PER_CLASS, step=1,
                                      label="SetFit: labelled examples per class")
                seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                with gr.Row():
                    compare_btn = gr.Button("Compare", variant="primary")
                    cancel_btn = gr.Button("Cancel SetFit", variant="stop")
        compare_md = gr.Markdown()
        with gr.Row():
            confusion = gr.Plot(label="Confusion matrices")
            curve = gr.Plot(label="Few-shot curve")
        wrong = gr.HTML()
        kept = gr.State(None)  # the three quick methods' comparison, for SetFit to add to
    with gr.Accordion("Train an embedding model", open=False):
        gr.Markdown("Pairs of a question and its answer from a (fictional) bicycle shop's help desk. MiniLM is "
                    "fine-tuned so each question lands nearest its own answer, with the other answers in its batch "
                    "as negatives (a multiple-negatives ranking loss); the held-out pairs measure it before and after.")
        pairs_box = gr.Code(S.builtin_pairs(), language="json", label="Pairs (JSONL: anchor, positive, optional "
                            "\"split\": \"test\")", lines=6, max_lines=10)
        with gr.Row():
            epochs = gr.Slider(1, lab.MAX_EPOCHS, value=2, step=1, label="Epochs")
            lr = gr.Number(5e-5, label="Learning rate", minimum=0)
            e_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
        with gr.Row():
            train_btn = gr.Button("Train", variant="primary")
            cancel2 = gr.Button("Cancel", variant="stop")
        train_md = gr.Markdown()
        loss_plot = gr.Plot(label="Loss")
        retrieval_md = gr.Markdown()
        maps = gr.Plot(label="Maps")

    set_pick.change(pick_set, set_pick, [train_box, test_box, desc_box], api_name="representation_set", **LIGHT_WORK)
    upload.upload(upload_set, upload, [train_box, test_box, desc_box], api_name="representation_upload", **LIGHT_WORK)
    handlers = Handlers(hub)
    compare_btn.click(gpu_bound(quick_run, hub), [train_box, test_box, desc_box, seed],
                      [compare_md, confusion, wrong, curve, kept], api_name="representation_compare", **MODEL_WORK
                      ).success(handlers.setfit, [kept, per_class, seed], [compare_md, confusion, wrong, curve],
                                api_name="representation_setfit", **TRAINING_WAIT)
    opened = first_view_trigger()  # the first view: the quick methods on the tickets; SetFit trains on Compare
    opened.change(gpu_bound(first_view, hub), [train_box, test_box, desc_box, seed],
                  [compare_md, confusion, wrong, curve, kept], api_name="representation_first_view", **MODEL_WORK)
    train_btn.click(handlers.train, [pairs_box, epochs, lr, e_seed], [train_md, loss_plot, retrieval_md, maps],
                    api_name="representation_train", **TRAINING_WAIT)
    cancel_btn.click(cancel_run, None, compare_md, api_name="representation_cancel_setfit", **LIGHT_WORK)
    cancel2.click(cancel_run, None, train_md, api_name="representation_cancel_training", **LIGHT_WORK)
    gr.api(handlers.classify_compare, api_name="classify_compare", **TRAINING_WAIT)
    gr.api(handlers.embedding_train, api_name="embedding_train", **TRAINING_WAIT)
    # the built-in set is left out: its boxes fill after the first view has read them
    return LessonPage(inputs={"per_class": per_class, "seed": seed, "epochs": epochs, "lr": lr,
                              "train_seed": e_seed}, opened=opened)
