"""Fine-tuning lab: teach SmolLM2-135M a behaviour with LoRA, on the CPU, and watch it learn.

The learner picks a small instruction set (or brings one), sees which tokens the loss is paid
on, trains a LoRA adapter in a worker process while the training and validation losses stream
into a plot, then reads the held-out prompts answered by the base model and by the tuned one,
and downloads the adapter. The maths is in `playground.training` and this package's `lab` and
`sft`; this module holds the text, the layout and the wiring.
"""

from __future__ import annotations

import gradio as gr
from gradio.context import Context

from playground.checks import UserInputError, check_int
from playground.lessons.finetune import lab, prediction, views
from playground.models import ModelHub
from playground.training import loss_mask, rows
from playground.training.adapters import default_store
from playground.training.base import BASE_WEIGHTS, FP32
from playground.training.jobs import ENDED, RunProgress, default_runner
from playground.ui.errors import friendly
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.predict import predict_box, record
from playground.ui.queues import LIGHT_WORK, TRAINING_WAIT
from playground.viz.training import answers_html, progress_md

TITLE = "Fine-tuning"
OWN = "own"
# Training handlers mostly wait on the worker: many may wait at once, each showing its place.
LR_CHOICES = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2]

def _tutor_subset(n_train: int) -> str:
    """The tutor set with only its first `n_train` training rows: small enough to overfit."""
    parsed = rows.parse_jsonl(rows.builtin_jsonl("tutor"))
    lines = rows.builtin_jsonl("tutor").splitlines()
    train = [lines[r.number - 1] for r in parsed if r.split == "train"][:n_train]
    rest = [lines[r.number - 1] for r in parsed if r.split != "train"]
    return "\n".join(train + rest) + "\n"


def limits_md() -> str:
    return (f"**Limits:** up to {rows.MAX_ROWS:,} rows, {lab.MAX_LENGTH} tokens per example, {lab.MAX_EPOCHS} epochs, "
            f"{lab.MAX_STEPS} optimizer steps, LoRA rank 1–{lab.MAX_RANK}, an adapter up to "
            f"{lab.MAX_ADAPTER_PARAMS / 1e6:.0f} M parameters ({lab.MAX_ADAPTER_PARAMS * 4 / 1e6:.0f} MB: rank 32 on "
            f"every projection), learning rate up to {lab.MAX_LR:g}. "
            f"The first {lab.MAX_PROMPTS} held-out prompts are answered (greedily, up to {lab.MAX_NEW_TOKENS} tokens) "
            "before and after. One run trains at a time; others wait in line and see their place.")


# --- handlers ------------------------------------------------------------------------------------------


@friendly
def pick_dataset(key: str):
    return gr.skip() if key == OWN else rows.builtin_jsonl(key)


@friendly
def read_upload(path: str | None):
    if not path:
        return gr.skip(), gr.skip()
    return rows.read_upload(path), OWN


def inspect_data(hub: ModelHub, jsonl: str, row_no, assistant_only: bool, max_length):
    """The data summary and one training row as the loss sees it (tokenizer only: no model runs)."""
    splits = rows.split_rows(rows.parse_jsonl(jsonl))
    summary = [f"**Data:** {splits.counts()}."] + splits.notes
    if splits.kind != rows.CHAT:
        summary.append("Raw text: this is continued pretraining. Every token carries loss, and the run reports "
                       "perplexity on the held-out rows and on general text, before and after.")
    pick = check_int(row_no, low=1, high=10**6, what="Example row")
    row = splits.train[min(pick, len(splits.train)) - 1]
    length = check_int(max_length, low=16, high=lab.MAX_LENGTH, what="Max length")
    tok = hub.tokenizer(lab.MODEL)
    rendered = loss_mask.render(tok, row, assistant_only=bool(assistant_only), max_length=length)
    where = f"Training row {min(pick, len(splits.train))} of {len(splits.train)} (line {row.number})"
    mode = "the assistant's answers only" if assistant_only else "every token"
    return ("\n\n".join(summary), f"<b>{where}</b>, loss on {mode}:" + views.loss_sees_html(tok, rendered),
            gr.Slider(maximum=max(len(splits.train), 2)))


