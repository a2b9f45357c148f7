"""The maths of decoding settings: how one vector of logits becomes the distribution a token is
drawn from.

Each function mirrors the transformers logits processor of the same name, operation for
operation, and in the order `generate` applies them: repetition penalty, then temperature,
top-k, top-p, min-p. A setting at its "off" value (temperature 1, top-k 0, top-p 1, min-p 0,
penalty 1) is skipped, exactly as `generate` skips it. Temperature 0 means greedy: all the
probability goes to the single most likely token (what `generate(do_sample=False)` picks).

Tensors are (batch, vocab) float32 logits; removed tokens get -inf, so softmax gives them 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from playground.checks import UserInputError, check_float, check_int

MAX_TEMPERATURE = 5.0
MAX_PENALTY = 5.0


@dataclass(frozen=True)
class DecodingSettings:
    """How one vector of logits is reshaped before a token is drawn (each at its "off" value by default)."""

    """The knobs `generate` takes for sampling, each at its "off" value by default."""

    temperature: float = 1.0  # 0 = greedy
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    min_p: float = 0.0  # 0 = off
    repetition_penalty: float = 1.0  # 1 = off

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    def describe(self) -> str:
        parts = ["greedy (temperature 0)" if self.greedy else f"temperature {self.temperature:g}"]
        if self.top_k:
            parts.append(f"top-k {self.top_k}")
        if self.top_p < 1.0:
            parts.append(f"top-p {self.top_p:g}")
        if self.min_p > 0.0:
            parts.append(f"min-p {self.min_p:g}")
        if self.repetition_penalty != 1.0:
            parts.append(f"repetition penalty {self.repetition_penalty:g}")
        return ", ".join(parts)


def check_settings(
    temperature: object, top_k: object, top_p: object, min_p: object, repetition_penalty: object = 1.0,
    vocab_size: int = 49152,
) -> DecodingSettings:
    """Validate settings from a learner or an API call; bad values get a sentence saying why."""
    t = check_float(temperature, low=0.0, high=MAX_TEMPERATURE, what="Temperature")
    k = check_int(top_k, low=0, high=vocab_size, what="Top-k")
    try:
        p = check_float(top_p, low=0.0, high=1.0, what="Top-p", low_open=True)
    except UserInputError:
        raise UserInputError(
            f"Top-p must be above 0 and at most 1 (got {top_p}): it is the share of probability to keep, "
            "and 1 keeps everything."
        ) from None
    m = check_float(min_p, low=0.0, high=1.0, what="Min-p")
    r = check_float(repetition_penalty, low=0.0, high=MAX_PENALTY, what="Repetition penalty", low_open=True)
    return DecodingSettings(temperature=t, top_k=k, top_p=p, min_p=m, repetition_penalty=r)


def repetition_penalty(logits: torch.Tensor, seen: list[torch.Tensor], penalty: float) -> torch.Tensor:
    """RepetitionPenaltyLogitsProcessor: every token already in the text (prompt included) has its
    logit divided by the penalty if positive, multiplied by it if negative (at most once per token)."""
    if penalty == 1.0:
        return logits
    out = logits.clone()
    for row, ids in enumerate(seen):
        if ids.numel() == 0:
            continue
        score = out[row].gather(0, ids)
        out[row].scatter_(0, ids, torch.where(score < 0, score * penalty, score / penalty))
    return out


def temperature(logits: torch.Tensor, t: float) -> torch.Tensor:
    """TemperatureLogitsWarper: below 1 sharpens the distribution, above 1 flattens it."""
    return logits if t == 1.0 else logits / t


def greedy(logits: torch.Tensor) -> torch.Tensor:
    """Temperature 0: keep only the argmax (the first one on a tie, like torch.argmax in generate)."""
    keep = torch.zeros_like(logits, dtype=torch.bool)
    keep.scatter_(-1, logits.argmax(dim=-1, keepdim=True), True)
    return logits.masked_fill(~keep, -math.inf)


def top_k(logits: torch.Tensor, k: int, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """TopKLogitsWarper: keep the k highest logits (ties with the k-th are kept too)."""
    if k == 0:
        return logits
    k = min(max(k, min_tokens_to_keep), logits.size(-1))
    kth = torch.topk(logits, k)[0][..., -1, None]
    return logits.masked_fill(logits < kth, -math.inf)


def top_p(logits: torch.Tensor, p: float, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """TopPLogitsWarper (nucleus): keep the smallest set of top tokens whose probabilities add up
    to at least p. Like transformers, a token goes when the mass at or below it (in ascending order)
    is <= 1-p.

    transformers sorts the whole vocabulary to find that cut (4 ms for 49,152 tokens here, more
    than the rest of a decode step's arithmetic). The mass at or below a token is the total minus
    the mass above it, so only the top of the distribution needs sorting: take the top 256 and
    widen until the cut falls inside. torch's CPU cumsum adds float32 in double, as we do, so
    the same tokens are cut except when a sum lands within rounding (~1e-7) of 1-p."""
    if p >= 1.0:
        return logits
    probs = logits.softmax(dim=-1)
    threshold = torch.tensor(1 - p, dtype=probs.dtype)  # compared in float32, as transformers does
    vocab = probs.shape[-1]
    remove = torch.ones_like(probs, dtype=torch.bool)
    for row in range(probs.shape[0]):
        total = probs[row].double().sum()
        k = min(256, vocab)
        while True:
            top, idx = torch.topk(probs[row], k)
            top_d = top.double()
            at_or_below = (total - (top_d.cumsum(-1) - top_d)).to(probs.dtype)
            keep = at_or_below > threshold
            keep[:min_tokens_to_keep] = True
            if not keep[-1] or k == vocab:
                break
            k = min(k * 4, vocab)
        remove[row, idx[keep]] = False
    return logits.masked_fill(remove, -math.inf)


def min_p(logits: torch.Tensor, p: float, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """MinPLogitsWarper: drop tokens less likely than p times the top token's probability."""
    if p <= 0.0:
        return logits
    probs = torch.softmax(logits, dim=-1)
    remove = probs < p * probs.amax(dim=-1, keepdim=True)
    k = min(min_tokens_to_keep, probs.shape[-1])
    remove.scatter_(-1, torch.topk(probs, k, dim=-1).indices, False)
    return logits.masked_fill(remove, -math.inf)


def warp(logits: torch.Tensor, s: DecodingSettings) -> torch.Tensor:
    """Temperature, top-k, top-p, min-p in generate's order (the penalty comes before, separately)."""
    if s.greedy:
        return greedy(logits)
    out = temperature(logits, s.temperature)
    out = top_k(out, s.top_k)
    out = top_p(out, s.top_p)
    return min_p(out, s.min_p)


def entropy_bits(probs: torch.Tensor) -> torch.Tensor:
    """Shannon entropy in bits along the last axis; removed tokens (p = 0) add nothing.
    1 bit = a fair coin flip; 0 bits = no choice at all."""
    return torch.special.entr(probs.double()).sum(dim=-1) / math.log(2)


def draw(probs: torch.Tensor, s: DecodingSettings, generator: torch.Generator) -> int:
    """One token id from a (vocab,) distribution, with the request's own random generator.

    Inverse-CDF sampling: one uniform number, then the first token whose running total passes it.
    Same distribution as torch.multinomial and 20x cheaper on a 49,152-token vocabulary."""
    if s.greedy:
        return int(probs.argmax())
    cumulative = probs.double().cumsum(-1)
    u = torch.rand(1, generator=generator, dtype=torch.float64) * cumulative[-1]
    token = int(torch.searchsorted(cumulative, u, right=True))
    if token >= probs.shape[-1] or probs[token] <= 0:  # u rounded onto the very end
        token = int(torch.nonzero(probs > 0)[-1])
    return token


def step_generator(seed: int, step: int) -> torch.Generator:
    """A generator for one step of one run: the same seed and step always give the same draw,
    whether the tokens come one click at a time or in one streamed run; never the global RNG."""
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + step) % (2**63))
