"""The preference job, run inside a training worker process (`playground.training.jobs`).

It loads its own copy of the base model, answers the held-out prompts greedily and scores the
held-out pairs (the "before"), wraps the model in a fresh LoRA adapter (peft) and trains it:

- "dpo": trl's DPOTrainer. The reference model is the same model with the adapter switched off
  (trl does this when it gets a peft model and no reference), so there is no second copy. The
  trainer's own logged loss, reward margin and reward accuracy stream out at every step, and on
  the validation pairs from step 0.
- "sft": supervised fine-tuning on the chosen answers only (the Fine-tuning lab's path: the
  loss on the answer's tokens), for comparison: it raises the chosen answers, and what it does to
  the rejected ones is what the lab shows.

Then it saves the adapter in peft's format, answers the same prompts again, and scores the held-out
pairs with the adapter on (the policy) and off (the reference).
"""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playground.lessons.preference.scoring import model_logits, pair_ids, score_pair
from playground.training.base import load_base
from playground.training.generate import answer
from playground.training.jobs import JobFailed, Send
from playground.training.loss_mask import IGNORE
from playground.training.trainer import eval_interval, peak_memory_mb, run_arguments, stream_callback, trainer_for

DPO, SFT = "dpo", "sft"
# trl's logged values the lab streams beside the loss (log key -> event field)
DPO_FIELDS = {"rewards/margins": "margin", "rewards/accuracies": "accuracy", "logps/chosen": "chosen_logp",
              "logps/rejected": "rejected_logp"}


def scores(tokenizer: Any, model: Any, pairs: list[dict], beta: float, adapter: bool) -> list[dict[str, Any]]:
    """Each pair scored by the model (with its adapter on when `adapter`) against the adapter off."""
    policy = model_logits(model)

    def adapter_off(ids):
        with model.disable_adapter():
            return policy(ids)

    out = []
    for p in pairs:
        s = score_pair(tokenizer, policy, adapter_off if adapter else None, p["prompt"], p["chosen"], p["rejected"], beta)
        out.append({"chosen_logp": s.chosen_logp, "rejected_logp": s.rejected_logp,
                    "ref_chosen_logp": s.ref_chosen_logp, "ref_rejected_logp": s.ref_rejected_logp,
                    "chosen_reward": s.dpo.chosen_reward, "rejected_reward": s.dpo.rejected_reward,
                    "margin": s.dpo.margin, "loss": s.dpo.loss})
    return out


def sft_rows(tokenizer: Any, pairs: list[dict]) -> list[dict[str, list[int]]]:
    """The chosen answers as supervised rows: loss on the answer's tokens only."""
    out = []
    for p in pairs:
        prompt, chosen = pair_ids(tokenizer, p["prompt"], p["chosen"])
        out.append({"input_ids": prompt + chosen, "labels": [IGNORE] * len(prompt) + chosen})
    return out


def dpo_trainer(model: Any, tokenizer: Any, s: dict[str, Any], train: list[dict], validation: list[dict],
                eval_every: int, callbacks: list, scratch: str):
    """trl's DPOTrainer as the lab runs it: conversational rows, the adapter-off model as reference."""
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar
    from transformers.trainer_callback import PrinterCallback
    from trl import DPOConfig, DPOTrainer

    disable_progress_bar()  # trl tokenises with datasets.map: its bars would land in the server's log

    def as_trl(p: dict) -> dict:
        return {"prompt": p["prompt"], "chosen": [{"role": "assistant", "content": p["chosen"]}],
                "rejected": [{"role": "assistant", "content": p["rejected"]}]}

    # trl's configs default to bf16, which a CPU cannot autocast to; float32 also keeps the numbers
    # the lab shows equal to what scoring.py computes
    args = DPOConfig(**run_arguments(s, scratch, eval_every), beta=s["beta"], max_length=None, bf16=False)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    trainer = DPOTrainer(model=model, ref_model=None, args=args, processing_class=tokenizer, callbacks=callbacks,
                         train_dataset=Dataset.from_list([as_trl(p) for p in train]),
                         eval_dataset=Dataset.from_list([as_trl(p) for p in validation]))
    trainer.remove_callback(PrinterCallback)
    return trainer


