"""Prompting and generation for the Grounding lesson, with the model's own token probabilities.

Two prompts go through SmolLM2's chat template: closed-book (the question alone) and grounded
(the top-k passages numbered [1]..[k], then the question, with an instruction to cite and to
say "I don't know" when the passages do not hold the answer).

`generate` is a small KV-cached decoding loop. At every step it takes the model's raw logits
for the next token, picks a token (argmax at temperature 0, otherwise a draw from
softmax(logits / T) with a seeded torch.Generator, so the same seed gives the same answers),
and records that token's probability under the model's own softmax of the raw logits (at
temperature 1, whatever temperature chose it), plus the entropy of that distribution. Answers
stop at the end-of-turn token or after max_new_tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch

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


def prompt_ids(tokenizer, messages: list[dict]) -> list[int]:
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    return list(ids["input_ids"])


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


def _token_texts(tokenizer, ids: list[int]) -> list[str]:
    """Per-token text as the difference of successive decodes, so multi-byte characters split
    across tokens still join into the right answer text."""
    out, prev = [], ""
    for i in range(len(ids)):
        cur = tokenizer.decode(ids[: i + 1], skip_special_tokens=True)
        out.append(cur[len(prev):] if cur.startswith(prev) else tokenizer.decode([ids[i]], skip_special_tokens=True))
        prev = cur
    return out


def _eos_ids(model, tokenizer) -> set[int]:
    """End-of-turn ids: the tokenizer's and the generation config's (an int or a list)."""
    configured = model.generation_config.eos_token_id
    ids = {tokenizer.eos_token_id, *(configured if isinstance(configured, list) else [configured])}
    return {i for i in ids if i is not None}


@torch.no_grad()
def generate(
    model, tokenizer, prompt: list[int], *, max_new_tokens: int, temperature: float = 0.0, seed: int = 0, n: int = 1
) -> list[Generation]:
    """n answers to one prompt (sampled in one batch when n > 1)."""
    eos = _eos_ids(model, tokenizer)
    device = next(model.parameters()).device
    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    input_ids = torch.tensor([prompt] * n, device=device)
    out = model(input_ids=input_ids, use_cache=True)
    past, logits = out.past_key_values, out.logits[:, -1, :].float()
    rows: list[list[tuple[int, float, float]]] = [[] for _ in range(n)]
    done = [False] * n
    for _ in range(max_new_tokens):
        logp = torch.log_softmax(logits, dim=-1)
        if temperature <= 0:
            tok = logits.argmax(dim=-1)
        else:
            probs_t = torch.softmax(logits / temperature, dim=-1).cpu()
            tok = torch.multinomial(probs_t, 1, generator=gen).squeeze(1).to(device)
        chosen = logp.gather(1, tok[:, None]).squeeze(1).exp()
        entropy = -(logp.exp() * logp).nan_to_num().sum(dim=-1)
        for r in range(n):
            if done[r]:
                continue
            t = int(tok[r])
            if t in eos:
                done[r] = True
            else:
                rows[r].append((t, float(chosen[r]), float(entropy[r])))
        if all(done):
            break
        out = model(input_ids=tok[:, None], past_key_values=past, use_cache=True)
        past, logits = out.past_key_values, out.logits[:, -1, :].float()
    results = []
    for r in range(n):
        ids = [t for t, _, _ in rows[r]]
        texts = _token_texts(tokenizer, ids)
        tokens = [TokenProb(s, t, p, h) for s, (t, p, h) in zip(texts, rows[r])]
        results.append(Generation("".join(texts).strip(), ids, tokens, finished=done[r]))
    return results


def citations(text: str, k: int) -> list[int]:
    """Passage numbers (1..k) the model wrote as [n]; numbers outside 1..k are not citations."""
    return [n for n in (int(m) for m in CITATION.findall(text)) if 1 <= n <= k]


def strip_citations(text: str) -> str:
    return re.sub(r"\s*\[\d{1,2}\]", "", text).strip()
