"""The maths of CLIP's zero-shot classification, as plain functions the CLIP tab and its tests share.

An image and a caption each become one vector; both vectors are scaled to length 1, so their dot
product is the cosine of the angle between them. Classifying an image with no training is: write
each class as a caption ("a photo of a {label}"), compute the cosine with every caption, multiply
by the model's learned logit scale (about 100 for OpenAI's weights), and take a softmax.

Every function takes the model, tokenizer and preprocessing it needs as arguments, so the tests can
run the whole pipeline on a tiny randomly initialised open_clip model built from a config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from playground.checks import UserInputError, check_text

MAX_SIDE = 2048  # images longer than this on either side are downscaled before preprocessing
MAX_LABELS = 100  # more labels than this: the first MAX_LABELS are kept, with a notice
MAX_TEMPLATES = 10  # prompt templates per request (each label is encoded once per template)
MAX_PROMPTS = 300  # labels x templates: each prompt is one pass of the text encoder
MAX_LABEL_CHARS = 200
TEXT_BATCH = 64

DEFAULT_TEMPLATE = "a photo of a {}."


def clip_ensemble_templates() -> list[str]:
    """The 7 prompt templates OpenAI's CLIP notebook picked for ImageNet, as open_clip ships them."""
    from open_clip.zero_shot_metadata import SIMPLE_IMAGENET_TEMPLATES

    return [t("{}") for t in SIMPLE_IMAGENET_TEMPLATES]


# --- images -----------------------------------------------------------------------------------


@dataclass
class PreparedImage:
    """An image as RGB, with what was done to it on the way and why."""

    image: Image.Image
    original_mode: str
    original_size: tuple[int, int]
    notices: list[str] = field(default_factory=list)


