"""Self-instruct with SmolLM2: from a handful of seed tasks the model writes new tasks, then answers them.

The recipe of Wang et al. (2023), made small: one prompt lists the seed tasks and asks for a new one; the
model samples n continuations of it in one batch (seeded, so the same seed writes the same set), each new
task is answered greedily in its own chat turn, and the result goes through the same filters and
deduplication as any dataset, with the seeds in front so that copies of a seed are caught too.
Both passes run through the shared decode loop on the 4-bit engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from playground.checks import UserInputError
from playground.lessons.curation import pipeline as P
from playground.lessons.curation.records import CHAT, Record, parse
from playground.lm.decode import decode, stop_ids
from playground.lm.engines import FAST, engine
from playground.lm.prompts import chat_ids, encode
from playground.lm.text import token_texts
from playground.models.embedding_cache import embed_texts

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "curation"
MAX_NEW = 24
TASK_TOKENS = 40
ANSWER_TOKENS = 96
TEMPERATURE = 0.9
TOP_P = 0.95
# Self-instruct's own prompt shape: numbered tasks, and the next number left open for the model to fill.
NUMBERED = re.compile(r"^(?:task\s*)?\d+\s*[.):]\s*", re.IGNORECASE)
HEADER = "Come up with a series of tasks a user might ask an assistant, each on a different subject:\n"


def builtin_seeds() -> str:
    return (ASSETS / "seeds.jsonl").read_text(encoding="utf-8")


def check_seeds(text: object) -> list[Record]:
    parsed = parse(text, max_rows=50)
    if parsed.form != CHAT:
        raise UserInputError("The seed tasks must be chat rows ({\"messages\": [...]}), one user task and its answer.")
    if parsed.invalid:
        row, why = parsed.invalid[0]
        raise UserInputError(f"Seed row {row} is not usable: {why}.")
    if len(parsed.records) < 2:
        raise UserInputError("Give at least two seed tasks: the model learns the kind of task from their variety.")
    return parsed.records


@dataclass
class _Pick:
    id: int


def sampler(seed: int, temperature: float = TEMPERATURE, top_p: float = TOP_P) -> Callable:
    """Temperature and nucleus (top-p) sampling with one seeded generator for the whole batch; temperature 0
    is greedy."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))

    def pick(row: int, position: int, logits: torch.Tensor, seen: torch.Tensor) -> _Pick:
        if temperature <= 0:
            return _Pick(int(logits.argmax()))
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        sorted_p, order = probs.sort(descending=True)
        keep = sorted_p.cumsum(0) - sorted_p < top_p  # the smallest set whose mass reaches top_p
        sorted_p = sorted_p * keep
        return _Pick(int(order[torch.multinomial(sorted_p / sorted_p.sum(), 1, generator=gen)]))

    return pick


def _text(lm, ids: list[int]) -> str:
    return "".join(token_texts(lm.tokenizer, ids)).strip()


def _generate(lm, prefix: list[int], pick: Callable, rows: int, max_new: int) -> list[tuple[str, bool]]:
    """(text, finished) per row: finished is False when it ran out of tokens before its end-of-turn token."""
    stops = stop_ids(lm)
    ids: list[list[int]] = [[] for _ in range(rows)]
    finished = [False] * rows
    for steps in decode(engine(lm, FAST), prefix, pick, rows=rows, max_new_tokens=max_new, stops=stops):
        for r, step in enumerate(steps):
            if step is None:
                continue
            if step.id in stops:
                finished[r] = True
            else:
                ids[r].append(step.id)
    return [(_text(lm, i), f) for i, f in zip(ids, finished)]


