"""Greedy answers from a model being trained, through the shared decode loop (`playground.lm.decode`).

The labs' workers answer their held-out prompts before and after a run with this, so "before" and
"after" differ only by what training changed: the same loop, the same stops, no sampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.lru import BoundedLRU

# The base model's greedy answers to a list of prompts never change: the labs keep them, keyed by
# (the base's files, max new tokens, the prompts' ids), so a second run (of either lab) skips them.
BASE_ANSWERS: BoundedLRU[list[str]] = BoundedLRU(64)


def _answers_key(config: dict[str, Any]) -> tuple:
    return (config["source"], config["max_new_tokens"], tuple(tuple(p["ids"]) for p in config["prompts"]))


def known_base_answers(config: dict[str, Any]) -> list[str] | None:
    """The base model's answers to a job config's held-out prompts, if a run has given them before."""
    return BASE_ANSWERS.get(_answers_key(config))


def keep_base_answers(config: dict[str, Any], result: dict[str, Any]) -> None:
    """Keep a finished run's "before" answers for the next run with the same prompts."""
    BASE_ANSWERS.put(_answers_key(config), [b["text"] for b in result["before"]])


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