def open_image(source: str | Path) -> Image.Image:
    """Open an image file, or say in a sentence why it is not one."""
    try:
        img = Image.open(source)
        img.load()  # decode now, so a truncated or bogus file fails here and not later
    except Image.DecompressionBombError:
        raise UserInputError(
            f"That image has more pixels than this app decodes (over {Image.MAX_IMAGE_PIXELS:,}). "
            "Resize it to a few thousand pixels a side and upload it again."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        name = Path(str(source)).name
        raise UserInputError(
            f"'{name}' is not an image this app can read. Upload a PNG, JPEG, WebP, GIF or BMP picture."
        ) from None
    return img


def prepare_image(source: Any, max_side: int = MAX_SIDE) -> PreparedImage:
    """Any image (path, PIL image or array; grayscale, palette, RGBA, huge) -> an RGB PIL image.

    CLIP was trained on RGB photos, so every other mode is converted and the learner is told.
    Transparent pixels are laid on white, as a page would show them (open_clip's own transform
    simply drops the alpha channel, which turns a transparent background into whatever colour
    the hidden pixels happen to hold).
    """
    if source is None:
        raise UserInputError("Please choose an image: upload one, use the webcam, or pick a sample photo.")
    if isinstance(source, Image.Image):
        img = source
    elif isinstance(source, np.ndarray):
        img = _array_to_image(source)
    elif isinstance(source, (str, Path)):
        img = open_image(source)
    else:
        raise UserInputError(f"Expected an image, got {type(source).__name__}.")

    notices: list[str] = []
    original_mode, original_size = img.mode, img.size
    if getattr(img, "n_frames", 1) > 1:
        img = next(iter(ImageSequence.Iterator(img))).copy()
        notices.append("The image is animated; only its first frame is used.")
    if img.getexif().get(0x0112, 1) != 1:  # EXIF orientation: phone photos are often stored sideways
        img = ImageOps.exif_transpose(img)
        notices.append("The photo was turned upright as its EXIF orientation tag asks.")
    if min(img.size) < 1:
        raise UserInputError("The image is empty (zero pixels wide or high).")

    if max(img.size) > max_side:
        before = img.size
        img = img.copy()
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        notices.append(
            f"The image was {before[0]}×{before[1]} pixels; it was downscaled to {img.size[0]}×{img.size[1]} "
            "first to save time and memory. CLIP only sees a 224×224 crop, so this barely changes its input."
        )

    img, note = to_rgb(img)
    if note:
        notices.append(note)
    return PreparedImage(img, original_mode, original_size, notices)


def _array_to_image(arr: np.ndarray) -> Image.Image:
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise UserInputError(f"An image array must be H×W, H×W×3 or H×W×4; got shape {arr.shape}.")
    if arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and arr.size and float(np.nanmax(arr)) <= 1.0:
            arr = arr * 255.0  # floats in [0, 1], as skimage returns them
        arr = np.clip(np.nan_to_num(arr), 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return Image.fromarray(arr)


def to_rgb(img: Image.Image) -> tuple[Image.Image, str | None]:
    """An RGB copy of `img` and a sentence saying what the conversion did (None if nothing)."""
    mode = img.mode
    if mode == "RGB":
        return img, None
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info)
    if has_alpha:
        rgba = img.convert("RGBA")
        alpha = np.asarray(rgba)[:, :, 3]
        if alpha.min() == 255:  # an alpha channel that hides nothing
            return rgba.convert("RGB"), f"The image was {mode} with a fully opaque alpha channel; the alpha was dropped."
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        out = Image.alpha_composite(white, rgba).convert("RGB")
        return out, f"The image had transparency ({mode}); it was laid on a white background, as a page shows it."
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit or float grayscale: stretch its own range to 0..255 rather than clip it.
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = np.zeros_like(arr) if hi == lo else (arr - lo) / (hi - lo) * 255.0
        out = Image.fromarray(np.round(scaled).astype(np.uint8)).convert("RGB")
        return out, f"The image was {mode} (more than 8 bits of gray); its range was stretched to 8 bits and copied into R, G and B."
    out = img.convert("RGB")
    what = {
        "L": "grayscale; the gray value was copied into R, G and B",
        "1": "black and white; each pixel became black or white RGB",
        "P": "a palette image; each palette index was replaced by its colour",
        "CMYK": "CMYK (print colours); it was converted to RGB",
    }.get(mode, f"{mode}; it was converted to RGB")
    return out, f"The image was {what}. CLIP expects RGB."


@dataclass(frozen=True)
class PreprocessSpec:
    """What CLIP's eval transform does: resize the short side, centre-crop, scale to [0, 1], normalise."""

    resize: int  # the shorter side becomes this many pixels (bicubic)
    crop: tuple[int, int]  # (height, width) of the centre crop
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bicubic"


def spec_from_transform(preprocess: Any) -> PreprocessSpec:
    """Read the numbers out of open_clip's eval transform (Resize, CenterCrop, ..., Normalize)."""
    from torchvision import transforms as T

    resize = crop = mean = std = None
    interpolation = "bicubic"
    for step in getattr(preprocess, "transforms", []):
        if isinstance(step, T.Resize):
            size = step.size
            if isinstance(size, (list, tuple)):
                if len(size) != 1:
                    raise ValueError(f"unsupported Resize to a fixed shape {size}: only 'shortest side' resizing is implemented")
                size = size[0]
            resize = int(size)
            interpolation = step.interpolation.value
        elif isinstance(step, T.CenterCrop):
            crop = tuple(int(s) for s in step.size)
        elif isinstance(step, T.Normalize):
            mean, std = tuple(float(m) for m in step.mean), tuple(float(s) for s in step.std)
    if resize is None or crop is None or mean is None:
        raise ValueError(f"unsupported preprocessing transform (need Resize, CenterCrop, Normalize): {preprocess}")
    if interpolation not in ("bicubic", "bilinear"):
        raise ValueError(f"unsupported interpolation {interpolation!r}")
    return PreprocessSpec(resize, crop, mean, std, interpolation)


def resized_size(width: int, height: int, short: int) -> tuple[int, int]:
    """(width, height) after scaling the shorter side to `short`, as torchvision computes it."""
    if width <= height:
        return short, int(short * height / width)
    return int(short * width / height), short


def crop_box(width: int, height: int, crop: tuple[int, int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the centred crop, rounded as torchvision does."""
    ch, cw = crop
    top = int(round((height - ch) / 2.0))
    left = int(round((width - cw) / 2.0))
    return left, top, left + cw, top + ch


def model_view(img: Image.Image, spec: PreprocessSpec) -> Image.Image:
    """The RGB pixels the model will see: short side resized, then centre-cropped."""
    w, h = resized_size(*img.size, spec.resize)
    resample = Image.Resampling.BICUBIC if spec.interpolation == "bicubic" else Image.Resampling.BILINEAR
    resized = img.resize((w, h), resample)
    ch, cw = spec.crop
    if w < cw or h < ch:
        raise ValueError(f"resize to {w}×{h} is smaller than the {cw}×{ch} crop")
    return resized.crop(crop_box(w, h, spec.crop))


def to_pixels(view: Image.Image, spec: PreprocessSpec) -> torch.Tensor:
    """A 3×H×W float tensor: 0..255 -> 0..1, then per-channel (x - mean) / std."""
    arr = np.asarray(view.convert("RGB"), dtype=np.float32) / 255.0
    arr = (arr - np.asarray(spec.mean, dtype=np.float32)) / np.asarray(spec.std, dtype=np.float32)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def preprocess(img: Image.Image, spec: PreprocessSpec) -> torch.Tensor:
    """Our readable version of open_clip's eval transform (the tests compare the two)."""
    return to_pixels(model_view(img, spec), spec)


# --- text -------------------------------------------------------------------------------------


def parse_labels(text: object) -> tuple[list[str], list[str]]:
    """Labels, one per line or comma-separated, and notices about what was dropped or cut."""
    text, cut = check_text(text, max_chars=MAX_LABELS * MAX_LABEL_CHARS, what="list of labels")
    notices = [cut] if cut else []
    parts = text.splitlines() if "\n" in text.strip() else text.split(",")
    labels: list[str] = []
    seen: set[str] = set()
    dropped = 0
    for part in parts:
        label = " ".join(part.split())
        if not label:
            continue
        if len(label) > MAX_LABEL_CHARS:
            label = label[:MAX_LABEL_CHARS]
            notices.append(f"A label longer than {MAX_LABEL_CHARS} characters was cut.")
        if label.lower() in seen:
            dropped += 1
            continue
        seen.add(label.lower())
        labels.append(label)
    if not labels:
        raise UserInputError("There are no labels. Type at least one candidate label, one per line or separated by commas.")
    if dropped:
        notices.append(f"{dropped} repeated label{'s were' if dropped > 1 else ' was'} dropped.")
    if len(labels) > MAX_LABELS:
        notices.append(f"You gave {len(labels)} labels; only the first {MAX_LABELS} were used.")
        labels = labels[:MAX_LABELS]
    return labels, notices


def parse_templates(text: object) -> tuple[list[str], list[str]]:
    """Prompt templates, one per line, each with {} where the label goes. Several = an ensemble."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return [DEFAULT_TEMPLATE], [f"No template given; used '{DEFAULT_TEMPLATE}'."]
    text, cut = check_text(text, max_chars=MAX_TEMPLATES * 300, what="prompt template")
    notices = [cut] if cut else []
    templates: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line or line in templates:
            continue
        if "{}" not in line:
            raise UserInputError(
                f"The template '{line}' has no {{}}. Write {{}} where the label goes, e.g. 'a photo of a {{}}.'"
            )
        templates.append(line)
    if len(templates) > MAX_TEMPLATES:
        notices.append(f"You gave {len(templates)} templates; only the first {MAX_TEMPLATES} were used.")
        templates = templates[:MAX_TEMPLATES]
    return templates, notices


def fill(template: str, label: str) -> str:
    # str.replace, not str.format: a label may contain braces.
    return template.replace("{}", label)


def long_prompts(tokenizer: Any, prompts: Sequence[str]) -> list[str]:
    """Prompts the tokenizer will cut at its context length (77 tokens for CLIP)."""
    ctx = int(getattr(tokenizer, "context_length", 77))
    encode = getattr(tokenizer, "encode", None)
    if encode is None:
        return []
    return [p for p in prompts if len(encode(p)) + 2 > ctx]  # + start and end tokens


# --- encoding ---------------------------------------------------------------------------------


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def l2_normalise(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


@torch.inference_mode()
def encode_images(model: Any, pixels: torch.Tensor) -> torch.Tensor:
    """Unit-length image embeddings (n × d) for a batch of preprocessed images (n × 3 × H × W)."""
    dev = model_device(model)
    feats = model.encode_image(pixels.to(dev)).float()
    return l2_normalise(feats).cpu()


@torch.inference_mode()
def encode_texts(
    model: Any, tokenizer: Any, texts: Sequence[str], on_batch: Callable[[int, int], None] | None = None
) -> torch.Tensor:
    """Unit-length text embeddings (n × d), in batches so a long list reports progress."""
    dev = model_device(model)
    out = []
    for start in range(0, len(texts), TEXT_BATCH):
        tokens = tokenizer(list(texts[start : start + TEXT_BATCH])).to(dev)
        out.append(l2_normalise(model.encode_text(tokens).float()).cpu())
        if on_batch:
            on_batch(min(start + TEXT_BATCH, len(texts)), len(texts))
    return torch.cat(out)


def label_embeddings(
    model: Any,
    tokenizer: Any,
    labels: Sequence[str],
    templates: Sequence[str],
    on_batch: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """One unit vector per label. With several templates, the CLIP paper's ensemble: average the
    normalised embeddings of the label's prompts, then normalise the average again."""
    if len(labels) * len(templates) > MAX_PROMPTS:
        raise UserInputError(
            f"{len(labels)} labels × {len(templates)} templates = {len(labels) * len(templates)} prompts to encode; "
            f"this app encodes at most {MAX_PROMPTS} per request. Use fewer labels or fewer templates."
        )
    prompts = [fill(t, label) for label in labels for t in templates]
    feats = encode_texts(model, tokenizer, prompts, on_batch)
    feats = feats.reshape(len(labels), len(templates), -1).mean(dim=1)
    return l2_normalise(feats)


def logit_scale(model: Any) -> float:
    """exp(model.logit_scale): CLIP learns the log of the factor that turns cosines into logits."""
    return float(model.logit_scale.detach().float().exp().cpu())


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# --- the lesson's computations ---------------------------------------------------------------


@dataclass
class ZeroShot:
    labels: list[str]
    probs: list[float]
    similarities: list[float]  # cosine of the image with each label's (ensembled) caption
    logit_scale: float
    templates: list[str]
    notices: list[str]

    def as_json(self) -> dict:
        """Exactly the shape the clip_classify API returns."""
        return {
            "labels": list(self.labels),
            "probs": [float(p) for p in self.probs],
            "similarities": [float(s) for s in self.similarities],
            "logit_scale": float(self.logit_scale),
        }


def zero_shot(
    model: Any,
    tokenizer: Any,
    spec: PreprocessSpec,
    image: PreparedImage,
    labels: Sequence[str],
    templates: Sequence[str],
    on_batch: Callable[[int, int], None] | None = None,
) -> ZeroShot:
    """Classify one image among `labels`: cosines, times the logit scale, softmax."""
    img = encode_images(model, preprocess(image.image, spec).unsqueeze(0))[0]
    txt = label_embeddings(model, tokenizer, labels, templates, on_batch)
    sims = (txt @ img).double().numpy()
    scale = logit_scale(model)
    probs = softmax(scale * sims)
    notices = list(image.notices)
    cut = long_prompts(tokenizer, [fill(t, label) for label in labels for t in templates])
    if cut:
        notices.append(f"{len(cut)} prompt(s) are longer than CLIP's 77-token window and were cut, e.g. '{cut[0][:60]}…'.")
    return ZeroShot(list(labels), probs.tolist(), sims.tolist(), scale, list(templates), notices)


def similarity_matrix(model: Any, tokenizer: Any, spec: PreprocessSpec, images: Sequence[Image.Image], captions: Sequence[str]) -> np.ndarray:
    """Cosine similarity of every image (rows) with every caption (columns)."""
    img = image_embeddings(model, spec, images)
    txt = encode_texts(model, tokenizer, captions)
    return (img @ txt.T).double().numpy()


def image_embeddings(model: Any, spec: PreprocessSpec, images: Sequence[Image.Image], batch: int = 16) -> torch.Tensor:
    out = []
    for start in range(0, len(images), batch):
        pixels = torch.stack([preprocess(im, spec) for im in images[start : start + batch]])
        out.append(encode_images(model, pixels))
    return torch.cat(out)


def rank(similarities: Sequence[float]) -> list[int]:
    """Indices from most to least similar (stable for ties)."""
    return sorted(range(len(similarities)), key=lambda i: (-similarities[i], i))


def spread(values: Sequence[float]) -> float:
    return float(max(values) - min(values)) if values else math.nan
