"""The representation lab on the server's side: check the data, run the three methods that need no
training here, queue SetFit and the embedding-model run as training jobs, and follow them.

The hub's shared encoder is only read (through the embedding cache); the training runs load their
own copy in a worker process, which takes its memory with it when it ends.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from playground.checks import UserInputError, check_float, check_int
from playground.lessons.representation import classify as C
from playground.lessons.representation import sets as S
from playground.models import ModelHub
from playground.training import jobs
from playground.training.base import base_source
from playground.training.jobs import JobRunner, RunProgress, worker_threads

SETFIT_JOB = "playground.lessons.representation.jobs:setfit"
CONTRASTIVE_JOB = "playground.lessons.representation.jobs:contrastive"
SETFIT_PER_CLASS = 8
SETFIT_ITERATIONS = 10  # pairs made per example and epoch: 10 keeps a run well under a minute here
MAX_SEED = 2**31 - 1
MAX_EPOCHS = 5
MAX_LR = 1e-3
MAX_STEPS = 200  # embedding-training steps: on two CPU cores about two minutes
BATCH = 16


def encoder_files(hub: ModelHub) -> str:
    """Where a worker loads its private MiniLM from: the hub's own files (the wheel's folder offline)."""
    return base_source(hub, C.ENCODER).target


def check_seed(seed: object) -> int:
    return check_int(0 if seed in (None, "") else seed, low=0, high=MAX_SEED, what="Seed")


@dataclass
class Comparison:
    labels: list[str]
    test: list[S.Example]
    train_size: int
    methods: list[C.MethodResult] = field(default_factory=list)

    @property
    def truth(self) -> list[str]:
        return [e.label for e in self.test]

    def add(self, result: C.MethodResult) -> C.MethodResult:
        self.methods.append(C.score(result, self.truth, self.labels))
        return result

    def as_json(self) -> dict:
        return {"labels": self.labels, "methods": [m.as_json() for m in self.methods]}


def prepare(train_jsonl: object, test_jsonl: object) -> tuple[list[S.Example], list[S.Example], list[str]]:
    train = S.parse_examples(train_jsonl, "training set")
    test = S.parse_examples(test_jsonl, "test set")
    return train, test, S.check_split(train, test)


def setfit_config(hub: ModelHub, train: list[S.Example], test: list[S.Example], labels: list[str], seed: int,
                  out_dir: Path, per_class: int = SETFIT_PER_CLASS) -> dict[str, Any]:
    few = S.few_per_class(train, per_class)
    return {"encoder": encoder_files(hub), "labels": labels, "texts": [e.text for e in few],
            "train_labels": [e.label for e in few], "test_texts": [e.text for e in test], "seed": seed,
            "iterations": SETFIT_ITERATIONS, "batch_size": BATCH, "learning_rate": 2e-5,
            "threads": worker_threads(), "out_dir": str(out_dir)}


def run_job(runner: JobRunner, owner: str, target: str, config: dict[str, Any]) -> Iterator[RunProgress]:
    """Queue a job and follow it; its scratch folder goes when it ends, however it ends."""
    try:
        yield from jobs.follow(runner.submit(owner, target, config), runner)
    finally:
        if runner.active(owner) is not None:
            runner.cancel(owner)  # the page went away mid-run
        shutil.rmtree(config["out_dir"], ignore_errors=True)


def quick_methods(hub: ModelHub, train_jsonl: object, test_jsonl: object, descriptions_json: object,
                  seed: object = 0) -> tuple[Comparison, list[S.Example]]:
    """The three methods that train nothing but a logistic regression, on the server: (comparison, train)."""
    train, test, labels = prepare(train_jsonl, test_jsonl)
    descriptions = S.parse_descriptions(descriptions_json, labels)
    s = check_seed(seed)
    c = Comparison(labels, test, len(train))
    c.add(C.embeddings_logreg(hub, train, test, s))
    c.add(C.zero_shot_embeddings(hub, test, descriptions))
    c.add(C.zero_shot_generative(hub, test, labels))
    return c, train


def setfit_steps(hub: ModelHub, runner: JobRunner, owner: str, c: Comparison, train: list[S.Example],
                 per_class: object = SETFIT_PER_CLASS, seed: object = 0) -> Iterator[RunProgress]:
    """SetFit as a training job, its progress while it waits and trains; when it ends, its result is
    added to `c` (the last progress has `result`)."""
    n = check_int(per_class, low=1, high=64, what="Examples per class for SetFit")
    config = setfit_config(hub, train, c.test, c.labels, check_seed(seed), Path(tempfile.mkdtemp(prefix="setfit-")), n)
    for p in run_job(runner, owner, SETFIT_JOB, config):
        if p.result is not None:
            c.methods = [m for m in c.methods if m.name != C.SETFIT]
            c.add(C.MethodResult(C.SETFIT, p.result["predictions"], p.result["seconds"],
                                 note=f"{len(config['texts'])} labelled examples ({n} per class): contrastive pairs, "
                                      "then a head"))
        yield p


def compare(hub: ModelHub, runner: JobRunner, owner: str, train_jsonl: object, test_jsonl: object,
            descriptions_json: object, seed: object = 0, per_class: int = SETFIT_PER_CLASS) -> Comparison:
    """The `classify_compare` endpoint's comparison: every method, SetFit waiting in line like any run."""
    c, train = quick_methods(hub, train_jsonl, test_jsonl, descriptions_json, seed)
    for _ in setfit_steps(hub, runner, owner, c, train, per_class, seed):
        pass
    return c


# --- training an embedding model -----------------------------------------------------------------------------


@dataclass
class EmbeddingRun:
    train: list[S.Pair]
    test: list[S.Pair]
    notes: list[str]
    config: dict[str, Any]


def embedding_run(hub: ModelHub, pairs_jsonl: object, epochs: object, learning_rate: object,
                  seed: object) -> EmbeddingRun:
    train, test, notes = S.parse_pairs(pairs_jsonl)
    e = check_int(epochs, low=1, high=MAX_EPOCHS, what="Epochs")
    lr = check_float(learning_rate, low=0.0, high=MAX_LR, low_open=True, what="Learning rate")
    steps = -(-len(train) // BATCH) * e
    if steps > MAX_STEPS:
        raise UserInputError(f"{len(train)} pairs × {e} epoch(s) in batches of {BATCH} is {steps} steps; the lab runs "
                             f"up to {MAX_STEPS} on this machine. Use fewer pairs or epochs.")
    config = {"encoder": encoder_files(hub), "anchors": [p.anchor for p in train],
              "positives": [p.positive for p in train], "test_anchors": [p.anchor for p in test],
              "test_positives": [p.positive for p in test], "epochs": e, "learning_rate": lr, "seed": check_seed(seed),
              "batch_size": BATCH, "threads": worker_threads(), "out_dir": tempfile.mkdtemp(prefix="contrastive-")}
    return EmbeddingRun(train, test, notes, config)


EMBEDDING_KEYS = ("before", "after", "train", "seconds")


def train_embeddings_to_end(hub: ModelHub, runner: JobRunner, owner: str, pairs_jsonl: object, epochs: object,
                            learning_rate: object, seed: object) -> dict[str, Any]:
    """The `embedding_train` endpoint: one whole run, waiting in line like any other."""
    run = embedding_run(hub, pairs_jsonl, epochs, learning_rate, seed)
    last = None
    for last in run_job(runner, owner, CONTRASTIVE_JOB, run.config):
        pass
    assert last is not None and last.result is not None
    return {k: last.result[k] for k in EMBEDDING_KEYS}
