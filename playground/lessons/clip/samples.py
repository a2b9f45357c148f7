"""The sample photos the CLIP tab works on offline, and their embeddings, computed once per model.

The photos ship inside scikit-image; they are copied to the temp folder because Gradio serves
files only from there (or from folders the app names).
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from playground.checks import UserInputError
from playground.lessons.clip.zero_shot import PreprocessSpec, image_embeddings, prepare_image, spec_from_transform
from playground.lru import BoundedLRU

# name -> (file inside skimage/data, what it shows)
SAMPLES: dict[str, tuple[str, str]] = {
    "cat": ("chelsea.png", "Chelsea, a tabby cat"),
    "coffee": ("coffee.png", "a cup of coffee on a saucer"),
    "rocket": ("rocket.jpg", "a rocket on its launch pad"),
    "astronaut": ("astronaut.png", "astronaut Eileen Collins in her flight suit"),
    "motorcycle": ("motorcycle_left.png", "a motorcycle in a workshop"),
    "horse": ("horse.png", "a horse silhouette with transparency (RGBA)"),
    "camera": ("camera.png", "a man with a camera on a tripod (grayscale)"),
    "moon": ("moon.png", "the surface of the moon (grayscale)"),
    "coins": ("coins.png", "old coins on a table (grayscale)"),
    "clock": ("clock_motion.png", "a motion-blurred wall clock (grayscale)"),
    "hubble deep field": ("hubble_deep_field.jpg", "thousands of galaxies seen by Hubble"),
    "immunohistochemistry": ("ihc.png", "a stained tissue sample under a microscope"),
    "retina": ("retina.jpg", "a photo of the back of a human eye"),
    "page": ("page.png", "a scanned page of printed text (grayscale)"),
    "logo": ("logo.png", "the scikit-image logo (RGBA)"),
}


@functools.lru_cache(maxsize=1)
def samples_dir() -> Path:
    """Copies of the sample photos in the temp folder, where Gradio may serve them from."""
    import skimage.data

    src = Path(skimage.data.__file__).parent
    out = Path(tempfile.mkdtemp(prefix="playground-clip-samples-"))
    for name, (file, _) in SAMPLES.items():
        shutil.copyfile(src / file, out / f"{name.replace(' ', '_')}{Path(file).suffix}")
    return out


def sample_path(name: str) -> str:
    if name not in SAMPLES:
        raise UserInputError(f"There is no sample called '{name}'. Pick one of: {', '.join(SAMPLES)}.")
    return str(samples_dir() / f"{name.replace(' ', '_')}{Path(SAMPLES[name][0]).suffix}")


@functools.lru_cache(maxsize=4)
def preprocess_spec(preprocess: Any) -> PreprocessSpec:
    """The numbers of a loaded model's eval transform (read once per model)."""
    return spec_from_transform(preprocess)


class SampleEmbeddings:
    """Unit image embeddings of the sample photos, computed once per model: the similarity matrix
    and the search both reuse them, so a search after the first costs one text encoding."""

    def __init__(self) -> None:
        # every sample for the real model and for a stand-in or two (one 512-d vector each)
        self._cache: BoundedLRU[torch.Tensor] = BoundedLRU(max_entries=4 * len(SAMPLES))

    def get(self, loaded: Any, names: list[str]) -> torch.Tensor:
        """The embeddings of `names` (n × d), in that order."""
        model, spec = loaded.model, preprocess_spec(loaded.extras["preprocess"])
        # keyed by the model object: the hub loads each model once per process and keeps it
        found = {n: self._cache.get((id(model), n)) for n in dict.fromkeys(names)}
        missing = [n for n, emb in found.items() if emb is None]
        if missing:
            images = [prepare_image(sample_path(n)).image for n in missing]
            for n, emb in zip(missing, image_embeddings(model, spec, images)):
                found[n] = emb
                self._cache.put((id(model), n), emb)
        return torch.stack([found[n] for n in names])
