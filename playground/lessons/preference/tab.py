"""Preference lab: what a preference pair teaches, and DPO on the CPU.

The learner scores a pair (each answer's log-probability token by token, DPO's implicit rewards,
margin and loss), trains a LoRA adapter with trl's DPO trainer in a worker process while the loss,
reward margin and reward accuracy stream into a plot, reads the held-out prompts answered before
and after, sees the held-out pairs re-scored, and compares DPO with SFT on the chosen answers. The
maths is in `scoring`, `dpo` and `lab`; this module holds the text, the layout and the wiring.
"""

from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr

from playground.lessons.preference import lab, pairs, views
from playground.models import ModelHub
from playground.training import rows
from playground.training.adapters import default_store
from playground.training.jobs import ENDED, default_runner
from playground.ui.errors import friendly
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK, TRAINING_WAIT
from playground.viz.training import answers_html, progress_md

TITLE = "Preference"
OWN = "own"
DEFAULT_TRAIN_PAIRS = 12  # the default run: one pass over 12 pairs (3 DPO steps), under two minutes on two cores
LR_CHOICES = [1e-4, 2e-4, 5e-4, 1e-3, 5e-3]
ADAPTER = "adapter"

# The newest tuned adapter of each session (its run folder in the shared store), for scoring a pair.
_tuned: dict[str, str] = {}
_tuned_lock = threading.Lock()


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def remember(session: str, run_dir) -> None:
    with _tuned_lock:
        _tuned[session] = str(run_dir)


def tuned_adapter(session: str):
    """The session's newest preference adapter, if the store still keeps it: (folder, its name)."""
    with _tuned_lock:
        run = _tuned.get(session)
    if run is None or Path(run) not in default_store().runs(session):
        return None, None
    stored = default_store().adapter(Path(run), ADAPTER)
    return (stored.folder, f"{Path(run).name}, trained in this session") if stored else (None, None)


def example_pairs() -> list[list[str]]:
    """One held-out pair from each built-in set, for the scoring examples."""
    out = []
    for key in pairs.BUILTINS:
        p = pairs.split_pairs(pairs.parse_pairs(pairs.builtin_jsonl(key))).test[0]
        out.append([p.question(), p.chosen, p.rejected])
    return out


def limits_md() -> str:
    return (f"**Limits:** up to {pairs.MAX_PAIRS} pairs, {lab.MAX_PROMPT_TOKENS} tokens per prompt (in the chat "
            f"template) and {lab.MAX_ANSWER_TOKENS} per answer, {lab.MAX_EPOCHS} epochs, {lab.MAX_STEPS} optimizer steps "
            f"(batches of {lab.Settings().batch_size} pairs), β in (0, {lab.MAX_BETA:g}]. A DPO step reads every pair four "
            "times (chosen and rejected, with the adapter on and off), so it costs about four times an SFT step. The "
            f"first {lab.MAX_PROMPTS} held-out prompts are answered greedily, up to {lab.MAX_NEW_TOKENS} tokens. One run "
            "trains at a time; others wait in line and see their place.")


# --- handlers ------------------------------------------------------------------------------------------


def score_view(hub: ModelHub, prompt, chosen, rejected, beta, request: gr.Request | None):
    folder, name = tuned_adapter(_session(request))
    s = lab.score(hub, prompt, chosen, rejected, beta, folder)
    tok = hub.tokenizer(lab.MODEL)
    return views.score_md(s, float(beta), name), views.pair_html(tok, s)


@friendly
def pick_set(key: str):
    return gr.skip() if key == OWN else pairs.builtin_jsonl(key)


@friendly
def read_upload(path: str | None):
    if not path:
        return gr.skip(), gr.skip()
    return rows.read_upload(path), OWN


def describe(jsonl: str) -> str:
    s = pairs.split_pairs(pairs.parse_pairs(jsonl))
    return "\n\n".join([f"**Pairs:** {s.counts()}."] + s.notes)


