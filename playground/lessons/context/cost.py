"""What a longer context costs: the KV cache's memory, and the time to read a prompt and to add a token.

Generating reuses every earlier position's keys and values, so a decoder keeps them: for each
token, every layer stores one key and one value vector per key/value head. That is
2 × layers × key/value heads × head size × bytes per number, the same for every token: the cache
grows linearly with the context. The formula comes from the model's config; the measurement is
the bytes of the real cache after reading a prompt. Times are measured on this machine: reading
the prompt (prefill) and then each new token (decode), whose attention reads the whole cache, so
its cost grows with the context while the rest of the step stays the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import torch

from playground.lm.engines import ExactEngine, cache_bytes
from playground.models.loaders import LoadedModel

DEFAULT_LENGTHS = (128, 512, 1024, 2048)
DECODE_STEPS = 8  # new tokens timed per length


def kv_bytes_per_token(config: Any, bytes_per_number: int = 4) -> int:
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * bytes_per_number


@dataclass(frozen=True)
class CostPoint:
    length: int  # prompt tokens
    formula_bytes: int
    measured_bytes: int  # the real cache after the prefill
    prefill_s: float
    decode_ms: float  # per new token, median of DECODE_STEPS


def measure(lm: LoadedModel, lengths: tuple[int, ...] = DEFAULT_LENGTHS, seed: int = 0,
            on_point: Callable[[int, int], None] | None = None) -> list[CostPoint]:
    """Prefill and decode at each prompt length, on random token ids (the cost does not depend on
    which tokens they are), with the exact engine (the model's own forward)."""
    engine = ExactEngine(lm)
    per_token = kv_bytes_per_token(lm.model.config, next(lm.model.parameters()).element_size())
    gen = torch.Generator().manual_seed(seed)
    vocab = lm.model.config.vocab_size
    out = []
    with torch.inference_mode():
        engine.start(torch.randint(0, vocab, (16,), generator=gen).tolist())  # warm-up
        for i, n in enumerate(lengths):
            ids = torch.randint(0, vocab, (n,), generator=gen).tolist()
            began = time.perf_counter()
            cache, _ = engine.start(ids)
            prefill = time.perf_counter() - began
            measured = cache_bytes(cache)
            steps = []
            for _ in range(DECODE_STEPS):
                began = time.perf_counter()
                engine.step(cache, [int(torch.randint(0, vocab, (1,), generator=gen))])
                steps.append(time.perf_counter() - began)
            out.append(CostPoint(n, per_token * n, measured, prefill, 1000 * sorted(steps)[len(steps) // 2]))
            if on_point is not None:
                on_point(i + 1, len(lengths))
    return out
