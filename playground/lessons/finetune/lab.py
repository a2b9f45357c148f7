"""The fine-tuning lab on the server's side: check the settings and the data, render every row
through the chat template with its loss mask, queue the job, and follow its progress channel.

The server never trains: it tokenises (so a bad row is reported before the run waits in line),
then a worker process (`sft.train`) does the rest. `follow` turns the worker's events into a
`Progress` the tab redraws; `run_to_end` is the same run without a page, for the JSON endpoint.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from playground.checks import UserInputError, check_float, check_int
from playground.lm.prompts import chat_ids, encode
from playground.models import ModelHub
from playground.training import jobs, loss_mask, rows
from playground.training.adapters import lora_parameters
from playground.training.base import BASE_WEIGHTS, NF4, BaseSource, base_source, default_base_weights, \
    nf4_unavailable_reason, training_device
from playground.training.generate import keep_base_answers, known_base_answers
from playground.training.jobs import Job, JobRunner, RunProgress, worker_threads

MODEL = "smollm2-135m-instruct"
JOB = "playground.lessons.finetune.sft:train"
STEP_JOB = "playground.lessons.finetune.one_step:step"
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
MAX_RANK = 64
MAX_ALPHA = 256
MAX_EPOCHS = 10
MAX_BATCH = 16
MAX_LENGTH = 512  # tokens per example
MAX_LR = 0.01
MAX_STEPS = 400  # optimizer steps per run: on two CPU cores that is already several minutes
MAX_PROMPTS = 3  # held-out prompts answered before and after (each answer is a few seconds on a CPU)
MAX_NEW_TOKENS = 56
MAX_SEED = 2**31 - 1
RAW_PROMPT_WORDS = 12  # a raw-text test row is continued from its first words
EVALUATIONS = 4  # validation points per run besides step 0 (each reads the whole validation set)
MAX_ADAPTER_PARAMS = 10_000_000  # 40 MB in float32: rank 32 on every projection fits, rank 64 on all does not


@dataclass(frozen=True)
class Settings:
    rank: int = 8
    alpha: int = 16
    targets: tuple[str, ...] = PROJECTIONS
    learning_rate: float = 1e-3
    epochs: int = 2
    batch_size: int = 4
    max_length: int = 256
    assistant_only: bool = True
    seed: int = 0
    base_weights: str = field(default_factory=default_base_weights)  # "4-bit NF4" is QLoRA


def check_settings(rank: object = 8, learning_rate: object = 1e-3, epochs: object = 2, seed: object = 0,
                   assistant_only: object = True, alpha: object = None, targets: object = PROJECTIONS,
                   batch_size: object = 4, max_length: object = 256, base_weights: object = None) -> Settings:
    """Settings from a learner's input, or a UserInputError that names the bad one."""
    r = check_int(rank, low=1, high=MAX_RANK, what="LoRA rank")
    lr = check_float(learning_rate, low=0.0, high=MAX_LR, low_open=True, what="Learning rate")
    picked = tuple(p for p in PROJECTIONS if p in (targets or ()))
    unknown = sorted(set(targets or ()) - set(PROJECTIONS))
    if unknown or not picked:
        raise UserInputError(f"Pick at least one projection to adapt, from {', '.join(PROJECTIONS)}"
                             + (f" (not {', '.join(unknown)})." if unknown else "."))
    return Settings(
        rank=r,
        alpha=check_int(2 * r if alpha in (None, "") else alpha, low=1, high=MAX_ALPHA, what="LoRA alpha"),
        targets=picked,
        learning_rate=lr,
        epochs=check_int(epochs, low=1, high=MAX_EPOCHS, what="Epochs"),
        batch_size=check_int(batch_size, low=1, high=MAX_BATCH, what="Batch size"),
        max_length=check_int(max_length, low=16, high=MAX_LENGTH, what="Max length (tokens per example)"),
        assistant_only=bool(assistant_only),
        seed=check_int(0 if seed in (None, "") else seed, low=0, high=MAX_SEED, what="Seed"),
        base_weights=_check_base_weights(base_weights),
    )