def train_run(hub: ModelHub, jsonl, beta, learning_rate, epochs, seed, method, train_pairs, compared: dict | None,
              request: gr.Request | None):
    s = lab.check_settings(beta, learning_rate, epochs, seed, method, train_pairs)
    session = _session(request)
    store, runner = default_store(), default_runner()
    run_dir = store.reserve(session)
    kept, job = False, None
    compared = dict(compared or {})
    try:
        job, prepared = lab.start(hub, runner, session, jsonl, s, run_dir)
        questions = [p["question"] for p in prepared.prompts]
        drawn = -1
        for p in lab.follow(job, runner):
            points = len(p.train) + len(p.eval)
            before = gr.skip() if p.before is None else answers_html(
                questions, [("Base model (before)", p.before), ("Tuned model (after)", None)])
            yield (progress_md(p.place, p.status, p.step, p.total_steps, p.elapsed, p.seconds_left()),
                   views.curves_figure(p.train, p.eval, p.total_steps, s.method) if points != drawn else gr.skip(),
                   before, gr.skip(), gr.skip(), gr.skip(), compared)
            drawn = points
        store.keep(session, run_dir)
        kept = True
        remember(session, run_dir)
        d = p.result
        compared[s.method] = {k: d[k] for k in ("test_before", "test_after")}
        test_q = [t["question"] for t in prepared.test]
        done = (f"**Done** in {d['seconds']:.0f} s: {d['steps']} steps of {views.METHOD_NAMES[s.method]} "
                f"({d['train_seconds']:.0f} s of training), {d['trainable_params']:,} trainable LoRA parameters, "
                f"peak memory of the worker {d['peak_mb']:.0f} MB. The reference was the same model with the adapter "
                "switched off: no second copy." + "".join(f"\n\n{n}" for n in prepared.notes)
                + "\n\n" + views.lengths_md(d["before_tokens"], d["after_tokens"])
                + "\n\nScore a pair above again: it now uses this adapter as the policy.")
        answers = answers_html([b["prompt"] for b in d["before"]],
                               [("Base model (before)", [b["text"] for b in d["before"]]),
                                (f"Tuned with {s.method.upper()} (after)", [a["text"] for a in d["after"]])])
        yield (done, views.curves_figure(d["train"], d["eval"], d["steps"], s.method), answers,
               views.heldout_html(test_q, d["test_before"], d["test_after"]), views.compare_md(compared),
               gr.DownloadButton(value=str(store.adapter(run_dir, ADAPTER).zip_path), visible=True), compared)
    finally:
        if job is not None and job.status not in ENDED:
            runner.cancel(session)  # the page went away mid-run
        if not kept:
            store.discard(run_dir)


@friendly
def cancel_run(request: gr.Request) -> str:
    job = default_runner().cancel(_session(request))
    return "Nothing to cancel." if job is None else "Cancelling: the worker process is being stopped."


def forget_session(request: gr.Request) -> None:
    session = getattr(request, "session_hash", None)
    if session:
        default_runner().cancel(session)
        default_store().remove_session(session)
        with _tuned_lock:
            _tuned.pop(session, None)


class Handlers:
    """The handlers that need the hub, bound to it (methods, so Gradio reads their type hints and
    hands them the `gr.Request` that names the session)."""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def score(self, prompt, chosen, rejected, beta, request: gr.Request):
        return score_view(self.hub, prompt, chosen, rejected, beta, request)

    @friendly
    def describe(self, jsonl: str):
        return describe(jsonl)

    @friendly
    def train(self, jsonl, beta, learning_rate, epochs, seed, method, train_pairs, compared, request: gr.Request):
        yield from train_run(self.hub, jsonl, beta, learning_rate, epochs, seed, method, train_pairs, compared, request)

    @friendly
    def preference_score(self, prompt: str, chosen: str, rejected: str, beta: float, request: gr.Request) -> dict:
        """The `preference_score` API: both answers' log-probabilities, token by token, DPO's rewards, margin and
        loss on the base model (or the session's tuned adapter, named in "adapter")."""
        folder, name = tuned_adapter(_session(request))
        s = lab.score(self.hub, prompt, chosen, rejected, beta, folder)
        return lab.score_json(self.hub.tokenizer(lab.MODEL), s, name)

    @friendly
    def dpo_train(self, pairs_jsonl: str, beta: float, learning_rate: float, epochs: int, seed: int,
                  request: gr.Request) -> dict:
        """The `dpo_train` API: one whole DPO run on the given pairs; the curves and the answers before and after."""
        session = _session(request)
        store = default_store()
        run_dir = store.reserve(session)
        try:
            result = lab.run_to_end(self.hub, default_runner(), "api:" + session, pairs_jsonl, beta, learning_rate,
                                    epochs, seed, run_dir)
        except BaseException:
            store.discard(run_dir)
            raise
        store.keep(session, run_dir)
        remember(session, run_dir)  # this client's preference_score now scores with the tuned adapter
        return result


