"""A tiny, randomly initialised open_clip model with ViT-B-32's preprocessing and tokenizer.

The real weights do not ship with the playground, so the tests and the benchmark run the CLIP
pipeline end to end on this stand-in: same code paths (open_clip's CLIP class, its tokenizer, its
eval transform with OpenAI's mean and std), a few thousand times fewer weights, meaningless
answers. It is never shown to a learner.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

TINY_NAME = "playground-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 32, "patch_size": 32, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


def register_tiny_config() -> str:
    """Make open_clip's factory know the tiny architecture by name (idempotent)."""
    import open_clip

    if TINY_NAME not in open_clip.list_models():
        folder = Path(tempfile.mkdtemp(prefix="tiny-clip-config-"))
        (folder / f"{TINY_NAME}.json").write_text(json.dumps(TINY_CONFIG), encoding="utf-8")
        open_clip.add_model_config(folder / f"{TINY_NAME}.json")
    return TINY_NAME


def tiny_clip(seed: int = 0):
    """A LoadedModel like hub.get("clip-vit-b-32") returns, with random tiny weights."""
    import open_clip
    import torch

    from playground.models.catalog import CATALOG
    from playground.models.device import Placement
    from playground.models.loaders import LoadedModel

    name = register_tiny_config()
    torch.manual_seed(seed)
    model, _, preprocess = open_clip.create_model_and_transforms(
        name, image_mean=open_clip.OPENAI_DATASET_MEAN, image_std=open_clip.OPENAI_DATASET_STD
    )
    model.eval()
    spec = CATALOG["clip-vit-b-32"]
    return LoadedModel(
        key=spec.key,
        kind=spec.kind,
        model=model,
        tokenizer=open_clip.get_tokenizer("ViT-B-32"),
        placement=Placement(device="cpu", dtype="float32", quant=None),
        source="tiny random model (tests)",
        memory_mb=sum(p.numel() * p.element_size() for p in model.parameters()) / 2**20,
        load_seconds=0.0,
        extras={"preprocess": preprocess, "arch": name},
    )
