"""The preference lab on the server's side: check the settings and the pairs, queue a DPO (or SFT)
run, follow its progress channel, and score a pair on the hub's model, with a session's adapter
merged in on the fly when it has one.

The server never trains: a worker process (`dpo.train`) does. The hub's shared model is only ever
read; a tuned adapter is applied through `training.adapters.adapted_logits`, which leaves it as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from playground.checks import UserInputError, check_float, check_int
from playground.lessons.preference import pairs as P
from playground.lessons.preference.dpo import DPO, SFT
from playground.lessons.preference.scoring import PairScore, model_logits, pair_ids, score_pair
from playground.lm.prompts import chat_ids
from playground.models import ModelHub
from playground.training import jobs
from playground.training.adapters import adapted_logits
from playground.training.base import BaseSource, base_source, training_device
from playground.training.generate import keep_base_answers, known_base_answers
from playground.training.jobs import Job, JobRunner, RunProgress, worker_threads

MODEL = "smollm2-135m-instruct"
JOB = "playground.lessons.preference.dpo:train"
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
MAX_BETA = 10.0
MAX_LR = 0.01
MAX_EPOCHS = 5
MAX_STEPS = 48  # a DPO step reads four sequences per pair, ~15 s on two CPU cores: 48 is about 12 minutes
MAX_PROMPT_TOKENS = 256  # the prompt in the chat template, its system turn included
MAX_ANSWER_TOKENS = 160
MAX_PROMPTS = 3  # held-out prompts answered before and after
MAX_NEW_TOKENS = 64  # long enough to see answers grow on the length trap
MAX_SEED = 2**31 - 1
EVALUATIONS = 3  # validation points besides step 0 (each reads every validation pair four times)
METHODS = (DPO, SFT)


@dataclass(frozen=True)
class Settings:
    beta: float = 0.1
    learning_rate: float = 5e-4
    epochs: int = 1
    seed: int = 0
    method: str = DPO
    rank: int = 8
    alpha: int = 16
    targets: tuple[str, ...] = TARGETS
    batch_size: int = 4
    train_pairs: int = 0  # train on the first n training pairs only (0: all of them)


def check_beta(beta: object) -> float:
    return check_float(beta, low=0.0, high=MAX_BETA, low_open=True, what="β (beta)")


def check_settings(beta: object = 0.1, learning_rate: object = 5e-4, epochs: object = 1, seed: object = 0,
                   method: object = DPO, train_pairs: object = 0) -> Settings:
    if method not in METHODS:
        raise UserInputError(f"Method must be one of {', '.join(METHODS)}.")
    return Settings(
        beta=check_beta(beta),
        learning_rate=check_float(learning_rate, low=0.0, high=MAX_LR, low_open=True, what="Learning rate"),
        epochs=check_int(epochs, low=1, high=MAX_EPOCHS, what="Epochs"),
        seed=check_int(0 if seed in (None, "") else seed, low=0, high=MAX_SEED, what="Seed"),
        method=str(method),
        train_pairs=check_int(0 if train_pairs in (None, "") else train_pairs, low=0, high=P.MAX_PAIRS,
                              what="Training pairs"),
    )


# --- the pairs, checked on the server -----------------------------------------------------------------


def _checked(tokenizer: Any, pair: P.Pair) -> dict[str, Any]:
    """The pair as the worker gets it, or a UserInputError naming the row that is too long."""
    for name, text in (("chosen", pair.chosen), ("rejected", pair.rejected)):
        prompt_ids, answer_ids = pair_ids(tokenizer, pair.messages(), text)
        if len(prompt_ids) > MAX_PROMPT_TOKENS:
            raise UserInputError(f"Row {pair.number}: the prompt is {len(prompt_ids)} tokens in the chat template; "
                                 f"the lab takes up to {MAX_PROMPT_TOKENS}.")
        if len(answer_ids) > MAX_ANSWER_TOKENS:
            raise UserInputError(f"Row {pair.number}: the {name} answer is {len(answer_ids)} tokens; the lab takes up "
                                 f"to {MAX_ANSWER_TOKENS} per answer.")
    return {"prompt": pair.messages(), "question": pair.question(), "chosen": pair.chosen, "rejected": pair.rejected}


@dataclass
class Prepared:
    splits: P.PairSplits
    train: list[dict[str, Any]]
    validation: list[dict[str, Any]]
    test: list[dict[str, Any]]
    prompts: list[dict[str, Any]]  # {"question", "ids"}: the held-out prompts answered before and after
    notes: list[str] = field(default_factory=list)


def prepare(tokenizer: Any, jsonl: object, s: Settings) -> Prepared:
    splits = P.split_pairs(P.parse_pairs(jsonl))
    notes = list(splits.notes)
    if s.train_pairs and s.train_pairs < len(splits.train):
        notes.append(f"Training on the first {s.train_pairs} of the {len(splits.train)} training pairs.")
        splits.train = splits.train[:s.train_pairs]
    train = [_checked(tokenizer, p) for p in splits.train]
    validation = [_checked(tokenizer, p) for p in splits.validation]
    test = [_checked(tokenizer, p) for p in splits.test]
    steps = -(-len(train) // s.batch_size) * s.epochs
    if steps > MAX_STEPS:
        raise UserInputError(f"{len(train)} training pairs × {s.epochs} epoch(s) in batches of {s.batch_size} is "
                             f"{steps} steps; the lab runs up to {MAX_STEPS} on this machine. Use fewer pairs or epochs.")
    if len(test) > MAX_PROMPTS:
        notes.append(f"The first {MAX_PROMPTS} of the {len(test)} test prompts are answered before and after; all "
                     f"{len(test)} test pairs are scored.")
    prompts = [{"question": p["question"], "ids": chat_ids(tokenizer, p["prompt"])} for p in test[:MAX_PROMPTS]]
    return Prepared(splits, train, validation, test, prompts, notes)


def job_config(source: BaseSource, prepared: Prepared, s: Settings, out_dir: Path,
               max_new_tokens: int = MAX_NEW_TOKENS, evaluations: int = EVALUATIONS) -> dict[str, Any]:
    config = {
        "source": source, "settings": asdict(s), "device": training_device(), "threads": worker_threads(),
        "train": prepared.train, "validation": prepared.validation, "test": prepared.test, "prompts": prepared.prompts,
        "max_new_tokens": max_new_tokens, "evaluations": evaluations, "out_dir": str(out_dir),
    }
    config["before"] = known_base_answers(config)
    return config


def start(hub: ModelHub, runner: JobRunner, owner: str, jsonl: object, s: Settings, out_dir: Path,
          **options: Any) -> tuple[Job, Prepared]:
    """Check the pairs on the server, then put the run in line; `options` go to `job_config`."""
    prepared = prepare(hub.tokenizer(MODEL), jsonl, s)
    return runner.submit(owner, JOB, job_config(base_source(hub, MODEL), prepared, s, out_dir, **options)), prepared


def follow(job: Job, runner: JobRunner, poll_s: float = 0.5) -> Iterator[RunProgress]:
    """Progress snapshots until the run ends; the last has `result` (see `training.jobs.follow`)."""
    for progress in jobs.follow(job, runner, poll_s):
        if progress.result is not None:
            keep_base_answers(job.config, job.result)
        yield progress


API_KEYS = ("train", "eval", "before", "after", "seconds")


def run_to_end(hub: ModelHub, runner: JobRunner, owner: str, pairs_jsonl: object, beta: object,
               learning_rate: object, epochs: object, seed: object, out_dir: Path) -> dict[str, Any]:
    """The `dpo_train` endpoint: one whole DPO run on every training pair, waiting in line like any
    other; its adapter is written to `out_dir`."""
    s = check_settings(beta, learning_rate, epochs, seed)
    job, _ = start(hub, runner, owner, pairs_jsonl, s, out_dir)
    last = None
    for last in follow(job, runner):
        pass
    return {k: last.result[k] for k in API_KEYS}


# --- scoring one pair on the hub's model ----------------------------------------------------------------


def check_pair(prompt: object, chosen: object, rejected: object) -> P.Pair:
    return P.parse_pair({"prompt": prompt, "chosen": chosen, "rejected": rejected}, 1)


def score(hub: ModelHub, prompt: object, chosen: object, rejected: object, beta: object,
          adapter: Path | None = None) -> PairScore:
    """The pair on the hub's 32-bit model: the policy is the base itself, or the base with `adapter`
    merged on the fly; the reference is always the base."""
    pair = check_pair(prompt, chosen, rejected)
    b = check_beta(beta)
    lm = hub.get(MODEL)
    tokenizer = hub.tokenizer(MODEL)
    _checked(tokenizer, pair)
    base = model_logits(lm.model)
    if adapter is None:
        return score_pair(tokenizer, base, None, pair.messages(), pair.chosen, pair.rejected, b)
    return score_pair(tokenizer, adapted_logits(lm.model, adapter), base, pair.messages(), pair.chosen, pair.rejected, b)


def score_json(tokenizer: Any, s: PairScore, adapter: str | None = None) -> dict[str, Any]:
    """The `preference_score` endpoint's JSON."""
    out = {
        "chosen_logp": s.chosen_logp, "rejected_logp": s.rejected_logp,
        "chosen_tokens": [{"token": tokenizer.decode([i]), "logp": lp} for i, lp in s.chosen_tokens],
        "rejected_tokens": [{"token": tokenizer.decode([i]), "logp": lp} for i, lp in s.rejected_tokens],
        "chosen_reward": s.dpo.chosen_reward, "rejected_reward": s.dpo.rejected_reward,
        "margin": s.dpo.margin, "loss": s.dpo.loss,
    }
    if adapter:
        out["adapter"] = adapter
    return out
