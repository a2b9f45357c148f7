"""The lab's two training runs, each inside a training worker process (`playground.training.jobs`).

- `setfit`: SetFit (contrastive fine-tuning of MiniLM on pairs made from a few labelled examples,
  then a logistic-regression head), predicting the test texts.
- `contrastive`: MiniLM fine-tuned with sentence-transformers' trainer and a multiple-negatives
  ranking loss (each batch's other positives are an anchor's negatives), with retrieval on the held-out
  pairs and a 2-D map of them before and after.

The worker loads its own copy of the encoder from the hub's files; the hub's shared encoder is never
touched, and the tuned copy ends with the worker process.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from playground.training.jobs import JobFailed, Send
from playground.training.trainer import peak_memory_mb


def _loss_stream(send: Send, keys: tuple[str, ...] = ("loss", "embedding_loss")):
    import math

    from transformers import TrainerCallback

    class Stream(TrainerCallback):
        """The trainer's own logged loss, to the progress channel, every step."""

        def __init__(self):
            self.began = time.perf_counter()
            self.diverged = False

        def on_train_begin(self, args, state, control, **kw):
            self.began = time.perf_counter()

        def on_log(self, args, state, control, logs=None, **kw):
            value = next((float(logs[k]) for k in keys if k in (logs or {})), None)
            if value is None:
                return
            if not math.isfinite(value):
                self.diverged = True
                control.should_training_stop = True
                return
            send("train", step=state.global_step, loss=value, total=state.max_steps,
                 elapsed=time.perf_counter() - self.began)

    return Stream()


def setfit(config: dict[str, Any], send: Send) -> dict[str, Any]:
    import torch
    from datasets import Dataset
    import logging

    from setfit import SetFitModel, Trainer, TrainingArguments
    from transformers import set_seed
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    # "initialising classification head with random weights" is what SetFit is about to train
    logging.getLogger("setfit").setLevel(logging.ERROR)

    started = time.perf_counter()
    torch.set_num_threads(config["threads"])
    set_seed(config["seed"])
    send("status", text="loading a private copy of MiniLM")
    model = SetFitModel.from_pretrained(config["encoder"], labels=config["labels"])
    scratch = Path(config["out_dir"]) / "setfit"
    args = TrainingArguments(output_dir=str(scratch), batch_size=config["batch_size"], num_epochs=1,
                             num_iterations=config["iterations"], seed=config["seed"], report_to="none",
                             logging_steps=1, save_strategy="no", show_progress_bar=False,
                             body_learning_rate=config["learning_rate"])
    stream = _loss_stream(send)
    trainer = Trainer(model=model, args=args, callbacks=[stream],
                      train_dataset=Dataset.from_dict({"text": config["texts"], "label": config["train_labels"]}))
    for quiet in (PrinterCallback, ProgressCallback):  # the progress channel has the loss; the server's log needn't
        trainer.remove_callback(quiet)
    send("status", text=f"contrastive training on pairs of the {len(config['texts'])} labelled examples, then the head")
    trainer.train()
    shutil.rmtree(scratch, ignore_errors=True)
    if stream.diverged:
        raise JobFailed("SetFit's loss became NaN (not a number): try a smaller learning rate.")
    preds = [str(p) for p in model.predict(config["test_texts"], batch_size=64)]
    return {"predictions": preds, "seconds": time.perf_counter() - started, "peak_mb": peak_memory_mb()}


def _map(model, texts: list[str]) -> list[list[float]]:
    from sklearn.decomposition import PCA

    x = model.encode(texts, batch_size=64, show_progress_bar=False, convert_to_numpy=True)
    return PCA(n_components=2, random_state=0).fit_transform(x).tolist()


def contrastive(config: dict[str, Any], send: Send) -> dict[str, Any]:
    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.model_card import SentenceTransformerModelCardCallback
    from sentence_transformers.training_args import BatchSamplers
    from transformers import set_seed
    from transformers.trainer_callback import PrinterCallback

    from playground.lessons.representation.retrieval import metrics

    started = time.perf_counter()
    torch.set_num_threads(config["threads"])
    set_seed(config["seed"])
    send("status", text="loading a private copy of MiniLM")
    model = SentenceTransformer(config["encoder"], device="cpu")
    test_a, test_p = config["test_anchors"], config["test_positives"]

    def retrieval() -> dict[str, float]:  # every answer is a candidate: the held-out ones and the training ones
        enc = lambda t: model.encode(t, batch_size=64, show_progress_bar=False, convert_to_numpy=True)  # noqa: E731
        return metrics(enc(test_a), enc(test_p), enc(config["positives"]))

    send("status", text=f"retrieval on the {len(test_a)} held-out pairs, before training")
    before, map_before = retrieval(), _map(model, test_a + test_p)
    send("before", texts=[f"MRR {before['mrr']:.3f}, recall@1 {before['recall_at_1']:.0%}"])
    scratch = Path(config["out_dir"]) / "contrastive"
    args = SentenceTransformerTrainingArguments(
        output_dir=str(scratch), per_device_train_batch_size=config["batch_size"], num_train_epochs=config["epochs"],
        learning_rate=config["learning_rate"], lr_scheduler_type="constant", warmup_steps=0, seed=config["seed"],
        data_seed=config["seed"], logging_steps=1, save_strategy="no", report_to="none", disable_tqdm=True,
        batch_sampler=BatchSamplers.NO_DUPLICATES,  # a text twice in a batch would be its own negative
        dataloader_num_workers=0, dataloader_pin_memory=False)
    stream = _loss_stream(send)
    trainer = SentenceTransformerTrainer(
        model=model, args=args, callbacks=[stream], loss=MultipleNegativesRankingLoss(model),
        train_dataset=Dataset.from_dict({"anchor": config["anchors"], "positive": config["positives"]}))
    for quiet in (PrinterCallback, SentenceTransformerModelCardCallback):  # logs and model-card widgets: not here
        trainer.remove_callback(quiet)
    send("status", text=f"training on {len(config['anchors'])} pairs, {config['epochs']} epoch(s), batches of "
                        f"{config['batch_size']}: each anchor against its positive and the batch's other positives")
    began = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - began
    shutil.rmtree(scratch, ignore_errors=True)
    if stream.diverged:
        raise JobFailed("The loss became NaN (not a number), so training stopped: try a learning rate ten times smaller.")
    model.eval()
    send("status", text="retrieval on the held-out pairs again, with the tuned model")
    after, map_after = retrieval(), _map(model, test_a + test_p)
    train = [{"step": h["step"], "loss": float(h["loss"])} for h in trainer.state.log_history if "loss" in h]
    return {"before": before, "after": after, "train": train, "map_before": map_before, "map_after": map_after,
            "seconds": time.perf_counter() - started, "train_seconds": train_s, "peak_mb": peak_memory_mb(),
            "steps": trainer.state.max_steps}
