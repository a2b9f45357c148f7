"""The two engines that compute a causal LM's logits, and which one a request really gets.

EXACT is the model's own transformers forward in float32 (what the JSON endpoints use, so they
match transformers to the last digit). FAST is `fast_llama`: the same architecture with 4-bit
weights, about 2.5 times faster per token on a 2-core CPU; how far its probabilities are from the
exact ones is measured once per process (`fast_agreement`) and shown to the learner.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch

from playground.checks import UserInputError
from playground.lm import fast_llama
from playground.lm.prompts import encode
from playground.models.loaders import LoadedModel

EXACT, FAST = "32-bit", "4-bit"
WEIGHTS = (FAST, EXACT)
# what the fast engine is compared on: ordinary English, read one token at a time
AGREEMENT_TEXT = (
    "The best thing about rainy days is the sound on the roof. I like cats because they are calm, and "
    "my favourite fruit is a ripe pear. Write a short poem about the sea: waves fold over the sand."
)


class ExactEngine:
    """The model's own transformers forward with its DynamicCache (any model, any device)."""

    def __init__(self, lm: LoadedModel):
        self.model = lm.model

    def start(self, ids: list[int], rows: int = 1, capacity: int = 0):
        out = self.model(torch.tensor([ids], device=self.model.device), use_cache=True, logits_to_keep=1)
        cache = out.past_key_values
        if rows > 1:
            cache.batch_repeat_interleave(rows)
        return cache, out.logits[:, -1].float().cpu().expand(rows, -1)

    def step(self, cache, ids: list[int]) -> torch.Tensor:
        out = self.model(torch.tensor(ids, device=self.model.device)[:, None], past_key_values=cache, use_cache=True)
        return out.logits[:, -1].float().cpu()


def cache_bytes(cache) -> int:
    """Bytes the exact engine's KV cache holds: every layer's keys and values."""
    return sum(t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values)
               if t is not None)


def weights_choice(lm: LoadedModel, weights: str) -> str:
    """The engine that will really run: FAST falls back to EXACT where there is no 4-bit engine."""
    if weights not in WEIGHTS:
        raise UserInputError(f"Weights must be one of {', '.join(WEIGHTS)}.")
    if weights == FAST and fast_llama.unsupported_reason(lm) is not None:
        return EXACT
    return weights


def engine(lm: LoadedModel, weights: str):
    return fast_llama.engine_for(lm) if weights_choice(lm, weights) == FAST else ExactEngine(lm)


_agreement_lock = threading.Lock()


@dataclass
class FastCheck:
    """The 4-bit engine measured against the 32-bit model, once per process."""

    agreement: fast_llama.Agreement
    exact_step_ms: float  # the model's own forward, one cached step


CHECK_KEY = "fast_llama_check"  # where the measurement is kept, in the LoadedModel's extras


def fast_measured(lm: LoadedModel) -> bool:
    """Whether the 4-bit engine is built and measured already (else the first use takes a second or two)."""
    return CHECK_KEY in lm.extras


def fast_agreement(lm: LoadedModel) -> FastCheck:
    """How close and how fast the 4-bit engine is, on AGREEMENT_TEXT, measured on first use."""
    with _agreement_lock:
        found = lm.extras.get(CHECK_KEY)
        if found is None:
            ids = encode(lm.tokenizer, AGREEMENT_TEXT, False)
            agreement = fast_llama.agreement(lm.model, fast_llama.engine_for(lm), ids)
            exact = ExactEngine(lm)
            with torch.inference_mode():
                cache, _ = exact.start(ids[:8])
                began = time.perf_counter()
                for token in ids[8:16]:
                    exact.step(cache, [token])
            found = FastCheck(agreement, (time.perf_counter() - began) * 1000 / len(ids[8:16]))
            lm.extras[CHECK_KEY] = found
        return found


def weights_note(lm: LoadedModel, weights: str) -> str:
    """One sentence on which weights produced the numbers, with the measured gap for 4-bit."""
    if weights == FAST and weights_choice(lm, weights) == EXACT:
        return (f"**Weights:** the 4-bit engine is not used here ({fast_llama.unsupported_reason(lm)}), "
                f"so these numbers come from the model's own weights.")
    if weights == EXACT:
        return "**Weights:** 32-bit floats, the model's own forward: the same numbers transformers gives."
    check = fast_agreement(lm)
    a = check.agreement
    return (f"**Weights:** 4-bit (the groups of 32 the GGUF file ships). Measured on this machine at first use: "
            f"a 4-bit step took {a.step_ms:.0f} ms and a 32-bit step {check.exact_step_ms:.0f} ms; on a "
            f"{a.positions}-token text {a.sentence()}.")
