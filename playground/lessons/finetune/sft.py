"""The fine-tuning job, run inside a training worker process (`playground.training.jobs`).

It loads its own copy of the base model, answers the held-out prompts greedily (the "before"),
wraps the model in a fresh LoRA adapter (peft), trains it with transformers' `Trainer` on rows
that arrive already tokenised with their labels (see `playground.training.loss_mask`), and streams
the trainer's own logged losses: every step's training loss, and the validation loss at every
evaluation from step 0 (the base model, `eval_on_start`). The adapter with the lowest validation
loss is kept beside the last one. At the end it saves the adapter(s) in peft's format, merges the
last one into its copy of the weights and answers the same prompts again (the "after"). Generation
goes through the shared decode loop, `playground.lm.decode`.

With a 4-bit NF4 base (QLoRA) the frozen weights stay packed: the adapter is never merged into
them (that would quantise it too), so the tuned model answers with its adapter beside the base.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any

from playground.training.base import NF4, load_base
from playground.training.generate import answer
from playground.training.jobs import JobFailed, Send
from playground.training.trainer import eval_interval, peak_memory_mb, stream_callback, trainer_for


def perplexity(model: Any, texts: list[list[int]]) -> float:
    """exp(mean cross-entropy per predicted token) over token-id lists: how many tokens the model is,
    on average, as unsure between as if choosing uniformly."""
    from playground.training.loss_mask import token_losses

    losses = [token_losses(model, ids, ids) for ids in texts]
    total = sum(float(x.nansum()) for x in losses)
    count = sum(int((~x.isnan()).sum()) for x in losses)
    return math.exp(total / max(count, 1))


def train(config: dict[str, Any], send: Send) -> dict[str, Any]:
    """The job: config as `lab.job_config` builds it; returns the run's JSON-ready result."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from transformers import set_seed

    started = time.perf_counter()
    torch.set_num_threads(config["threads"])
    s = config["settings"]
    quantized = s["base_weights"] == NF4
    send("status", text="loading a private copy of the base model"
         + (" with its weights in 4 bits (NF4, bitsandbytes)" if quantized else ""))
    model, tokenizer, load_s = load_base(config["source"], weights=s["base_weights"], device=config["device"])
    model.eval()
    total_params = model.num_parameters()  # tied embeddings once; a 4-bit weight counts its unpacked size
    base_mb = model.get_memory_footprint() / 1e6
    prompts = config["prompts"]
    before = config.get("before")
    if before is None:
        send("status", text=f"the base model answers the {len(prompts)} held-out prompt(s)")
        before = answer(model, tokenizer, prompts, config["max_new_tokens"])
    send("before", texts=before)
    sets = config.get("perplexity") or {}
    ppl_before = {name: perplexity(model, texts) for name, texts in sets.items()}

    set_seed(s["seed"])  # the adapter's random initial A matrices, then the trainer's shuffling
    lora = LoraConfig(r=s["rank"], lora_alpha=s["alpha"], target_modules=list(s["targets"]), lora_dropout=0.0,
                      bias="none", task_type="CAUSAL_LM")
    if quantized:
        from peft import prepare_model_for_kbit_training

        # QLoRA's preparation: the few unquantised weights (norms, embeddings) in float32
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    model = get_peft_model(model, lora)
    trainable = model.get_nb_trainable_parameters()[0]
    send("params", trainable=trainable, total=total_params)

    steps_per_epoch = math.ceil(len(config["train"]) / s["batch_size"])
    total_steps = steps_per_epoch * s["epochs"]
    eval_every = eval_interval(total_steps, config["evaluations"], s["epochs"])
    stream = stream_callback(send, eval_every)
    out_dir = Path(config["out_dir"])
    # the trainer's scratch folder lives in the run's folder, so a killed worker leaves nothing elsewhere
    trainer = trainer_for(model, tokenizer, s, config["train"], config["validation"], eval_every, [stream],
                          str(out_dir / "trainer"))
    send("status", text=f"training: {total_steps} steps of {s['batch_size']} rows")
    train_began = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - train_began
    shutil.rmtree(out_dir / "trainer", ignore_errors=True)
    if stream.diverged is not None:
        step, kind = stream.diverged
        raise JobFailed(
            f"Training diverged at step {step}: the {'training' if kind == 'train' else 'validation'} loss became "
            f"NaN (not a number), so the run stopped. A learning rate of {s['learning_rate']:g} is too high for "
            "this run: try one ten times smaller.")

    history = trainer.state.log_history
    train_curve = [{"step": h["step"], "loss": float(h["loss"])} for h in history if "loss" in h]
    eval_curve = [{"step": h["step"], "loss": float(h["eval_loss"])} for h in history if "eval_loss" in h]
    model.eval()
    model.save_pretrained(out_dir / "adapter")  # peft's format: adapter_config.json + adapter_model.safetensors
    last_step = train_curve[-1]["step"] if train_curve else 0
    best_saved = stream.best_state is not None and stream.best_step != last_step
    n_new = config["max_new_tokens"]

    def merged(fn):
        """fn() with the adapter folded into a 32-bit base (the same maths, faster); a 4-bit base keeps it apart."""
        if quantized:
            return fn()
        model.merge_adapter()
        try:
            return fn()
        finally:
            model.unmerge_adapter()

    def merged_answers(which: list[dict]) -> list[str]:
        return merged(lambda: answer(model, tokenizer, which, n_new))

    send("status", text="the tuned model answers the same prompts")
    after = merged_answers(prompts)
    # the chat-template mistake: the same questions as bare text, not in the template it was trained with
    no_template = merged_answers([{"ids": p["raw_ids"]} for p in prompts]) if config.get("without_template") else None
    ppl = merged(lambda: {name: {"before": ppl_before[name], "after": perplexity(model, texts)}
                          for name, texts in sets.items()})
    best_after = None
    if best_saved:
        set_peft_model_state_dict(model, stream.best_state)
        model.save_pretrained(out_dir / "best")
        send("status", text=f"the best checkpoint (step {stream.best_step}) answers too")
        best_after = merged_answers(prompts)
    return {
        "trainable_params": int(trainable),
        "total_params": int(total_params),
        "train": train_curve,
        "eval": eval_curve,
        "best_step": int(stream.best_step),
        "before": [{"prompt": p["question"], "text": t} for p, t in zip(prompts, before)],
        "after": [{"prompt": p["question"], "text": t} for p, t in zip(prompts, after)],
        "seconds": time.perf_counter() - started,
        "adapter_bytes": (out_dir / "adapter" / "adapter_model.safetensors").stat().st_size,
        "load_seconds": load_s,
        "train_seconds": train_s,
        "steps": total_steps,
        "peak_mb": peak_memory_mb(),
        "base_weights": s["base_weights"],
        "base_mb": base_mb,  # the frozen base's weights in memory (4-bit: about a third)
        "device": config["device"],
        "gpu_peak_mb": torch.cuda.max_memory_allocated() / 1e6 if config["device"] == "cuda" else None,
        "best_after": best_after,  # the best checkpoint's answers, when it is not the last step
        "no_template": no_template,  # the last adapter's answers without the chat template, when asked
        "perplexity": ppl,  # raw text: {"domain"|"general": {"before", "after"}}
    }