def _check_base_weights(value: object) -> str:
    if value in (None, ""):
        return default_base_weights()
    if value not in BASE_WEIGHTS:
        raise UserInputError(f"Base weights must be one of {', '.join(BASE_WEIGHTS)}.")
    return str(value)


def check_fits(hub: ModelHub, source: BaseSource, s: Settings) -> int:
    """The adapter's trainable parameters, or a UserInputError when it would pass the size cap or
    the base cannot be stored in 4 bits here. Checked before the run waits in line."""
    n = lora_parameters(hub.get(MODEL).model.config, s.rank, s.targets)
    if n > MAX_ADAPTER_PARAMS:
        raise UserInputError(
            f"Rank {s.rank} on {len(s.targets)} projection(s) makes an adapter of {n:,} parameters "
            f"({n * 4 / 1e6:.0f} MB); the lab keeps adapters up to {MAX_ADAPTER_PARAMS:,} "
            f"({MAX_ADAPTER_PARAMS * 4 / 1e6:.0f} MB). Lower the rank or adapt fewer projections.")
    if s.base_weights == NF4 and (why := nf4_unavailable_reason(source)):
        raise UserInputError(f"A 4-bit base (QLoRA) is not available here: {why}. Pick the 32-bit base.")
    return n


# --- the data, tokenised on the server ---------------------------------------------------------------


@dataclass
class Prepared:
    splits: rows.Splits
    train: list[loss_mask.Rendered]
    validation: list[loss_mask.Rendered]
    prompts: list[dict[str, Any]]  # {"question", "ids", "raw_ids"} per held-out prompt
    notes: list[str] = field(default_factory=list)
    perplexity: dict[str, list[list[int]]] = field(default_factory=dict)  # raw text: held-out token ids per kind


def _rendered(tokenizer, row: rows.Row, s: Settings) -> loss_mask.Rendered:
    r = loss_mask.render(tokenizer, row, assistant_only=s.assistant_only, max_length=s.max_length)
    if r.n_loss == 0:
        raise UserInputError(f"Row {row.number}: cut to {s.max_length} tokens, no token that carries loss is left "
                             "(the answer starts after the cut). Raise the max length or shorten the row's prompt.")
    return r


def prepare(tokenizer, jsonl: object, s: Settings) -> Prepared:
    """Parse, check, split and render a dataset for one run. Chat rows are fine-tuning; raw text
    rows are continued pretraining, checked by perplexity on held-out domain and general text."""
    splits = rows.split_rows(rows.parse_jsonl(jsonl))
    train = [_rendered(tokenizer, r, s) for r in splits.train]
    validation = [_rendered(tokenizer, r, s) for r in splits.validation]
    notes = list(splits.notes)
    cut = sum(1 for r in train + validation if r.cut)
    if cut:
        notes.append(f"{cut} row(s) were longer than {s.max_length} tokens and were cut to that length.")
    steps = math.ceil(len(train) / s.batch_size) * s.epochs
    if steps > MAX_STEPS:
        raise UserInputError(
            f"{len(train)} training rows × {s.epochs} epoch(s) in batches of {s.batch_size} is {steps} steps; the lab "
            f"runs up to {MAX_STEPS} on this machine. Use fewer rows or epochs, or a larger batch.")
    held_out = splits.test[:MAX_PROMPTS]
    if len(splits.test) > MAX_PROMPTS:
        notes.append(f"The first {MAX_PROMPTS} of the {len(splits.test)} test prompts are answered before and after.")
    perplexity: dict[str, list[list[int]]] = {}
    if splits.kind == rows.CHAT:
        prompts = [{"question": r.question(), "ids": chat_ids(tokenizer, r.prompt()),
                    "raw_ids": encode(tokenizer, r.question(), False)} for r in held_out]
    else:
        starts = [" ".join(r.text.split()[:RAW_PROMPT_WORDS]) for r in held_out]
        prompts = [{"question": t, "ids": encode(tokenizer, t, False), "raw_ids": encode(tokenizer, t, False)}
                   for t in starts]
        perplexity = {"domain": [_rendered(tokenizer, r, s).ids for r in splits.test],
                      "general": [_rendered(tokenizer, rows.Row(0, "", text=t), s).ids for t in rows.general_text()]}
    return Prepared(splits, train, validation, prompts, notes, perplexity)


