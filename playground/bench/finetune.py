"""The Fine-tuning lab's costs: one training step through transformers' Trainer (as the lab runs it)
against a bare peft + plain torch loop on the same batch; the lab's default run end to end in its
worker process (against the issue's 90-second budget), with the worker's peak memory; and the
latency of an inference request (a 16-token greedy answer on the hub's model) while that run
trains, against the same request on an idle machine."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from playground.bench import Measurement
from playground.models import ModelHub

STEPS = 6  # timed optimizer steps per side, after one unmeasured warm-up step
ANSWER_TOKENS = 16


def _step_times(hub: ModelHub) -> tuple[float, float, int]:
    """(Trainer seconds per step, bare loop seconds per step, tokens per batch) on one batch."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import TrainerCallback, set_seed

    from playground.lessons.finetune import lab
    from playground.training.trainer import trainer_for
    from playground.training import rows
    from playground.training.base import base_source, load_base

    s = lab.Settings()
    prepared = lab.prepare(hub.tokenizer(lab.MODEL), rows.builtin_jsonl("tutor"), s)
    row = {"input_ids": prepared.train[0].ids, "labels": prepared.train[0].labels}
    batch_rows = [row] * s.batch_size  # every batch the same rows: the same batch on both sides
    lora = LoraConfig(r=s.rank, lora_alpha=s.alpha, target_modules=list(s.targets), lora_dropout=0.0,
                      task_type="CAUSAL_LM")
    source = base_source(hub, lab.MODEL)
    threads = torch.get_num_threads()
    torch.set_num_threads(lab.worker_threads())
    try:
        set_seed(0)
        bare, tokenizer, _ = load_base(source)
        bare = get_peft_model(bare, lora).train()
        opt = torch.optim.AdamW([p for p in bare.parameters() if p.requires_grad], lr=s.learning_rate)
        batch: dict = {}

        def bare_step() -> float:
            start = time.perf_counter()
            bare(**batch).loss.backward()
            opt.step()
            opt.zero_grad()
            return time.perf_counter() - start

        class Interleaved(TrainerCallback):
            """After each Trainer step, one bare step: the two sides share the machine's load as it swings."""

            def __init__(self):
                self.mark = time.perf_counter()
                self.ours: list[float] = []
                self.bare: list[float] = []

            def on_step_end(self, args, state, control, **kw):
                self.ours.append(time.perf_counter() - self.mark)
                self.bare.append(bare_step())
                self.mark = time.perf_counter()

        set_seed(0)
        model, _, _ = load_base(source)
        model = get_peft_model(model, lora)
        clock = Interleaved()
        settings = {**s.__dict__, "epochs": 1}
        with tempfile.TemporaryDirectory() as scratch:
            trainer = trainer_for(model, tokenizer, settings, batch_rows * (STEPS + 1), batch_rows, 10**6,
                                      [clock], scratch)
            batch.update({k: v for k, v in trainer.data_collator(batch_rows).items()
                          if k in ("input_ids", "attention_mask", "labels")})
            clock.mark = time.perf_counter()
            trainer.train()
        # the first of each is a warm-up (and the Trainer's includes its evaluation at step 0)
        return statistics.median(clock.ours[1:]), statistics.median(clock.bare[1:]), int(batch["input_ids"].numel())
    finally:
        torch.set_num_threads(threads)


def _answer_s(hub: ModelHub) -> float:
    from playground.training.generate import Greedy
    from playground.lm.decode import decode
    from playground.lm.engines import ExactEngine
    from playground.lm.prompts import encode

    lm = hub.get("smollm2-135m-instruct")
    ids = encode(lm.tokenizer, "Give me one tip for learning English.", True)
    start = time.perf_counter()
    for _ in decode(ExactEngine(lm), ids, lambda r, p, logits, seen: Greedy(int(logits.argmax())), rows=1,
                    max_new_tokens=ANSWER_TOKENS, stops=set()):
        pass
    return time.perf_counter() - start


def measure(hub: ModelHub) -> list[Measurement]:
    from playground.lessons.finetune import lab
    from playground.training import rows
    from playground.training.jobs import JobRunner

    ours_step, bare_step, tokens = _step_times(hub)

    _answer_s(hub)  # warm-up
    idle = statistics.median(_answer_s(hub) for _ in range(3))
    busy: list[float] = []
    runner = JobRunner()
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        job, _ = lab.start(hub, runner, "bench", rows.builtin_jsonl("tutor"), lab.Settings(), Path(out))

        def sample_while_training():
            while job.status != "done" and job.status != "failed":
                if any(e["kind"] == "train" for e in job.events):
                    busy.append(_answer_s(hub))
                time.sleep(1.0)

        sampler = threading.Thread(target=sample_while_training, daemon=True)
        sampler.start()
        last = None
        for last in lab.follow(job, runner):
            pass
        run_s = time.perf_counter() - began
        sampler.join(timeout=60)
    # idle again after the run: this machine is shared, so the quieter of the two idle figures counts
    idle = min(idle, statistics.median(_answer_s(hub) for _ in range(3)))
    r = last.result
    s = lab.Settings()
    return [
        Measurement("finetune", f"training step, Trainer (rank {s.rank}, 7 projections, batch {s.batch_size})",
                    ours_step, bare_step, "bare peft model + AdamW loop, same batch", target="ratio <= 1.1",
                    note=f"{tokens} tokens per batch, {lab.worker_threads()} torch thread(s)"),
        Measurement("finetune", "default run end to end (tutor set, worker process)", run_s, 90.0,
                    "the issue's budget: 90 s on 2 cores", target="<= 90 s (about a minute)",
                    note=f"{r['steps']} steps in {r['train_seconds']:.0f} s, base copy loaded in "
                         f"{r['load_seconds']:.1f} s, worker peak memory {r['peak_mb']:.0f} MB, "
                         f"adapter {r['adapter_bytes'] / 1e6:.1f} MB"),
        Measurement("finetune", f"{ANSWER_TOKENS}-token greedy answer while a run trains",
                    statistics.median(busy) if busy else float("nan"), idle, "the same answer, nothing training",
                    note=f"{len(busy)} samples during training"),
    ]