# --- the tab -------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "A preference pair is a prompt with two answers, one people preferred (chosen) and one they did not "
        "(rejected). DPO trains on such pairs directly: it makes the chosen answer more likely and the rejected one "
        "less likely *than a frozen reference model finds them*. Here the reference is SmolLM2 itself with the "
        "adapter switched off, and the training runs on this machine's CPU.",
        [
            "An answer's log-probability is the sum over its tokens (each chip shows its own): longer answers score "
            "lower just for being longer, which is why DPO compares each answer with the reference, not with the "
            "other answer.",
            "Before any training the policy is the reference: both rewards are 0 and the loss is log 2 = 0.693, for "
            "every pair. Margin and accuracy on the held-out pairs (orange) say whether the preference generalises.",
            "The length trap's chosen answers are always longer: a model trained on it learns to ramble, because "
            "length is what the data rewarded. Preference data teaches whatever separates chosen from rejected.",
        ],
        [
            "Click a scoring example and **Score**: see why the rewards are 0 and the loss is 0.693. Which answer "
            "is more likely on its own, and why doesn't that count?",
            "Pick *Concise vs rambling*, press **Train**, then score the same pair again: where did the reward "
            "margin come from, the chosen answer going up or the rejected one going down?",
            "Train on *The length trap*: compare the answer lengths before and after.",
            "Switch the method to *SFT on the chosen answers* and train the same set: in the comparison table, what "
            "did each method do to the rejected answers' log-probability?",
            "Raise β to 1: the same step now moves the rewards ten times as much; does the loss fall faster?",
        ],
    )
    with gr.Accordion("Score a pair", open=True):
        with gr.Row():
            with gr.Column(scale=3):
                prompt = gr.Textbox(example_pairs()[0][0], label="Prompt", lines=2)
                with gr.Row():
                    chosen = gr.Textbox(example_pairs()[0][1], label="Chosen answer", lines=4)
                    rejected = gr.Textbox(example_pairs()[0][2], label="Rejected answer", lines=4)
            with gr.Column(scale=1, min_width=220):
                beta = gr.Slider(0.01, 2.0, value=0.1, step=0.01, label="β (how far DPO lets the policy move)")
                score_btn = gr.Button("Score", variant="primary")
        gr.Examples(example_pairs(), [prompt, chosen, rejected],
                    example_labels=[b.title for b in pairs.BUILTINS.values()])
        score_md = gr.Markdown()
        score_html = gr.HTML()
    with gr.Accordion("Train", open=True):
        with gr.Row():
            with gr.Column(scale=3):
                picker = gr.Dropdown([(b.title, b.key) for b in pairs.BUILTINS.values()]
                                     + [("Your own (paste or upload)", OWN)], value="concise", label="Preference set")
                jsonl = gr.Textbox(pairs.builtin_jsonl("concise"), lines=5, max_lines=10, label="Pairs (JSONL)",
                                   info='One pair per line: {"prompt": ..., "chosen": ..., "rejected": ...}, with an '
                                        'optional "split": "train", "validation" or "test".')
                upload = gr.File(label="…or upload a .jsonl file", file_types=[".jsonl"], type="filepath", height=90)
                data_md = gr.Markdown()
            with gr.Column(scale=2):
                method = gr.Radio([("DPO on the pairs", lab.DPO), ("SFT on the chosen answers", lab.SFT)],
                                  value=lab.DPO, label="Method")
                with gr.Row():
                    train_beta = gr.Slider(0.01, 2.0, value=0.1, step=0.01, label="β (DPO)")
                    lr = gr.Dropdown(LR_CHOICES, value=5e-4, label="Learning rate", allow_custom_value=True)
                with gr.Row():
                    epochs = gr.Slider(1, lab.MAX_EPOCHS, value=1, step=1, label="Epochs")
                    train_pairs = gr.Slider(0, 100, value=DEFAULT_TRAIN_PAIRS, step=1,
                                            label="Training pairs (the first n; 0 = all)")
                seed = gr.Number(0, precision=0, minimum=0, maximum=lab.MAX_SEED, label="Seed")
                with gr.Row():
                    train_btn = gr.Button("Train", variant="primary")
                    cancel_btn = gr.Button("Cancel", variant="stop")
        gr.Markdown(limits_md())
        progress = gr.Markdown()
        plot = gr.Plot(label="Training")
        answers = gr.HTML(label="Before and after")
        heldout = gr.HTML(label="Held-out pairs")
        compare = gr.Markdown()
        download = gr.DownloadButton("Download the adapter (peft safetensors)", visible=False)
    compared = gr.State({})

    handlers = Handlers(hub)
    opened = first_view_trigger()  # the first view: the first example pair scored before any training
    gr.on([score_btn.click, opened.change], handlers.score, [prompt, chosen, rejected, beta], [score_md, score_html],
          api_name="preference_score_view", **MODEL_WORK)
    picker.change(pick_set, picker, jsonl, api_name="preference_pick", **LIGHT_WORK)
    jsonl.input(lambda: OWN, None, picker, api_name="preference_edited", **LIGHT_WORK)
    upload.upload(read_upload, upload, [jsonl, picker], api_name="preference_upload", **LIGHT_WORK)
    jsonl.change(handlers.describe, jsonl, data_md, api_name="preference_describe", trigger_mode="always_last",
                 **LIGHT_WORK)
    train_btn.click(handlers.train, [jsonl, train_beta, lr, epochs, seed, method, train_pairs, compared],
                    [progress, plot, answers, heldout, compare, download, compared], api_name="preference_train",
                    **TRAINING_WAIT)
    cancel_btn.click(cancel_run, None, progress, api_name="preference_cancel", **LIGHT_WORK)
    opened.change(handlers.describe, jsonl, data_md, api_name="preference_describe_load", **LIGHT_WORK)
    gr.context.Context.root_block.unload(forget_session)
    gr.api(handlers.preference_score, api_name="preference_score", **MODEL_WORK)
    gr.api(handlers.dpo_train, api_name="dpo_train", **TRAINING_WAIT)
    return LessonPage(inputs={"prompt": prompt, "chosen": chosen, "rejected": rejected, "beta": beta, "set": picker,
                              "method": method, "train_beta": train_beta, "lr": lr, "epochs": epochs,
                              "pairs": train_pairs, "seed": seed}, opened=opened)