# --- the job -----------------------------------------------------------------------------------------


def job_config(source: BaseSource, prepared: Prepared, s: Settings, out_dir: Path, without_template: bool = False,
               max_new_tokens: int = MAX_NEW_TOKENS, evaluations: int = EVALUATIONS) -> dict[str, Any]:
    config = {
        "source": source,
        "settings": asdict(s),
        "train": [{"input_ids": r.ids, "labels": r.labels} for r in prepared.train],
        "validation": [{"input_ids": r.ids, "labels": r.labels} for r in prepared.validation],
        "prompts": prepared.prompts,
        "perplexity": prepared.perplexity,
        "max_new_tokens": max_new_tokens,
        "evaluations": evaluations,
        "without_template": without_template,
        "threads": worker_threads(),
        "device": training_device(),
        "out_dir": str(out_dir),
    }
    config["before"] = known_base_answers(config)
    return config


def start(hub: ModelHub, runner: JobRunner, owner: str, jsonl: object, s: Settings, out_dir: Path,
          **options: Any) -> tuple[Job, Prepared]:
    """Check and tokenise on the server, then put the run in line. `options` go to `job_config`:
    without_template, and the limits (max_new_tokens, evaluations) tests run smaller jobs with."""
    prepared = prepare(hub.tokenizer(MODEL), jsonl, s)
    source = base_source(hub, MODEL)
    check_fits(hub, source, s)
    return runner.submit(owner, JOB, job_config(source, prepared, s, out_dir, **options)), prepared


def start_step(hub: ModelHub, runner: JobRunner, owner: str, jsonl: object, row_no: object, s: Settings) -> Job:
    """Queue "one step, up close" on one training row, rendered as the run would see it."""
    splits = rows.split_rows(rows.parse_jsonl(jsonl))
    n = check_int(row_no, low=1, high=len(splits.train), what="Example row")
    r = _rendered(hub.tokenizer(MODEL), splits.train[n - 1], s)
    source = base_source(hub, MODEL)
    check_fits(hub, source, s)
    config = {"source": source, "settings": asdict(s), "ids": r.ids, "labels": r.labels,
              "threads": worker_threads()}
    return runner.submit(owner, STEP_JOB, config)


def follow(job: Job, runner: JobRunner, poll_s: float = 0.5) -> Iterator[RunProgress]:
    """Progress snapshots until the run ends; the last has `result`. A failed or cancelled run
    raises UserInputError with what happened."""
    for progress in jobs.follow(job, runner, poll_s):
        if progress.result is not None and job.target == JOB:
            keep_base_answers(job.config, job.result)
        yield progress


@dataclass
class FinetuneResult:
    """One finished run: the worker's result, where its adapters are, and what the data said."""

    data: dict[str, Any]
    run_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        keys = ("trainable_params", "total_params", "train", "eval", "best_step", "before", "after", "seconds")
        return {k: self.data[k] for k in keys}


def run_to_end(hub: ModelHub, runner: JobRunner, owner: str, dataset_jsonl: object, rank: object,
               learning_rate: object, epochs: object, seed: object, assistant_only: object) -> FinetuneResult:
    """The `finetune` endpoint: one whole run, waiting in line like any other; its adapter is not kept."""
    s = check_settings(rank, learning_rate, epochs, seed, assistant_only)
    out_dir = Path(tempfile.mkdtemp(prefix="playground-finetune-api-"))
    try:
        job, prepared = start(hub, runner, owner, dataset_jsonl, s, out_dir)
        last = None
        for last in follow(job, runner):
            pass
        return FinetuneResult(last.result, None, prepared.notes)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