def _outputs(p: RunProgress, questions: list[str], plot_due: bool):
    ba = gr.skip() if p.before is None else answers_html(
        questions, [("Base model (before)", p.before), ("Tuned model (after)", None)])
    return (progress_md(p.place, p.status, p.step, p.total_steps, p.elapsed, p.seconds_left()),
            views.loss_figure(p.train, p.eval, p.total_steps) if plot_due else gr.skip(),
            views.params_md(p.trainable, p.total), ba)


def _verdict_md(guess: str, evals: list[dict], request: gr.Request | None) -> str:
    """The guess graded on the run's validation losses, and this page's score; a run too short to grade says so."""
    try:
        return record(prediction.grade_overfit(guess, evals), request)
    except UserInputError as exc:
        return str(exc)


def train_run(hub: ModelHub, jsonl, rank, alpha, targets, learning_rate, epochs, batch_size, max_length,
              assistant_only, seed, without_template, base_weights, guess, request: gr.Request):
    """Queue a run for this session, stream its progress, and keep its adapters when it succeeds. `guess`
    (predict, then reveal: will validation loss rise?) is graded on the run's own losses when it ends."""
    s = lab.check_settings(rank, learning_rate, epochs, seed, assistant_only, alpha, targets, batch_size, max_length,
                           base_weights)
    guess = prediction.check_guess(guess)
    verdict_md = ("No guess for this run (it trains anyway): pick one before you press Train to be scored."
                  if guess is None else f"Your guess is in: **{guess}**. The verdict comes when the run ends.")
    session = getattr(request, "session_hash", None) or "anonymous"
    store, runner = default_store(), default_runner()
    run_dir = store.reserve(session)
    kept, job = False, None
    try:
        job, prepared = lab.start(hub, runner, session, jsonl, s, run_dir, without_template=bool(without_template))
        questions = [p["question"] for p in prepared.prompts]
        drawn = -1
        for p in lab.follow(job, runner):
            points = len(p.train) + len(p.eval)
            yield (*_outputs(p, questions, points != drawn), gr.skip(), gr.skip(), session, verdict_md)
            drawn, verdict_md = points, gr.skip()
        store.keep(session, run_dir)
        kept = True
        last, best = store.adapter(run_dir, "adapter"), store.adapter(run_dir, "best")
        d = p.result
        done = (f"**Done** in {d['seconds']:.0f} s: {d['steps']} steps ({d['train_seconds']:.0f} s of training), "
                f"peak memory of the worker {d['peak_mb']:.0f} MB. {views.base_md(d)} The best validation loss was at step "
                f"{d['best_step']}" + (" (the base model itself: training never beat it)." if d["best_step"] == 0 else ".")
                + "".join(f"\n\n{n}" for n in prepared.notes) + "\n\n" + views.perplexity_md(d["perplexity"]))
        yield (done, views.loss_figure(d["train"], d["eval"], d["steps"]),
               views.params_md(d["trainable_params"], d["total_params"], d["adapter_bytes"]),
               answers_html([b["prompt"] for b in d["before"]], views.result_columns(d)),
               gr.DownloadButton(value=str(last.zip_path), visible=True),
               gr.DownloadButton(value=str(best.zip_path), visible=True) if best else gr.DownloadButton(visible=False),
               session, gr.skip() if guess is None else _verdict_md(guess, d["eval"], request))
    finally:
        if job is not None and job.status not in ENDED:
            runner.cancel(session)  # the page went away mid-run: no worker is left behind
        if not kept:
            store.discard(run_dir)


