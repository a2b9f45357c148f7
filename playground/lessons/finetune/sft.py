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
import resource
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.training.base import NF4, load_base
from playground.training.jobs import JobFailed, Send


@dataclass
class Greedy:
    id: int


@dataclass
class ModelView:
    """What the shared decode loop needs of a loaded model: its module and its tokenizer."""

    model: Any
    tokenizer: Any


def answer(model: Any, tokenizer: Any, prompts: list[dict], max_new_tokens: int) -> list[str]:
    """Greedy answers (the most probable token at every step) to each prompt's ids."""
    from playground.lm.decode import decode, stop_ids
    from playground.lm.engines import ExactEngine

    view = ModelView(model, tokenizer)
    engine, stops = ExactEngine(view), stop_ids(view)
    out = []
    for prompt in prompts:
        ids = [step.id for (step,) in decode(engine, prompt["ids"], lambda r, p, logits, seen: Greedy(int(logits.argmax())),
                                             rows=1, max_new_tokens=max_new_tokens, stops=stops)]
        out.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
    return out


def perplexity(model: Any, texts: list[list[int]]) -> float:
    """exp(mean cross-entropy per predicted token) over token-id lists: how many tokens the model is,
    on average, as unsure between as if choosing uniformly."""
    from playground.training.loss_mask import token_losses

    losses = [token_losses(model, ids, ids) for ids in texts]
    total = sum(float(x.nansum()) for x in losses)
    count = sum(int((~x.isnan()).sum()) for x in losses)
    return math.exp(total / max(count, 1))


def peak_memory_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stream_callback(send: Send, eval_every: int):
    from peft import get_peft_model_state_dict
    from transformers import TrainerCallback

    class Stream(TrainerCallback):
        """Forwards the trainer's own logs to the progress channel; stops on a non-finite loss;
        keeps the adapter weights of the best evaluation so far."""

        def __init__(self):
            self.began = time.perf_counter()
            self.best_loss, self.best_step, self.best_state = math.inf, 0, None
            self.diverged: tuple[int, str] | None = None

        def on_train_begin(self, args, state, control, **kw):
            self.began = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            if state.global_step == state.max_steps and state.global_step % eval_every:
                control.should_evaluate = True  # the last step always gets a validation point

        def on_log(self, args, state, control, logs=None, **kw):
            logs = logs or {}
            for key, kind in (("loss", "train"), ("eval_loss", "eval")):
                if key not in logs:
                    continue
                value = float(logs[key])
                if not math.isfinite(value):
                    self.diverged = (state.global_step, kind)
                    control.should_training_stop = True
                    continue
                send(kind, step=state.global_step, loss=value, total=state.max_steps,
                     elapsed=time.perf_counter() - self.began)

        def on_evaluate(self, args, state, control, metrics=None, model=None, **kw):
            loss = float((metrics or {}).get("eval_loss", math.nan))
            if math.isfinite(loss) and loss < self.best_loss:
                self.best_loss, self.best_step = loss, state.global_step
                self.best_state = None if state.global_step == 0 else {
                    k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}

    return Stream()


def trainer_for(model: Any, tokenizer: Any, s: dict[str, Any], train_rows: list[dict], validation_rows: list[dict],
                eval_every: int, callbacks: list, scratch: str):
    """transformers' Trainer as the lab runs it, on rows that arrive tokenised, cut and labelled.

    Not trl's SFTTrainer: its assistant-only loss cannot read SmolLM2's template (see
    `playground.training.loss_mask`), and on a CPU its chunked LM head scores every position and
    recomputes the head in the backward pass, about 1.5 times the bare step here. The plain Trainer
    returns the model's own loss for these labels, so its logged losses are the numbers the
    parity tests pin down."""
    from datasets import Dataset
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    args = TrainingArguments(
        output_dir=scratch, save_strategy="no", report_to="none", disable_tqdm=True,
        per_device_train_batch_size=s["batch_size"], per_device_eval_batch_size=max(8, s["batch_size"]),
        num_train_epochs=s["epochs"], learning_rate=s["learning_rate"], lr_scheduler_type="constant",
        warmup_steps=0, weight_decay=0.0, seed=s["seed"], data_seed=s["seed"],
        logging_steps=1, logging_nan_inf_filter=False,  # a NaN loss must reach us, not be averaged away
        eval_strategy="steps", eval_steps=eval_every, eval_on_start=True, prediction_loss_only=True,
        dataloader_num_workers=0, dataloader_pin_memory=False,
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    trainer = Trainer(model=model, args=args, processing_class=tokenizer, callbacks=callbacks,
                      data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100),
                      train_dataset=Dataset.from_list(train_rows), eval_dataset=Dataset.from_list(validation_rows))
    trainer.remove_callback(PrinterCallback)  # the logs go to the progress channel, not the server's terminal
    return trainer


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
    # at least one validation point per epoch, so many epochs on a small set show where it turns up
    eval_every = max(1, math.ceil(total_steps / max(config["evaluations"], s["epochs"])))
    stream = _stream_callback(send, eval_every)
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
