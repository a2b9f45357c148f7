"""Device and quantisation policy: which device, dtype and bitsandbytes setting a model gets.

CUDA when present: causal LMs in 4-bit NF4 by default (PLAYGROUND_QUANT: 4bit, 8bit, bf16,
none), other models in fp32 (they are small, and the lessons show their numbers).
CPU otherwise: everything in fp32, the only dtype whose numbers match the references to 1e-5.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from playground.config import Settings
from playground.models.catalog import Kind, ModelSpec


@dataclass(frozen=True)
class Placement:
    device: str  # "cpu" or "cuda"
    dtype: str  # "float32", "bfloat16"
    quant: str | None  # "nf4", "int8" or None

    def describe(self) -> str:
        return f"{self.device} {self.quant or self.dtype}"


@functools.lru_cache(maxsize=1)
def cuda_available() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # a broken CUDA install must not stop the CPU path
        return False


def bitsandbytes_available() -> bool:
    try:
        import bitsandbytes  # noqa: F401

        return True
    except Exception:
        return False


def placement_for(spec: ModelSpec, settings: Settings) -> Placement:
    device = settings.device or ("cuda" if cuda_available() else "cpu")
    if device != "cuda":
        return Placement("cpu", "float32", None)
    if spec.kind is Kind.CAUSAL_LM and spec.quantize_on_cuda:
        if settings.quant in ("4bit", "8bit") and bitsandbytes_available():
            return Placement("cuda", "bfloat16", "nf4" if settings.quant == "4bit" else "int8")
        if settings.quant in ("4bit", "8bit", "bf16"):
            return Placement("cuda", "bfloat16", None)
    return Placement("cuda", "float32", None)


def quantization_config(placement: Placement):
    """transformers' BitsAndBytesConfig for a placement, or None."""
    if placement.quant is None:
        return None
    import torch
    from transformers import BitsAndBytesConfig

    if placement.quant == "nf4":
        return BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def torch_dtype(name: str):
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[name]


def module_memory_mb(module) -> float:
    """Bytes held by a torch module's parameters and buffers, in MB (1e6 bytes)."""
    total = 0
    for t in list(module.parameters()) + list(module.buffers()):
        total += t.numel() * t.element_size()
    return total / 1e6