def step_run(hub: ModelHub, jsonl, row_no, rank, alpha, targets, learning_rate, max_length, assistant_only, seed,
             request: gr.Request):
    """One optimizer step on the shown row, in a worker, then its views."""
    # one step always runs on the 32-bit base (it measures how far each weight moved against W itself)
    s = lab.check_settings(rank, learning_rate, 1, seed, assistant_only, alpha, targets, 1, max_length, FP32)
    session = getattr(request, "session_hash", None) or "anonymous"
    runner = default_runner()
    job = lab.start_step(hub, runner, session, jsonl, row_no, s)
    try:
        for p in lab.follow(job, runner):
            yield (progress_md(p.place, p.status, 0, 0, 0, None), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                   gr.skip())
    finally:
        if job.status not in ENDED:
            runner.cancel(session)  # the page went away mid-step
    r = p.result
    first = views.loss_positions(r)[0]  # the first token that carries loss
    yield (views.step_cost_md(r), views.step_tokens_html(r), views.step_top_html(r, first),
           gr.Slider(minimum=1, maximum=len(r["tokens"]) - 1, value=first), views.moved_figure(r["moved"]), r)


@friendly
def step_position(r: dict | None, position):
    return gr.skip() if r is None else views.step_top_html(r, position)


@friendly
def cancel_run(request: gr.Request) -> str:
    job = default_runner().cancel(getattr(request, "session_hash", None) or "anonymous")
    return "Nothing to cancel." if job is None else "Cancelling: the worker process is being stopped."


def forget_session(request: gr.Request) -> None:
    """The browser tab closed: its run (if any) stops and its adapters go."""
    session = getattr(request, "session_hash", None)
    if session:
        default_runner().cancel(session)
        default_store().remove_session(session)


def _forget_state(session: str | None) -> None:
    if session:
        default_store().remove_session(session)


class Handlers:
    """The handlers that need the hub, bound to it. (A class, not functools.partial: Gradio reads
    each method's type hints to hand it the `gr.Request` that names the session.)"""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def inspect(self, jsonl: str, row_no, assistant_only: bool, max_length):
        return inspect_data(self.hub, jsonl, row_no, assistant_only, max_length)

    @friendly
    def train(self, jsonl, rank, alpha, targets, learning_rate, epochs, batch_size, max_length, assistant_only,
              seed, without_template, base_weights, guess, request: gr.Request):
        yield from train_run(self.hub, jsonl, rank, alpha, targets, learning_rate, epochs, batch_size, max_length,
                             assistant_only, seed, without_template, base_weights, guess, request)

    @friendly
    def step(self, jsonl, row_no, rank, alpha, targets, learning_rate, max_length, assistant_only, seed,
             request: gr.Request):
        yield from step_run(self.hub, jsonl, row_no, rank, alpha, targets, learning_rate, max_length, assistant_only,
                            seed, request)

    @friendly
    def finetune(self, dataset_jsonl: str, rank: int, learning_rate: float, epochs: int, seed: int,
                 assistant_only: bool, request: gr.Request) -> dict:
        """The `finetune` API: one whole LoRA run on the given JSONL; the losses and the answers before and after."""
        owner = "api:" + (getattr(request, "session_hash", None) or "anonymous")
        return lab.run_to_end(self.hub, default_runner(), owner, dataset_jsonl, rank, learning_rate, epochs, seed,
                              assistant_only).as_json()


