"""Classifying text three ways on the hub's models (the fourth, SetFit, trains in a worker: `setfit_job`).

- embeddings + logistic regression: MiniLM's sentence embeddings (the shared cache) as features,
  scikit-learn's LogisticRegression fitted on the training split;
- zero-shot with embeddings: each text goes to the label whose description is nearest (cosine);
- zero-shot with the generative model: SmolLM2 reads an instruction and the text, and each label is
  scored by the model's own summed log-probability of the label's tokens as the answer. Nothing is
  parsed from free text, so every text gets exactly one of the labels.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from playground.lessons.representation.sets import Example
from playground.lm.continuations import continuation_logprobs
from playground.lm.prompts import chat_ids
from playground.models import ModelHub
from playground.models.embedding_cache import embed_texts

ENCODER = "all-minilm-l6-v2"
GENERATOR = "smollm2-135m-instruct"
LOGREG, ZS_EMB, ZS_GEN, SETFIT = "embeddings+logreg", "zero-shot-embeddings", "zero-shot-generative", "setfit"
METHODS = (LOGREG, ZS_EMB, ZS_GEN, SETFIT)


@dataclass
class MethodResult:
    name: str
    predictions: list[str]
    seconds: float
    accuracy: float = 0.0
    macro_f1: float = 0.0
    confusion: list[list[int]] = field(default_factory=list)  # rows: true label, columns: predicted
    note: str = ""

    def as_json(self) -> dict:
        return {"name": self.name, "accuracy": self.accuracy, "macro_f1": self.macro_f1, "seconds": self.seconds,
                "predictions": self.predictions}


def score(result: MethodResult, truth: list[str], labels: list[str]) -> MethodResult:
    """Accuracy, macro F1 (over the training labels) and the confusion matrix, by scikit-learn."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    result.accuracy = float(accuracy_score(truth, result.predictions))
    result.macro_f1 = float(f1_score(truth, result.predictions, labels=labels, average="macro", zero_division=0))
    result.confusion = confusion_matrix(truth, result.predictions, labels=labels).tolist()
    return result


def embeddings_logreg(hub: ModelHub, train: list[Example], test: list[Example], seed: int = 0) -> MethodResult:
    from sklearn.linear_model import LogisticRegression

    began = time.perf_counter()
    x_train = embed_texts(hub, [e.text for e in train])
    x_test = embed_texts(hub, [e.text for e in test])
    clf = LogisticRegression(max_iter=1000, random_state=seed).fit(x_train, [e.label for e in train])
    return MethodResult(LOGREG, [str(p) for p in clf.predict(x_test)], time.perf_counter() - began,
                        note=f"trained on {len(train)} labelled examples")


def zero_shot_embeddings(hub: ModelHub, test: list[Example], descriptions: dict[str, str]) -> MethodResult:
    began = time.perf_counter()
    labels = list(descriptions)
    d = embed_texts(hub, [descriptions[label] for label in labels])
    x = embed_texts(hub, [e.text for e in test])
    sims = _unit(x) @ _unit(d).T
    return MethodResult(ZS_EMB, [labels[i] for i in sims.argmax(1)], time.perf_counter() - began,
                        note="no labelled examples: the nearest label description")


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def generative_prompt(tokenizer, text: str, labels: list[str]) -> list[int]:
    """The chat-template prompt the generative model answers with one label."""
    options = ", ".join(labels)
    return chat_ids(tokenizer, [{"role": "user", "content":
                                 f"Classify the text into exactly one of these labels: {options}.\n\nText: {text}\n\n"
                                 "Answer with the label only."}])


def label_scores(model, tokenizer, text: str, labels: list[str]) -> np.ndarray:
    """Each label's summed log-probability as the answer to the prompt (the prompt read once)."""
    answers = [tokenizer(label, add_special_tokens=False)["input_ids"] for label in labels]
    return np.array(continuation_logprobs(model, generative_prompt(tokenizer, text, labels), answers))


def zero_shot_generative(hub: ModelHub, test: list[Example], labels: list[str],
                         on_text: Callable[[int, int], None] | None = None) -> MethodResult:
    began = time.perf_counter()
    lm = hub.get(GENERATOR)
    preds = []
    for i, e in enumerate(test):
        preds.append(labels[int(label_scores(lm.model, lm.tokenizer, e.text, labels).argmax())])
        if on_text is not None:
            on_text(i + 1, len(test))
    top, count = max(((p, preds.count(p)) for p in labels), key=lambda pc: pc[1])
    note = "no labelled examples: SmolLM2's most probable label name"
    if count > 0.6 * len(preds):  # what a learner should notice about a small model's zero-shot answers
        note += (f"; it said “{top}” for {count} of {len(preds)} texts: a 135M model leans on one answer "
                 "(often the first option listed) more than on the text")
    return MethodResult(ZS_GEN, preds, time.perf_counter() - began, note=note)


def few_shot_curve(hub: ModelHub, train: list[Example], test: list[Example], labels: list[str],
                   sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 0), seed: int = 0) -> list[tuple[int, float]]:
    """(examples per class, accuracy) of embeddings + logistic regression; 0 means all of them."""
    from playground.lessons.representation.sets import few_per_class

    out = []
    truth = [e.label for e in test]
    for n in sizes:
        subset = few_per_class(train, n)
        if len({e.label for e in subset}) < 2:
            continue
        r = score(embeddings_logreg(hub, subset, test, seed), truth, labels)
        per_class = min(sum(e.label == lab for e in subset) for lab in labels if any(e.label == lab for e in subset))
        out.append((n or per_class, r.accuracy))
    return out
