"""transformers' Trainer as the training labs run it on the CPU, and what a run reports of itself."""

from __future__ import annotations

import math
import resource
import time
from typing import Any

from playground.training.jobs import Send


def peak_memory_mb() -> float:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_arguments(s: dict[str, Any], scratch: str, eval_every: int) -> dict[str, Any]:
    """The training arguments every lab's run shares (transformers' TrainingArguments, or trl's
    configs built on them): a constant learning rate, a log every step, validation from step 0."""
    return dict(
        output_dir=scratch, save_strategy="no", report_to="none", disable_tqdm=True,
        per_device_train_batch_size=s["batch_size"], per_device_eval_batch_size=max(8, s["batch_size"]),
        num_train_epochs=s["epochs"], learning_rate=s["learning_rate"], lr_scheduler_type="constant",
        warmup_steps=0, weight_decay=0.0, seed=s["seed"], data_seed=s["seed"],
        logging_steps=1, logging_nan_inf_filter=False,  # a NaN loss must reach us, not be averaged away
        eval_strategy="steps", eval_steps=eval_every, eval_on_start=True,
        dataloader_num_workers=0, dataloader_pin_memory=False,
    )


def eval_interval(total_steps: int, evaluations: int, epochs: int) -> int:
    """Steps between validation points: at least one per epoch, so many epochs on a small set show
    where validation turns up."""
    return max(1, math.ceil(total_steps / max(evaluations, epochs)))


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

    args = TrainingArguments(**run_arguments(s, scratch, eval_every), prediction_loss_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    trainer = Trainer(model=model, args=args, processing_class=tokenizer, callbacks=callbacks,
                      data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100),
                      train_dataset=Dataset.from_list(train_rows), eval_dataset=Dataset.from_list(validation_rows))
    trainer.remove_callback(PrinterCallback)  # the logs go to the progress channel, not the server's terminal
    return trainer


def stream_callback(send: Send, eval_every: int, fields: dict[str, str] | None = None):
    from peft import get_peft_model_state_dict
    from transformers import TrainerCallback

    class Stream(TrainerCallback):
        """Forwards the trainer's own logs to the progress channel (the loss, and the logged values
        `fields` names: log key -> event field); stops on a non-finite loss; keeps the adapter
        weights of the best evaluation so far."""

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
            for prefix, kind in (("", "train"), ("eval_", "eval")):
                if prefix + "loss" not in logs:
                    continue
                value = float(logs[prefix + "loss"])
                if not math.isfinite(value):
                    self.diverged = (state.global_step, kind)
                    control.should_training_stop = True
                    continue
                extra = {name: float(logs[prefix + key]) for key, name in (fields or {}).items() if prefix + key in logs}
                send(kind, step=state.global_step, loss=value, total=state.max_steps,
                     elapsed=time.perf_counter() - self.began, **extra)

        def on_evaluate(self, args, state, control, metrics=None, model=None, **kw):
            loss = float((metrics or {}).get("eval_loss", math.nan))
            if math.isfinite(loss) and loss < self.best_loss:
                self.best_loss, self.best_step = loss, state.global_step
                self.best_state = None if state.global_step == 0 else {
                    k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}

    return Stream()
