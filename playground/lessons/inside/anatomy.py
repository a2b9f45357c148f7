"""Where a model's parameters sit: its real module tree, counted.

Every parameter tensor belongs to exactly one module (`q_proj`, `embed_tokens`, a norm ...), so
grouping the unique tensors by their owning module partitions the model: the parts add up to the
model's own count. Tied tensors (SmolLM2's output layer is its token-embedding matrix) appear once
in `named_parameters()`, which is what a count should do; `tied_names` says which names share one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# which job a module does, from the last part of its name (Llama and BERT spellings)
ROLES = (
    (r"(embed_tokens|word_embeddings|wte)$", "Token embeddings"),
    (r"(position_embeddings|wpe)$", "Position embeddings"),
    (r"token_type_embeddings$", "Token-type embeddings"),
    (r"(q_proj|attention\.self\.query)$", "Attention: q"),
    (r"(k_proj|attention\.self\.key)$", "Attention: k"),
    (r"(v_proj|attention\.self\.value)$", "Attention: v"),
    (r"(o_proj|attention\.output\.dense)$", "Attention: o"),
    (r"gate_proj$", "MLP: gate"),
    (r"(up_proj|intermediate\.dense)$", "MLP: up"),
    (r"(down_proj|(?<!attention\.)output\.dense)$", "MLP: down"),
    (r"(norm|layernorm|LayerNorm|ln_\w+)$", "Norms"),
    (r"lm_head$", "Output layer"),
    (r"pooler\.dense$", "Pooler"),
)
LAYER = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks)\.(\d+)\.")
BYTES_PER_WEIGHT = {"fp32": 4.0, "bf16": 2.0, "int8": 1.0, "4-bit": 0.5}


def role_of(module_name: str) -> str:
    for pattern, role in ROLES:
        if re.search(pattern, module_name):
            return role
    return "Other"


def layer_of(module_name: str) -> int | None:
    m = LAYER.search(module_name + ".")
    return int(m.group(1)) if m else None


@dataclass
class Part:
    name: str  # the owning module's path, e.g. model.layers.0.self_attn.q_proj
    params: int
    role: str
    layer: int | None
    linear: bool  # a torch.nn.Linear (what bitsandbytes quantises)
    shapes: list[tuple[int, ...]] = field(default_factory=list)


@dataclass
class Anatomy:
    key: str
    total: int  # the sum of the parts
    own_count: int  # the model's own count of its unique parameters
    parts: list[Part]
    tied_names: list[list[str]]  # parameter names that share one tensor
    config: dict[str, Any]

    def by_role(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.parts:
            out[p.role] = out.get(p.role, 0) + p.params
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def n_layers(self) -> int:
        layers = [p.layer for p in self.parts if p.layer is not None]
        return max(layers) + 1 if layers else 0

    def linear_params(self) -> int:
        """Parameters in linear layers inside the blocks: what int8 / 4-bit loading quantises (the
        embeddings, norms and a tied output layer stay in 16 or 32 bits)."""
        return sum(p.params for p in self.parts if p.linear and p.layer is not None)

    def memory_mb(self) -> dict[str, tuple[float, float]]:
        """Per format: (every weight at that width, only the block linears at that width and the
        rest in 32-bit), in MB, from the counts alone."""
        lin = self.linear_params()
        return {fmt: (self.total * b / 1e6, (lin * b + (self.total - lin) * 4) / 1e6)
                for fmt, b in BYTES_PER_WEIGHT.items()}

    def as_json(self) -> dict:
        return {"total": self.total, "parts": [{"name": p.name, "params": p.params} for p in self.parts]}


def config_summary(module: Any) -> dict[str, Any]:
    cfg = getattr(module, "config", None)
    if cfg is None and hasattr(module, "__getitem__"):  # SentenceTransformer: its BERT's config
        try:
            cfg = module[0].auto_model.config
        except Exception:
            cfg = None
    if cfg is None:
        return {}
    names = ("model_type", "num_hidden_layers", "hidden_size", "intermediate_size", "num_attention_heads",
             "num_key_value_heads", "vocab_size", "max_position_embeddings", "tie_word_embeddings")
    return {n: getattr(cfg, n) for n in names if getattr(cfg, n, None) is not None}


def count(key: str, module: Any) -> Anatomy:
    """The parts of `module` (a torch module), one per module that owns parameters, in tree order."""
    import torch

    linear = {name for name, m in module.named_modules() if isinstance(m, torch.nn.Linear)}
    parts: dict[str, Part] = {}
    for name, p in module.named_parameters():  # unique tensors only: a tied one is listed once
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        part = parts.get(owner)
        if part is None:
            part = parts[owner] = Part(owner or "(root)", 0, role_of(owner), layer_of(owner), owner in linear)
        part.params += p.numel()
        part.shapes.append(tuple(p.shape))
    shared: dict[int, list[str]] = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        shared.setdefault(id(p), []).append(name)
    tied = [names for names in shared.values() if len(names) > 1]
    own = module.num_parameters() if hasattr(module, "num_parameters") else sum(p.numel() for p in module.parameters())
    ordered = list(parts.values())
    return Anatomy(key, sum(p.params for p in ordered), int(own), ordered, tied, config_summary(module))
