"""Turn a resolved catalog row into a loaded model. One function per kind of model.

Nothing here caches or locks: the hub does that. Each loader returns a `LoadedModel`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.config import Settings
from playground.models.catalog import Kind, ModelSpec
from playground.models.device import (
    Placement,
    module_memory_mb,
    quantization_config,
    torch_dtype,
)
from playground.models.sources import (
    CLIP_WEIGHT_NAMES,
    Resolution,
    converted_cache_dir,
)

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    key: str
    kind: Kind
    model: Any  # transformers model, SentenceTransformer, or open_clip CLIP
    tokenizer: Any
    placement: Placement
    source: str
    memory_mb: float
    load_seconds: float
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. CLIP's preprocess transform
    derived_mb: dict[str, float] = field(default_factory=dict)  # copies built from it later, e.g. 4-bit weights

    @property
    def device(self) -> str:
        return self.placement.device


class CacheNotWritable(RuntimeError):
    pass


# --- causal LMs -------------------------------------------------------------------------------


def _strip_gguf_marks(model) -> None:
    """A model dequantised from GGUF is plain fp32, but transformers still tags it as 'gguf
    quantised' and refuses to save it. The weights are ordinary tensors: drop the tag."""
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def gguf_in_memory(gguf: Path) -> tuple[Any, Any]:
    """Dequantise a GGUF file into an fp32 transformers model and its tokenizer (~25 s on CPU)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32, attn_implementation="eager"
    )
    _strip_gguf_marks(model)
    return model, tokenizer


def save_converted(model, tokenizer, gguf: Path, out_dir: Path) -> None:
    """Save a dequantised model as safetensors + tokenizer in `out_dir`, so later starts load
    in about a second. Written to a temporary sibling folder and renamed, so a crash never
    leaves half a cache. Raises CacheNotWritable when `out_dir` cannot be written."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "playground-source.json").write_text(
            json.dumps({"gguf": str(gguf), "size": gguf.stat().st_size}), encoding="utf-8"
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    except OSError as exc:
        raise CacheNotWritable(f"cannot write the converted model to {out_dir}: {exc}") from exc


def load_causal_lm(spec: ModelSpec, res: Resolution, placement: Placement, settings: Settings) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    start = time.perf_counter()
    source, location = res.source, res.path
    model = tokenizer = None
    if res.path is not None and res.path.suffix == ".gguf":
        model, tokenizer = gguf_in_memory(res.path)
        location = converted_cache_dir(spec, settings)
        try:
            save_converted(model, tokenizer, res.path, location)
            source = f"{res.source} (converted to safetensors)"
        except CacheNotWritable as exc:
            log.warning("%s; %s stays in memory only (every start converts again)", exc, spec.key)
            source, location = f"{res.source} (in memory only: cache folder not writable)", None
        if placement.quant is not None and location is None:
            # bitsandbytes quantises while loading from files; with none written, use bf16.
            placement = Placement(placement.device, "bfloat16", None)
        if placement.quant is None:
            model = model.to(placement.device, dtype=torch_dtype(placement.dtype))
        else:
            model = None  # reload from the cache below, quantised on the way in
    if model is None:
        target = str(location) if location is not None else spec.hub_id
        rev = {} if location is not None else {"revision": spec.revision}
        kwargs: dict[str, Any] = {"attn_implementation": "eager"}  # eager: attention weights visible
        qconf = quantization_config(placement)
        if qconf is not None:
            kwargs.update(quantization_config=qconf, device_map={"": placement.device})
        else:
            kwargs["dtype"] = torch_dtype(placement.dtype)
        tokenizer = tokenizer or AutoTokenizer.from_pretrained(target, **rev)
        model = AutoModelForCausalLM.from_pretrained(target, **rev, **kwargs)
        if qconf is None:
            model = model.to(placement.device)
    model.eval()
    memory = model.get_memory_footprint() / 1e6
    return LoadedModel(
        spec.key, spec.kind, model, tokenizer, placement, source, memory, time.perf_counter() - start
    )


# --- sentence encoders ------------------------------------------------------------------------


def load_sentence_encoder(spec: ModelSpec, res: Resolution, placement: Placement, settings: Settings) -> LoadedModel:
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    target = str(res.path) if res.path is not None else spec.hub_id
    kwargs = {} if res.path is not None else {"revision": spec.revision}
    model = SentenceTransformer(
        target,
        device=placement.device,
        model_kwargs={"attn_implementation": "eager"},  # eager: the attention lesson reads weights
        trust_remote_code=False,
        **kwargs,
    )
    model.eval()
    return LoadedModel(
        spec.key,
        spec.kind,
        model,
        model.tokenizer,
        placement,
        res.source,
        module_memory_mb(model),
        time.perf_counter() - start,
    )


# --- CLIP -------------------------------------------------------------------------------------


def clip_weights_file(path: Path) -> Path:
    """A weights file inside a local folder (or the file itself). Safetensors are preferred:
    they carry no code."""
    if path.is_file():
        return path
    for name in CLIP_WEIGHT_NAMES:
        if (path / name).is_file():
            return path / name
    for pattern in ("*.safetensors", "*.bin", "*.pt"):
        hits = sorted(path.glob(pattern))
        if hits:
            return hits[0]
    raise FileNotFoundError(f"no CLIP weights ({', '.join(CLIP_WEIGHT_NAMES)}) in {path}")


def load_clip(spec: ModelSpec, res: Resolution, placement: Placement, settings: Settings) -> LoadedModel:
    import open_clip

    start = time.perf_counter()
    arch = spec.open_clip_arch or "ViT-B-32"
    if res.path is not None:
        pretrained = str(clip_weights_file(res.path))
        model, _, preprocess = open_clip.create_model_and_transforms(
            arch, pretrained=pretrained, device=placement.device, **_openai_quirks(arch)
        )
    else:
        model, _, preprocess = open_clip.create_model_and_transforms(
            arch, pretrained="openai", device=placement.device
        )
    model.eval()
    tokenizer = open_clip.get_tokenizer(arch)
    return LoadedModel(
        spec.key,
        spec.kind,
        model,
        tokenizer,
        placement,
        res.source,
        module_memory_mb(model),
        time.perf_counter() - start,
        extras={"preprocess": preprocess, "arch": arch},
    )


def _openai_quirks(arch: str) -> dict:
    # OpenAI's CLIP weights were trained with QuickGELU and its own mean/std; a bare file path
    # does not tell open_clip that, so say it here (what pretrained="openai" would set).
    import open_clip

    cfg = open_clip.get_pretrained_cfg(arch, "openai") or {}
    out: dict = {}
    if cfg.get("quick_gelu"):
        out["force_quick_gelu"] = True
    if cfg.get("mean"):
        out["image_mean"] = cfg["mean"]
        out["image_std"] = cfg["std"]
    return out


LOADERS = {
    Kind.CAUSAL_LM: load_causal_lm,
    Kind.SENTENCE_ENCODER: load_sentence_encoder,
    Kind.CLIP: load_clip,
}