@contextmanager
def _merged(model: Any):
    """The adapter folded into the 32-bit weights while answering: the same maths, faster decoding."""
    model.merge_adapter()
    try:
        yield
    finally:
        model.unmerge_adapter()


def train(config: dict[str, Any], send: Send) -> dict[str, Any]:
    """The job: config as `lab.job_config` builds it; returns the run's JSON-ready result."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import set_seed

    started = time.perf_counter()
    torch.set_num_threads(config["threads"])
    s = config["settings"]
    send("status", text="loading a private copy of the base model")
    model, tokenizer, load_s = load_base(config["source"], device=config["device"])
    model.eval()
    prompts = config["prompts"]  # {"question", "ids"}, rendered on the server
    before = config.get("before")
    if before is None:
        send("status", text=f"the base model answers the {len(prompts)} held-out prompt(s)")
        before = answer(model, tokenizer, prompts, config["max_new_tokens"])
    send("before", texts=before)
    test_before = scores(tokenizer, model, config["test"], s["beta"], adapter=False)

    set_seed(s["seed"])
    model = get_peft_model(model, LoraConfig(r=s["rank"], lora_alpha=s["alpha"], target_modules=list(s["targets"]),
                                             lora_dropout=0.0, bias="none", task_type="CAUSAL_LM"))
    send("params", trainable=model.get_nb_trainable_parameters()[0], total=model.get_nb_trainable_parameters()[1])
    steps = -(-len(config["train"]) // s["batch_size"]) * s["epochs"]
    eval_every = eval_interval(steps, config["evaluations"], s["epochs"])
    out_dir = Path(config["out_dir"])
    scratch = str(out_dir / "trainer")  # in the run's folder: a killed worker leaves nothing elsewhere
    if s["method"] == DPO:
        stream = stream_callback(send, eval_every, DPO_FIELDS)
        trainer = dpo_trainer(model, tokenizer, s, config["train"], config["validation"], eval_every, [stream], scratch)
    else:
        stream = stream_callback(send, eval_every)
        trainer = trainer_for(model, tokenizer, s, sft_rows(tokenizer, config["train"]),
                              sft_rows(tokenizer, config["validation"]), eval_every, [stream], scratch)
    send("status", text=f"training ({'DPO' if s['method'] == DPO else 'SFT on the chosen answers'}): {steps} steps "
                        f"of {s['batch_size']} pairs")
    began = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - began
    shutil.rmtree(scratch, ignore_errors=True)
    if stream.diverged is not None:
        step, _ = stream.diverged
        raise JobFailed(f"Training diverged at step {step}: the loss became NaN (not a number), so the run stopped. "
                        f"A learning rate of {s['learning_rate']:g} is too high for this run: try one ten times smaller.")

    history = trainer.state.log_history
    names = DPO_FIELDS if s["method"] == DPO else {}

    def curve(prefix: str) -> list[dict[str, float]]:
        return [{"step": h["step"], "loss": float(h[prefix + "loss"]),
                 **{name: float(h[prefix + key]) for key, name in names.items() if prefix + key in h}}
                for h in history if prefix + "loss" in h]

    model.eval()
    model.save_pretrained(out_dir / "adapter")
    send("status", text="the tuned model answers the same prompts and scores the held-out pairs")
    with _merged(model):
        after = answer(model, tokenizer, prompts, config["max_new_tokens"])
    test_after = scores(tokenizer, model, config["test"], s["beta"], adapter=True)
    return {
        "method": s["method"],
        "train": curve(""),
        "eval": curve("eval_"),
        "before": [{"prompt": p["question"], "text": t} for p, t in zip(config["prompts"], before)],
        "after": [{"prompt": p["question"], "text": t} for p, t in zip(config["prompts"], after)],
        "before_tokens": [len(tokenizer(t)["input_ids"]) for t in before],
        "after_tokens": [len(tokenizer(t)["input_ids"]) for t in after],
        "test_before": test_before,
        "test_after": test_after,
        "seconds": time.perf_counter() - started,
        "load_seconds": load_s,
        "train_seconds": train_s,
        "steps": steps,
        "peak_mb": peak_memory_mb(),
        "trainable_params": int(model.get_nb_trainable_parameters()[0]),
        "adapter_bytes": (out_dir / "adapter" / "adapter_model.safetensors").stat().st_size,
    }