@dataclass
class Synthetic:
    seeds: list[Record]
    tasks: list[str]
    answers: list[str]
    finished: list[bool]  # the answer reached its end-of-turn token
    curation: P.Curation  # of the seeds (rows 0 .. s-1) followed by the new rows
    diversity: dict[str, dict[str, float]]  # "seeds" / "synthetic" -> distinct bigrams, embedding spread

    @property
    def first_new(self) -> int:
        return len(self.seeds)

    def survivors(self) -> list[int]:
        return [i for i in self.curation.kept() if i >= self.first_new]

    def jsonl(self) -> str:
        return "\n".join(json.dumps({"messages": [{"role": "user", "content": t}, {"role": "assistant", "content": a}]},
                                    ensure_ascii=False) for t, a in zip(self.tasks, self.answers))


def distinct_bigrams(texts: list[str]) -> float:
    """Distinct word bigrams / all word bigrams: 1.0 when no two texts (nor one text) repeat a pair of words."""
    grams = [tuple(w[i:i + 2]) for w in (t.lower().split() for t in texts) for i in range(len(w) - 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def spread(vectors: np.ndarray) -> float:
    """Mean cosine distance between every two texts: 0 when all say the same, higher when they spread out."""
    v = np.asarray(vectors, dtype=np.float64)
    if len(v) < 2:
        return 0.0
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sims = v @ v.T
    n = len(v)
    return float(1.0 - (sims.sum() - n) / (n * (n - 1)))


def self_instruct(hub, seeds_text: object, n: int, seed: int, settings: P.Settings, progress=None) -> Synthetic:
    seeds = check_seeds(seeds_text)
    if not 1 <= n <= MAX_NEW:
        raise UserInputError(f"Ask for between 1 and {MAX_NEW} new tasks.")

    def say(f: float, desc: str) -> None:
        if progress is not None:
            progress(f, desc=desc)

    lm = hub.get(P.MODEL)
    listed = "".join(f"Task {k}: {s.questions()[-1]}\n" for k, s in enumerate(seeds, 1))
    prefix = encode(lm.tokenizer, f"{HEADER}{listed}Task {len(seeds) + 1}:", chat=False)
    say(0.0, f"Writing {n} new tasks (one batch)")
    written = _generate(lm, prefix, sampler(seed), n, TASK_TOKENS)
    # the task, not the next one; a number the model wrote in front of it ("11. ...") is the list's, not the task's
    tasks = [NUMBERED.sub("", t.strip().splitlines()[0]).strip() if t.strip() else "" for t, _ in written]
    answers, finished = [], []
    for k, task in enumerate(tasks):
        say(0.1 + 0.75 * k / n, f"Answering task {k + 1} of {n}")
        if not task:
            answers.append("")
            finished.append(True)
            continue
        (answer, done), = _generate(lm, chat_ids(lm.tokenizer, [{"role": "user", "content": task}]),
                                    sampler(seed, temperature=0), 1, ANSWER_TOKENS)
        answers.append(answer)
        finished.append(done)
    say(0.85, "Filtering and deduplicating, seeds first")
    rows = [s.messages() for s in seeds] + [
        [{"role": "user", "content": t}, {"role": "assistant", "content": a}] for t, a in zip(tasks, answers)]
    curation = P.curate(hub, "\n".join(json.dumps({"messages": m}, ensure_ascii=False) for m in rows), settings)
    for k, done in enumerate(finished):  # an answer cut at the token limit is truncated, whatever its last character
        row = len(seeds) + k
        if not done and row not in curation.flags["truncated"]:
            curation.flags["truncated"] = sorted(curation.flags["truncated"] + [row])
            curation.why[("truncated", row)] = f"stopped at the {ANSWER_TOKENS}-token limit"
    seed_tasks = [s.questions()[-1] for s in seeds]
    new_tasks = [t for t in tasks if t]
    vectors = embed_texts(hub, seed_tasks + new_tasks, P.ENCODER)
    diversity = {
        "seeds": {"distinct_bigrams": distinct_bigrams(seed_tasks), "spread": spread(vectors[:len(seeds)])},
        "synthetic": {"distinct_bigrams": distinct_bigrams(new_tasks), "spread": spread(vectors[len(seeds):])},
    }
    say(1.0, "Done")
    return Synthetic(seeds, tasks, answers, finished, curation, diversity)
