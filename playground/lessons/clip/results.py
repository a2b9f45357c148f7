"""The CLIP tab's three computations, each returning one result the views draw from.

classify -> Classification (one image against the learner's labels), similarity ->
SimilarityMatrix (several images × several captions), search -> SearchResult (the sample photos
ranked by one sentence). Each result's `as_json()` is what its endpoint returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image

from playground.checks import UserInputError, check_text
from playground.lessons.clip.samples import SAMPLES, SampleEmbeddings, preprocess_spec, sample_path
from playground.lessons.clip.weights import KEY
from playground.lessons.clip.zero_shot import (
    ZeroShot,
    encode_texts,
    image_embeddings,
    logit_scale,
    model_view,
    parse_labels,
    parse_templates,
    prepare_image,
    rank,
    zero_shot,
)
from playground.models import ModelHub

MAX_MATRIX_IMAGES = 16
MAX_CAPTIONS = 20

Progress = Callable[..., Any]  # gr.Progress, or anything called as progress(fraction, desc=...)


# --- classification ---------------------------------------------------------------------------


@dataclass
class Classification:
    """One image classified among the learner's labels, with what the learner should see of it."""

    zero_shot: ZeroShot  # labels, probabilities, cosines, logit scale, templates used
    view: Image.Image  # the 224×224 crop the model saw
    original: str  # the upload as it came, e.g. "1024×768 RGBA"
    notices: list[str]  # what was dropped, cut or converted on the way

    def as_json(self) -> dict:
        """Exactly the shape the clip_classify API returns."""
        return self.zero_shot.as_json()


def classify(hub: ModelHub, image: Any, labels: object, template: object,
             progress: Progress | None = None) -> Classification:
    loaded = hub.get(KEY)  # without weights: ModelUnavailable naming the fix, and nothing is loaded
    label_list, label_notices = parse_labels(labels)
    templates, template_notices = parse_templates(template)
    prepared = prepare_image(image)
    spec = preprocess_spec(loaded.extras["preprocess"])
    if progress:
        progress(0.1, desc="Encoding the image and the captions")

    def on_batch(done: int, total: int) -> None:
        if progress:
            progress(0.1 + 0.9 * done / total, desc=f"Encoded {done} of {total} captions")

    result = zero_shot(loaded.model, loaded.tokenizer, spec, prepared, label_list, templates, on_batch)
    return Classification(
        zero_shot=result,
        view=model_view(prepared.image, spec),
        original=f"{prepared.original_size[0]}×{prepared.original_size[1]} {prepared.original_mode}",
        notices=label_notices + template_notices + result.notices,
    )


# --- several images × several captions --------------------------------------------------------


@dataclass
class SimilarityMatrix:
    images: list[str]  # row names: sample names, then uploaded file names
    captions: list[str]  # column names
    similarities: np.ndarray  # cosine of each image (row) with each caption (column)
    logit_scale: float
    notices: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "images": list(self.images),
            "captions": list(self.captions),
            "similarities": self.similarities.round(6).tolist(),
            "logit_scale": float(self.logit_scale),
            "notices": list(self.notices),
        }


def collect_images(samples: list[str] | None, uploads: list | None) -> tuple[list[str], list[Image.Image], list[str]]:
    """(names, RGB images, notices) from chosen samples and uploaded files."""
    names, images, notices = [], [], []
    for name in samples or []:
        names.append(name)
        images.append(prepare_image(sample_path(name)).image)
    for item in uploads or []:
        path = getattr(item, "name", None) or (item.get("path") if isinstance(item, dict) else item)
        prepared = prepare_image(path)
        names.append(Path(str(path)).name)
        images.append(prepared.image)
        notices += [f"{Path(str(path)).name}: {n}" for n in prepared.notices]
    if not images:
        raise UserInputError("Choose at least one sample photo or upload an image.")
    if len(images) > MAX_MATRIX_IMAGES:
        raise UserInputError(f"That is {len(images)} images; the matrix takes at most {MAX_MATRIX_IMAGES}.")
    return names, images, notices


def parse_captions(text: object) -> list[str]:
    text, _ = check_text(text, max_chars=MAX_CAPTIONS * 300, what="list of captions")
    captions = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if len(captions) > MAX_CAPTIONS:
        raise UserInputError(f"That is {len(captions)} captions; the matrix takes at most {MAX_CAPTIONS}, one per line.")
    return captions


def similarity(hub: ModelHub, samples: list[str] | None, uploads: list | None, captions: object,
               cache: SampleEmbeddings) -> SimilarityMatrix:
    loaded = hub.get(KEY)
    caption_list = parse_captions(captions)
    names, images, notices = collect_images(samples, uploads)
    chosen = list(samples or [])
    parts = []
    if chosen:
        parts.append(cache.get(loaded, chosen))  # sample photos: embedded once per model
    if len(images) > len(chosen):
        parts.append(image_embeddings(loaded.model, preprocess_spec(loaded.extras["preprocess"]), images[len(chosen):]))
    txt = encode_texts(loaded.model, loaded.tokenizer, caption_list)
    sims = (torch.cat(parts) @ txt.T).double().numpy()
    return SimilarityMatrix(names, caption_list, sims, logit_scale(loaded.model), notices)


# --- search -----------------------------------------------------------------------------------


@dataclass
class SearchResult:
    query: str
    images: list[str]  # sample names, most similar first
    similarities: list[float]  # their cosines with the query, in the same order

    def as_json(self) -> dict:
        return {"query": self.query, "images": list(self.images), "similarities": list(self.similarities)}


def search(hub: ModelHub, query: object, cache: SampleEmbeddings) -> SearchResult:
    loaded = hub.get(KEY)
    query, _ = check_text(query, max_chars=300, what="search query")
    names = list(SAMPLES)
    img = cache.get(loaded, names)
    txt = encode_texts(loaded.model, loaded.tokenizer, [query])[0]
    sims = (img @ txt).double().tolist()
    order = rank(sims)
    return SearchResult(query, [names[i] for i in order], [round(sims[i], 6) for i in order])