# --- the tab -------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "Using a model never changes it; training does. Here you change SmolLM2-135M for real: a small LoRA "
        "adapter (about 2% of the weights, beside the frozen base) is trained on a few dozen examples of a "
        "behaviour, on this machine's CPU, while you watch the loss. Then the same held-out prompts are answered "
        "before and after.",
        [
            "The validation loss (orange) is measured on rows the model never trains on: it is the honest curve. "
            "Training loss (blue) always keeps falling; when validation stops falling and turns up, the model is "
            "memorising, not learning: the star marks the best checkpoint.",
            "With the loss on the assistant's answers only, the model learns what to write, not to predict the "
            "user's questions: switch it off under *What the loss sees* and count the green tokens.",
            "The tuned answers take the dataset's shape (one correction and one example, JSON, three bullets) on "
            "prompts it never saw; the content can still be wrong: a format is easier to learn than knowledge.",
        ],
        [
            "Click *Teach the tutor* and press **Train**: watch validation loss fall, then compare the answers.",
            "Click *Overfit: 10 epochs on 6 rows* and train: where does validation turn up, and is the best step "
            "the last one?",
            "Train the same set with *assistant-only loss* off: is the validation loss comparable? Are the answers?",
            "Set rank 1, then rank 32: how do the trainable parameters and the adapter size change, and the answers?",
            "Switch *Base weights* to 4-bit NF4 (QLoRA) and train again: how much memory do the base's weights "
            "hold now, what does a step cost, and does the validation curve still fall?",
            "Click *Continued pretraining: beekeeping*: raw text, loss on every token. Beekeeping text gets less "
            "surprising; does general text get more surprising (forgetting)?",
        ],
    )
    defaults = lab.Settings()
    session_state = gr.State(None, delete_callback=_forget_state)
    with gr.Row():
        with gr.Column(scale=3):
            picker = gr.Dropdown(
                [(b.title, b.key) for b in rows.BUILTINS.values()]
                + [("Your own (paste or upload)", OWN)],
                value="tutor", label="Dataset")
            jsonl = gr.Textbox(rows.builtin_jsonl("tutor"), lines=6, max_lines=12, label="Dataset (JSONL)",
                               info='One example per line: {"messages": [...]} or {"prompt": ..., "completion": ...}, '
                                    'with an optional "split": "train", "validation" or "test".')
            upload = gr.File(label="…or upload a .jsonl file", file_types=[".jsonl"], type="filepath", height=90)
            data_md = gr.Markdown()
        with gr.Column(scale=2):
            with gr.Row():
                rank = gr.Slider(1, lab.MAX_RANK, value=defaults.rank, step=1, label="LoRA rank")
                alpha = gr.Slider(1, lab.MAX_ALPHA, value=defaults.alpha, step=1, label="LoRA alpha (scale)")
            targets = gr.CheckboxGroup(list(lab.PROJECTIONS), value=list(defaults.targets),
                                       label="Projections to adapt (the embeddings are tied, so they stay frozen)")
            with gr.Row():
                lr = gr.Dropdown(LR_CHOICES, value=defaults.learning_rate, label="Learning rate", allow_custom_value=True)
                epochs = gr.Slider(1, lab.MAX_EPOCHS, value=defaults.epochs, step=1, label="Epochs")
            with gr.Row():
                batch = gr.Slider(1, lab.MAX_BATCH, value=defaults.batch_size, step=1, label="Batch size")
                max_len = gr.Slider(16, lab.MAX_LENGTH, value=defaults.max_length, step=16, label="Max length (tokens)")
            with gr.Row():
                assistant_only = gr.Checkbox(value=defaults.assistant_only, label="Loss on the assistant's answers only")
                seed = gr.Number(defaults.seed, precision=0, minimum=0, maximum=lab.MAX_SEED, label="Seed")
            base_weights = gr.Radio(
                list(BASE_WEIGHTS), value=defaults.base_weights, label="Base weights",
                info="4-bit NF4 is QLoRA: the frozen base stored in 4 bits, about a third of the memory; on a CPU "
                     "each step is a little slower (the weights are unpacked as they are used).")
            without_template = gr.Checkbox(value=False, label="Afterwards, also ask the tuned model without its chat "
                                                             "template (a classic mistake; takes a few seconds more)")
            overfit_guess = gr.Radio(list(prediction.CHOICES), value=None, label="Your guess", render=False)
            overfit_box = predict_box(
                "Before you press **Train**: will the validation loss (orange) end the run higher than at its "
                "lowest point (overfitting), or keep falling to the end? The verdict appears here when the run "
                "ends, graded on the losses the trainer logged.", overfit_guess, button=None)
            with gr.Row():
                train_btn = gr.Button("Train", variant="primary")
                cancel_btn = gr.Button("Cancel", variant="stop")
    gr.Markdown(limits_md())
    gr.Examples(
        examples=[
            ["tutor", rows.builtin_jsonl("tutor"), 8, 1e-3, 2, True],
            ["own", _tutor_subset(6), 16, 2e-3, 10, True],
            ["tutor", rows.builtin_jsonl("tutor"), 8, 1e-3, 2, False],
            ["json", rows.builtin_jsonl("json"), 8, 1e-3, 2, True],
            ["bullets", rows.builtin_jsonl("bullets"), 8, 1e-3, 2, True],
            ["tutor", rows.builtin_jsonl("tutor"), 8, 1e-2, 2, True],
            ["beekeeping", rows.builtin_jsonl("beekeeping"), 8, 1e-3, 2, True],
        ],
        example_labels=["Teach the tutor", "Overfit: 10 epochs on 6 rows", "Loss on every token",
                        "Answer in JSON", "Three bullet points", "Learning rate 10× too high",
                        "Continued pretraining: beekeeping"],
        inputs=[picker, jsonl, rank, lr, epochs, assistant_only],
    )
    with gr.Accordion("What the loss sees", open=True):
        row_no = gr.Slider(1, 2, value=1, step=1, label="Example row (training set)")
        sees = gr.HTML()
    with gr.Accordion("One step, up close: training vs inference", open=False):
        gr.Markdown("Take one optimizer step on the row above alone (with the settings below) and see what changes: "
                    "each token's loss, the next-token distribution at any position, which weights moved, and what "
                    "the step cost against a plain forward pass.")
        step_btn = gr.Button("Take one step on this row")
        step_md = gr.Markdown()
        step_tokens = gr.HTML()
        step_pos = gr.Slider(1, 2, value=1, step=1, label="Position (token predicted)")
        step_top = gr.HTML()
        step_plot = gr.Plot(label="Weights moved")
        step_state = gr.State(None)
    progress_md = gr.Markdown()
    plot = gr.Plot(label="Loss")
    params = gr.Markdown()
    answers = gr.HTML(label="Before and after")
    with gr.Row():
        dl_last = gr.DownloadButton("Download the adapter (last step, peft safetensors)", visible=False)
        dl_best = gr.DownloadButton("Download the best checkpoint's adapter", visible=False)

    # wiring
    picker.change(pick_dataset, picker, jsonl, api_name="finetune_pick", **LIGHT_WORK)
    jsonl.input(lambda: OWN, None, picker, api_name="finetune_edited", **LIGHT_WORK)  # edited: no longer the built-in
    upload.upload(read_upload, upload, [jsonl, picker], api_name="finetune_upload", **LIGHT_WORK)
    handlers = Handlers(hub)
    root = Context.root_block  # the app's gr.Blocks, which this tab is being built inside
    opened = first_view_trigger()  # the first view: the dataset's first row as the loss sees it (no training)
    gr.on([jsonl.change, row_no.release, assistant_only.change, max_len.release, opened.change],
          handlers.inspect, [jsonl, row_no, assistant_only, max_len], [data_md, sees, row_no],
          api_name="finetune_inspect", trigger_mode="always_last", **LIGHT_WORK)
    train_btn.click(handlers.train,
                    [jsonl, rank, alpha, targets, lr, epochs, batch, max_len, assistant_only, seed, without_template,
                     base_weights, overfit_guess],
                    [progress_md, plot, params, answers, dl_last, dl_best, session_state, overfit_box.result],
                    api_name="finetune_train", **TRAINING_WAIT)
    cancel_btn.click(cancel_run, None, progress_md, api_name="finetune_cancel", **LIGHT_WORK)
    step_btn.click(handlers.step, [jsonl, row_no, rank, alpha, targets, lr, max_len, assistant_only, seed],
                   [step_md, step_tokens, step_top, step_pos, step_plot, step_state], api_name="finetune_step",
                   **TRAINING_WAIT)
    step_pos.release(step_position, [step_state, step_pos], step_top, api_name="finetune_step_position", **LIGHT_WORK)
    root.unload(forget_session)
    gr.api(handlers.finetune, api_name="finetune", **TRAINING_WAIT)
    return LessonPage(inputs={"dataset": picker, "rank": rank, "alpha": alpha, "targets": targets, "lr": lr,
                              "epochs": epochs, "batch": batch, "max_length": max_len, "assistant_only": assistant_only,
                              "seed": seed, "weights": base_weights, "row": row_no}, opened=opened)
