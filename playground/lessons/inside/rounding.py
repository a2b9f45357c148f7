"""How many bits are enough: simulated round-to-nearest quantization of the weights.

Every block's linear weight is cut into groups of `group` inputs; each group keeps its min and max
and rounds every weight to the nearest of 2^bits evenly spaced levels between them (Q4_1's recipe
at 4 bits, any width here). The rounded weights replace the real ones for one forward through
`torch.func.functional_call`, so the hub's model is never touched, and the next-token KL and top-1
agreement against the unrounded model show where quality collapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from playground.lessons.inside.quantize import kl_and_agreement
from playground.lru import BoundedLRU

CURVE_BITS = (8, 6, 4, 3, 2)
GROUPS = (32, 64, 128, 0)  # 0: one group per row (the whole input dimension)
# the fixed text set the curve is measured on: plain English, a list, code
TEXTS = (
    "The best thing about rainy days is the sound on the roof. I like cats because they are calm, and my "
    "favourite fruit is a ripe pear. Write a short poem about the sea: waves fold over the sand.",
    "To make a cup of tea, boil fresh water, warm the pot, add one spoon of leaves per person and let it "
    "stand for four minutes before you pour.",
    "def mean(values):\n    total = sum(values)\n    return total / len(values)\n",
)


def fake_quantize(w: torch.Tensor, bits: int, group: int) -> torch.Tensor:
    """w rounded to 2^bits levels per group of `group` consecutive inputs (0: the whole row)."""
    n, k = w.shape
    g = k if group in (0, None) or k % group else group
    x = w.float().reshape(n, k // g, g)
    lo, hi = x.amin(-1, keepdim=True), x.amax(-1, keepdim=True)
    step = (hi - lo) / (2 ** bits - 1)
    step = torch.where(step > 0, step, torch.ones_like(step))
    q = torch.clamp(torch.round((x - lo) / step), 0, 2 ** bits - 1)
    return (q * step + lo).reshape(n, k).to(w.dtype)


def stored_bits(bits: int, group: int, k: int) -> float:
    """Bits per weight with each group's min and step kept in 16 bits each."""
    g = k if group in (0, None) else group
    return bits + 32 / g


def block_linears(model: Any) -> dict[str, torch.Tensor]:
    """The blocks' linear weights by parameter name (embeddings, norms and the output layer stay)."""
    return {name: p for name, p in model.named_parameters() if ".layers." in name and p.dim() == 2}


@dataclass
class CurvePoint:
    bits: int
    group: int
    stored_bits: float
    kl: float
    top1_agreement: float
    positions: int


CURVES: BoundedLRU[list[CurvePoint]] = BoundedLRU(8)


def curve(model: Any, tokenizer: Any, group: int, bits: tuple[int, ...] = CURVE_BITS,
          on_point: Callable[[int, int], None] | None = None, cache_key: Any = None) -> list[CurvePoint]:
    """KL and top-1 agreement against the unrounded model over TEXTS, at each width in `bits`."""
    def run() -> list[CurvePoint]:
        ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in TEXTS]
        weights = block_linears(model)
        k = next(iter(weights.values())).shape[1]
        with torch.inference_mode():
            ref = torch.cat([model(torch.tensor([i], device=model.device), use_cache=False).logits[0].float().cpu()
                             for i in ids])
            points = []
            for n, b in enumerate(bits):
                rounded = {name: fake_quantize(w, b, group) for name, w in weights.items()}
                got = torch.cat([torch.func.functional_call(model, rounded, args=(), kwargs={
                    "input_ids": torch.tensor([i], device=model.device), "use_cache": False}).logits[0].float().cpu()
                    for i in ids])
                del rounded
                kl, top1 = kl_and_agreement(ref, got)
                points.append(CurvePoint(b, group, stored_bits(b, group, k), kl, top1, int(ref.shape[0])))
                if on_point is not None:
                    on_point(n + 1, len(bits))
        return points

    return run() if cache_key is None else CURVES.get_or_compute((cache_key, group, tuple(bits)), run)
