"""Where a training worker loads its own copy of the base model from.

The hub's shared model is never trained: a worker process loads a private copy from the same
files (the converted safetensors cache for SmolLM2 reloads in well under a second), and the
process's exit frees it. The parent decides the files once, with the hub, and hands the worker
a `BaseSource`, which pickles across the process boundary.
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


def load_base(source: BaseSource, attn_implementation: str = "sdpa") -> tuple[Any, Any, float]:
    """(model in float32 on the CPU, tokenizer, seconds). Runs inside the worker. sdpa attention,
    not the hub's eager: the lab needs no attention weights, and sdpa trains faster."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    if source.gguf:
        from playground.models.loaders import gguf_in_memory

        model, tokenizer = gguf_in_memory(Path(source.target) / source.gguf)
        return model, tokenizer, time.perf_counter() - start
    rev = {"revision": source.revision} if source.revision else {}
    tokenizer = AutoTokenizer.from_pretrained(source.target, **rev)
    model = AutoModelForCausalLM.from_pretrained(source.target, dtype=torch.float32,
                                                 attn_implementation=attn_implementation, **rev)
    return model, tokenizer, time.perf_counter() - start
