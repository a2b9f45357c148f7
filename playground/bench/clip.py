"""CLIP tab: our preprocessing and zero-shot pipeline against open_clip's own calls.

Without the real ViT-B-32 weights this measures what can be measured honestly: our readable
preprocessing against open_clip's transform (it is independent of the weights), and the
pipeline's overhead against bare open_clip calls on a tiny random model with the same code
paths. With the weights present, the real model is measured too.
"""

from __future__ import annotations

import torch
from PIL import Image

from playground.bench import Measurement, timed
from playground.lessons.clip.samples import sample_path
from playground.lessons.clip.weights import KEY
from playground.lessons.clip.zero_shot import (
    DEFAULT_TEMPLATE,
    clip_ensemble_templates,
    label_embeddings,
    prepare_image,
    preprocess,
    spec_from_transform,
    zero_shot,
)
from playground.testing.tiny_clip import tiny_clip

SAMPLES = ("cat", "coffee", "rocket", "astronaut", "moon", "horse", "hubble deep field", "retina")
LABELS = ["cat", "dog", "cup of coffee", "rocket", "astronaut", "horse", "moon", "motorcycle", "galaxy", "clock"]


def _pipeline_pair(loaded, labels, repeat):
    """(ours, bare) seconds for one image against `labels`, both starting from the file."""
    model, tok, pre = loaded.model, loaded.tokenizer, loaded.extras["preprocess"]
    spec = spec_from_transform(pre)
    path = sample_path("cat")
    prompts = [DEFAULT_TEMPLATE.replace("{}", label) for label in labels]
    device = next(model.parameters()).device

    def ours():
        zero_shot(model, tok, spec, prepare_image(path), labels, [DEFAULT_TEMPLATE])

    def bare():
        with torch.no_grad():
            img = pre(Image.open(path).convert("RGB")).unsqueeze(0).to(device)
            f_img, f_txt, scale = model(img, tok(prompts).to(device))
            (scale * f_img @ f_txt.T).softmax(dim=-1).cpu()

    return timed(ours, repeat=repeat, warmup=1), timed(bare, repeat=repeat, warmup=1)


def measure(hub) -> list[Measurement]:
    out: list[Measurement] = []
    tiny = tiny_clip(seed=0)
    pre = tiny.extras["preprocess"]
    spec = spec_from_transform(pre)
    paths = [sample_path(n) for n in SAMPLES]

    def ours_pre():
        for p in paths:
            preprocess(prepare_image(p).image, spec)

    def bare_pre():
        for p in paths:
            pre(Image.open(p).convert("RGB"))

    out.append(Measurement(
        "clip", f"preprocess {len(paths)} sample photos", timed(ours_pre, repeat=5, warmup=1),
        timed(bare_pre, repeat=5, warmup=1), "open_clip eval transform (Resize, CenterCrop, Normalize)",
        target="ratio ≈ 1", note="identical pixels (tests assert it); ours also converts modes and checks the file",
    ))

    ours_s, bare_s = _pipeline_pair(tiny, LABELS, repeat=5)
    out.append(Measurement(
        "clip", f"zero-shot, 1 image × {len(LABELS)} labels (tiny model)", ours_s, bare_s,
        "open_clip model(image, text) + softmax", target="ratio ≈ 1",
        note="tiny random model: overhead only; the real-model figure needs the ViT-B-32 weights",
    ))

    templates = clip_ensemble_templates()
    from open_clip.zero_shot_classifier import build_zero_shot_classifier

    out.append(Measurement(
        "clip", f"template ensemble, {len(LABELS)} labels × {len(templates)} (tiny)",
        timed(lambda: label_embeddings(tiny.model, tiny.tokenizer, LABELS, templates), repeat=5, warmup=1),
        timed(lambda: build_zero_shot_classifier(tiny.model, tiny.tokenizer, LABELS, templates,
                                                 num_classes_per_batch=None), repeat=5, warmup=1),
        "open_clip build_zero_shot_classifier", target="ratio ≈ 1", note="tiny random model",
    ))

    res = hub.resolve(KEY)
    if res.available:
        loaded = hub.get(KEY)
        ours_s, bare_s = _pipeline_pair(loaded, LABELS, repeat=3)
        out.append(Measurement(
            "clip", f"zero-shot, 1 image × {len(LABELS)} labels (ViT-B-32)", ours_s, bare_s,
            "open_clip model(image, text) + softmax", target="ratio ≈ 1", note=f"real weights from {res.source}",
        ))
    else:
        print(f"  clip: the real ViT-B-32 figure needs the weights ({res.fix})")
    return out
