"""Prompting and generation for the Grounding lesson, with the model's own token probabilities.

Two prompts go through SmolLM2's chat template: closed-book (the question alone) and grounded
(the top-k passages numbered [1]..[k], then the question, with an instruction to cite and to
say "I don't know" when the passages do not hold the answer).

`generate` runs the shared decode loop (`playground.lm.decode`) with this lesson's step: pick a
token (argmax at temperature 0, otherwise a draw from softmax(logits / T) with a seeded
torch.Generator, so the same seed gives the same answers) and record that token's probability
under the model's own softmax of the raw logits (at temperature 1, whatever temperature chose
it), plus the entropy of that distribution. Answers stop at the end-of-turn token or after
max_new_tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

from playground.lm.decode import decode, stop_ids
from playground.lm.engines import ExactEngine
from playground.lm.text import token_texts
from playground.models.loaders import LoadedModel

SYSTEM_CLOSED = "Answer the question in one short sentence."
SYSTEM_GROUNDED = (
    "Answer the question in one short sentence, using only the numbered passages. "
    "Cite the passage you used, like [1]. "
    "If the passages do not contain the answer, say: I don't know."
)
CITATION = re.compile(r"\[(\d{1,2})\]")


def closed_book_messages(question: str) -> list[dict]:
    return [{"role": "system", "content": SYSTEM_CLOSED}, {"role": "user", "content": question}]


def grounded_messages(question: str, passages: list[str]) -> list[dict]:
    numbered = "\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
    user = f"Passages:\n{numbered}\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_GROUNDED}, {"role": "user", "content": user}]


@dataclass
class TokenProb:
    token: str  # the text this token adds to the answer (byte-level pieces joined correctly)
    id: int
    prob: float  # softmax(raw logits)[token]
    entropy: float  # of softmax(raw logits), in nats


@dataclass
class Generation:
    text: str
    ids: list[int]
    tokens: list[TokenProb] = field(default_factory=list)
    finished: bool = True  # False when it hit max_new_tokens before the end-of-turn token


@dataclass
class _Pick:
    id: int
    prob: float
    entropy: float


def generate(lm: LoadedModel, prompt: list[int], *, max_new_tokens: int, temperature: float = 0.0, seed: int = 0,
             n: int = 1) -> list[Generation]:
    """n answers to one prompt, sampled as one batch through the shared decode loop."""
    gen = torch.Generator(device="cpu").manual_seed(int(seed))  # one per run: the same seed, the same answers

    def pick(row: int, position: int, logits: torch.Tensor, seen: torch.Tensor) -> _Pick:
        logp = torch.log_softmax(logits.float().cpu(), dim=-1)  # the model's own distribution
        if temperature <= 0:
            token = int(logp.argmax())
        else:
            token = int(torch.multinomial(torch.softmax(logits.float().cpu() / temperature, dim=-1), 1, generator=gen))
        entropy = float(-(logp.exp() * logp).nan_to_num().sum())
        return _Pick(token, float(logp[token].exp()), entropy)

    stops = stop_ids(lm)
    rows: list[list[_Pick]] = [[] for _ in range(n)]
    finished = [False] * n
    for steps in decode(ExactEngine(lm), prompt, pick, rows=n, max_new_tokens=max_new_tokens, stops=stops):
        for r, step in enumerate(steps):
            if step is None:
                continue
            if step.id in stops:
                finished[r] = True  # the end-of-turn token is not part of the answer
            else:
                rows[r].append(step)
    results = []
    for r in range(n):
        ids = [p.id for p in rows[r]]
        texts = token_texts(lm.tokenizer, ids)
        tokens = [TokenProb(t, p.id, p.prob, p.entropy) for t, p in zip(texts, rows[r])]
        results.append(Generation("".join(texts).strip(), ids, tokens, finished=finished[r]))
    return results


def citations(text: str, k: int) -> list[int]:
    """Passage numbers (1..k) the model wrote as [n]; numbers outside 1..k are not citations."""
    return [n for n in (int(m) for m in CITATION.findall(text)) if 1 <= n <= k]
