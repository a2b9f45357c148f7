"""Where a training worker loads its own copy of the base model from.

The hub's shared model is never trained: a worker process loads a private copy from the same
files (the converted safetensors cache for SmolLM2 reloads in well under a second), and the
process's exit frees it. The parent decides the files once, with the hub, and hands the worker
a `BaseSource`, which pickles across the process boundary.

The copy is 32-bit (LoRA) or 4-bit NF4 through bitsandbytes (QLoRA: the frozen weights stored in
4 bits, the adapter trained in 32-bit). bitsandbytes runs NF4 on a CPU too, so the QLoRA path is
the same code on a laptop and on a GPU; on a GPU it is the default, as it is how big models fit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.models import ModelHub
from playground.models.sources import converted_cache_dir, converted_cache_ready


@dataclass(frozen=True)
class BaseSource:
    key: str
    target: str  # a folder with config.json and safetensors, or a hub id
    revision: str | None = None  # for a hub id only
    gguf: str | None = None  # a GGUF file to dequantise when no converted cache could be written


def base_source(hub: ModelHub, key: str) -> BaseSource:
    """The files the hub loads `key` from. A GGUF wheel is converted (once, by the hub) first, so
    the worker reads the converted cache instead of dequantising for half a minute."""
    spec = hub.spec(key)
    res = hub.resolve(key)
    if res.path is not None and res.path.suffix == ".gguf":
        hub.get(key)  # converts and writes the cache
        if converted_cache_ready(spec, hub.settings):
            return BaseSource(key, str(converted_cache_dir(spec, hub.settings)))
        return BaseSource(key, str(res.path.parent), gguf=res.path.name)
    if res.path is not None:
        return BaseSource(key, str(res.path))
    return BaseSource(key, spec.hub_id, revision=spec.revision)


FP32, NF4 = "32-bit", "4-bit NF4"
BASE_WEIGHTS = (FP32, NF4)


def training_device() -> str:
    from playground.models.device import cuda_available

    return "cuda" if cuda_available() else "cpu"


def default_base_weights() -> str:
    """QLoRA on a GPU with bitsandbytes; plain LoRA on a 32-bit base elsewhere (on a CPU NF4 saves
    memory but each step unpacks the weights, so it is a little slower: the learner may pick it)."""
    from playground.models.device import bitsandbytes_available

    return NF4 if training_device() == "cuda" and bitsandbytes_available() else FP32


def nf4_unavailable_reason(source: BaseSource) -> str | None:
    """Why a 4-bit base cannot be loaded here, or None."""
    from playground.models.device import bitsandbytes_available

    if not bitsandbytes_available():
        return "bitsandbytes is not installed, so the base cannot be stored in 4 bits"
    if source.gguf:
        return "the 4-bit base is quantised while loading from safetensors, and only a GGUF file is here"
    return None


def load_base(source: BaseSource, attn_implementation: str = "sdpa", weights: str = FP32,
              device: str = "cpu") -> tuple[Any, Any, float]:
    """(model, tokenizer, seconds). Runs inside the worker. sdpa attention, not the hub's eager:
    the lab needs no attention weights, and sdpa trains faster. `weights` NF4 stores every linear
    layer in 4 bits as bitsandbytes' NF4 (computing in bf16 on a GPU, float32 on a CPU)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    if weights not in BASE_WEIGHTS:
        raise ValueError(f"base weights must be one of {BASE_WEIGHTS}")
    if source.gguf:
        if weights == NF4:
            raise ValueError(nf4_unavailable_reason(source))
        from playground.models.loaders import gguf_in_memory

        model, tokenizer = gguf_in_memory(Path(source.target) / source.gguf)
        return model.to(device), tokenizer, time.perf_counter() - start
    rev = {"revision": source.revision} if source.revision else {}
    tokenizer = AutoTokenizer.from_pretrained(source.target, **rev)
    kwargs: dict[str, Any] = {"attn_implementation": attn_implementation, **rev}
    if weights == NF4:
        from transformers import BitsAndBytesConfig

        compute = torch.bfloat16 if device == "cuda" else torch.float32
        kwargs.update(quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                             bnb_4bit_compute_dtype=compute),
                      device_map={"": device})
        model = AutoModelForCausalLM.from_pretrained(source.target, **kwargs)
        # On a CPU with AVX512-BF16, bitsandbytes repacks a 4-bit weight for faster inference the first
        # time it runs in eval mode, for good, and the repacked kernel has no backward: a run that
        # evaluates at step 0 would then train on wrong gradients. Keep the layout that trains.
        for module in model.modules():
            if hasattr(module, "support_avx512bf16_for_cpu"):
                module.support_avx512bf16_for_cpu = False
    else:
        model = AutoModelForCausalLM.from_pretrained(source.target, dtype=torch.float32, **kwargs).to(device)
    return model, tokenizer, time.perf_counter() - start
