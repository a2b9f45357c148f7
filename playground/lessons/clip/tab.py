"""CLIP lesson: zero-shot image classification and image-text similarity.

CLIP (OpenAI, 2021) trained an image encoder and a text encoder together so that a photo and its
caption land close in one embedding space. To classify an image with no training at all, write
each class as a caption ("a photo of a cat."), and pick the caption whose vector is nearest.
The learner sees every step: the 224×224 crop the model sees, the cosine with each caption, the
logit scale that multiplies the cosines, and the softmax that turns them into probabilities.

The weights (open_clip ViT-B-32, OpenAI's) do not ship in a wheel. Without them the tab says so at
the top, and how to get them, and every event raises that same clear error: nothing is faked.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from playground.lessons.clip import figures as figs
from playground.lessons.clip.zero_shot import (
    DEFAULT_TEMPLATE,
    PreprocessSpec,
    clip_ensemble_templates,
    encode_texts,
    image_embeddings,
    logit_scale,
    model_view,
    parse_labels,
    parse_templates,
    prepare_image,
    rank,
    softmax,
    spec_from_transform,
    spread,
    zero_shot,
)
from playground.models import ModelHub
from playground.checks import UserInputError, check_text
from playground.ui.errors import friendly
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "CLIP"
KEY = "clip-vit-b-32"

MAX_MATRIX_IMAGES = 16
MAX_CAPTIONS = 20

# Photos that ship inside scikit-image, so the tab works offline: name -> (file, what it shows).
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
DEFAULT_MATRIX = ["cat", "coffee", "rocket", "astronaut", "motorcycle", "horse"]
DEFAULT_CAPTIONS = "a photo of a cat.\na cup of coffee.\na rocket launch.\nan astronaut.\na motorcycle.\na drawing of a horse."


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


def explain_unreadable_uploads(component: gr.Image) -> gr.Image:
    """Make an image input answer a file it cannot open with a sentence, not a generic error.

    Gradio opens an upload with PIL before any handler runs; a text file sent through the API
    would otherwise fail there with no message. (Wrapped on the instance: subclassing a Gradio
    component makes Gradio write a .pyi stub next to this module.)
    """
    original = component.preprocess

    @functools.wraps(original)
    def preprocess(payload):
        try:
            return original(payload)
        except Image.DecompressionBombError:
            raise gr.Error(
                f"That image has more pixels than this app decodes (over {Image.MAX_IMAGE_PIXELS:,}). "
                "Resize it to a few thousand pixels a side and upload it again."
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            name = getattr(payload, "orig_name", None) or "The file"
            raise gr.Error(
                f"'{name}' is not an image this app can read. Upload a PNG, JPEG, WebP, GIF or BMP picture."
            ) from None

    component.preprocess = preprocess
    return component


# --- the model, or why there is none ----------------------------------------------------------


def weights_banner(hub: ModelHub) -> str:
    """Where the weights stand, from hub.resolve (nothing is loaded)."""
    res = hub.resolve(KEY)
    if hub.is_loaded(KEY):
        return f"✅ **CLIP ViT-B/32 is loaded** (from {hub.get(KEY).source})."
    if res.available:
        return f"✅ **CLIP ViT-B/32 weights found** ({res.source}: {res.reason}). They load on the first click (a few seconds)."
    return (
        "### ⚠️ The CLIP weights are not on this machine\n"
        f"This tab needs OpenAI's CLIP ViT-B/32 weights (about 600 MB), and none were found: {res.reason}.\n\n"
        f"**To get them:** {res.fix}. Then restart the app.\n\n"
        "Until then every button on this tab answers with this message; nothing here is computed without "
        "the real model. The other tabs are not affected."
    )


def require_model(hub: ModelHub):
    """The loaded CLIP model. Without weights, hub.get raises ModelUnavailable naming the fix
    (it asks hub.resolve first, so nothing is loaded or downloaded to find that out)."""
    return hub.get(KEY)


@functools.lru_cache(maxsize=4)
def _spec(preprocess: Any) -> PreprocessSpec:
    return spec_from_transform(preprocess)


class SampleEmbeddings:
    """Image embeddings of the sample photos, computed once per model (search reuses them)."""

    def __init__(self):
        self._cache: dict[tuple[int, str], torch.Tensor] = {}
        self._lock = threading.Lock()

    def get(self, loaded, names: list[str]) -> torch.Tensor:
        model, spec = loaded.model, _spec(loaded.extras["preprocess"])
        with self._lock:
            missing = [n for n in names if (id(model), n) not in self._cache]
            if missing:
                images = [prepare_image(sample_path(n)).image for n in missing]
                for n, emb in zip(missing, image_embeddings(model, spec, images)):
                    self._cache[(id(model), n)] = emb
            return torch.stack([self._cache[(id(model), n)] for n in names])


# --- classification ---------------------------------------------------------------------------


def classify(hub: ModelHub, image, labels: str, template: str, progress=None) -> tuple[dict, dict]:
    loaded = require_model(hub)
    label_list, label_notices = parse_labels(labels)
    templates, template_notices = parse_templates(template)
    prepared = prepare_image(image)
    spec = _spec(loaded.extras["preprocess"])
    if progress:
        progress(0.1, desc="Encoding the image and the captions")

    def on_batch(done: int, total: int) -> None:
        if progress:
            progress(0.1 + 0.9 * done / total, desc=f"Encoded {done} of {total} captions")

    result = zero_shot(loaded.model, loaded.tokenizer, spec, prepared, label_list, templates, on_batch)
    extra = {
        "notices": label_notices + template_notices + result.notices,
        "templates": templates,
        "view": model_view(prepared.image, spec),
        "original": f"{prepared.original_size[0]}×{prepared.original_size[1]} {prepared.original_mode}",
    }
    return result.as_json(), extra


def explain_classification(result: dict, extra: dict | None):
    """Chart, table and the sentences that say how the cosines became probabilities."""
    if not result or not result.get("labels"):
        return None, None, "", None
    labels, probs, sims, scale = result["labels"], result["probs"], result["similarities"], result["logit_scale"]
    extra = extra or {}
    order = sorted(range(len(labels)), key=lambda i: -probs[i])
    table = [[labels[i], round(sims[i], 4), round(scale * sims[i], 2), round(probs[i], 4)] for i in order]
    top = order[0]
    templates = extra.get("templates", [])
    lines = [
        f"**Logit scale** = exp(model.logit_scale) = **{scale:.2f}**. "
        f"The cosines go from {min(sims):.4f} to {max(sims):.4f}, a spread of only {spread(sims):.4f}; "
        f"multiplied by {scale:.1f} that becomes a spread of {scale * spread(sims):.2f} in the logits, "
        f"and the softmax turns that into {probs[top]:.1%} for '{labels[top]}'.",
        f"The probabilities sum to {sum(probs):.4f}: the softmax always shares out 100% among *your* labels, "
        "even when none of them is in the picture. Compare the raw cosines to see how well any label fits.",
    ]
    if len(templates) > 1:
        lines.append(
            f"Ensemble of {len(templates)} templates: each label's {len(templates)} prompt embeddings were "
            "normalised, averaged and normalised again (as in the CLIP paper)."
        )
    elif templates:
        lines.append(f"Prompt: '{templates[0].replace('{}', labels[top])}' (and the same for each label).")
    if extra.get("original"):
        lines.append(f"Your image: {extra['original']}; the model sees the 224×224 centre crop shown on the left.")
    lines += [f"ℹ️ {n}" for n in extra.get("notices", [])]
    fig = figs.probability_bars(labels, probs, sims, scale)
    return fig, table, "\n\n".join(lines), extra.get("view")


# --- similarity matrix and search -------------------------------------------------------------


def collect_images(samples: list[str] | None, uploads: list | None) -> tuple[list[str], list, list[str]]:
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


def similarity(hub: ModelHub, samples, uploads, captions: str, cache: SampleEmbeddings) -> dict:
    loaded = require_model(hub)
    caption_list = parse_captions(captions)
    names, images, notices = collect_images(samples, uploads)
    spec = _spec(loaded.extras["preprocess"])
    chosen = [n for n in (samples or [])]
    parts = []
    if chosen:
        parts.append(cache.get(loaded, chosen))
    if len(images) > len(chosen):
        parts.append(image_embeddings(loaded.model, spec, images[len(chosen):]))
    img = torch.cat(parts)
    txt = encode_texts(loaded.model, loaded.tokenizer, caption_list)
    sims = (img @ txt.T).double().numpy()
    return {
        "images": names,
        "captions": caption_list,
        "similarities": sims.round(6).tolist(),
        "logit_scale": logit_scale(loaded.model),
        "notices": notices,
    }


VIEWS = ("cosine similarity", "softmax over captions (per image)", "softmax over images (per caption)")


def heatmap(result: dict | None, view: str):
    if not result or not result.get("images"):
        return None, ""
    sims = np.asarray(result["similarities"], dtype=np.float64)
    scale = float(result["logit_scale"])
    if view == VIEWS[1]:
        values, fmt, note = softmax(scale * sims), ".0%", "Each row sums to 100%: this is zero-shot classification of each image among these captions."
        title, zmin, zmax = "softmax(scale × cosine) across each row", 0, 1
    elif view == VIEWS[2]:
        values, fmt, note = softmax(scale * sims.T).T, ".0%", "Each column sums to 100%: this is text-to-image search among these images."
        title, zmin, zmax = "softmax(scale × cosine) down each column", 0, 1
    else:
        values, fmt, note = sims, ".3f", (
            f"Raw cosines: they sit in a narrow band ({sims.min():.3f} to {sims.max():.3f}). With a trained model "
            "each image's own caption should be the brightest cell of its row. The softmax views multiply by "
            f"the logit scale ({scale:.1f}) first, which is what makes small differences decisive."
        )
        title, zmin, zmax = "cosine similarity (image · caption)", None, None
    fig = figs.similarity_heatmap(result["images"], result["captions"], values, title, fmt, zmin, zmax)
    notes = [note] + [f"ℹ️ {n}" for n in result.get("notices", [])]
    return fig, "\n\n".join(notes)


def search(hub: ModelHub, query: str, cache: SampleEmbeddings) -> dict:
    loaded = require_model(hub)
    query, _ = check_text(query, max_chars=300, what="search query")
    names = list(SAMPLES)
    img = cache.get(loaded, names)
    txt = encode_texts(loaded.model, loaded.tokenizer, [query])[0]
    sims = (img @ txt).double().tolist()
    order = rank(sims)
    return {"query": query, "images": [names[i] for i in order], "similarities": [round(sims[i], 6) for i in order]}


def show_search(result: dict | None):
    if not result or not result.get("images"):
        return [], None
    gallery = [
        (sample_path(n), f"#{i} {n} ({s:.3f})")
        for i, (n, s) in enumerate(zip(result["images"], result["similarities"]), 1)
    ]
    return gallery, figs.search_bars(result["query"], result["images"], result["similarities"])


# --- the tab ----------------------------------------------------------------------------------

ENSEMBLE_TEXT = "\n".join(clip_ensemble_templates())

EXAMPLES = [
    # (label shown, sample, labels, template)
    ("The right label is there", "cat", "cat\ndog\ncar\nairplane\nbird", DEFAULT_TEMPLATE),
    ("The right label is NOT there", "cat", "dog\ncar\nairplane\nbird", DEFAULT_TEMPLATE),
    ("Wording A: 'rocket'", "rocket", "rocket\nmissile\nlighthouse\nfirework", DEFAULT_TEMPLATE),
    ("Wording B: 'space shuttle'", "rocket", "space shuttle\nmissile\nlighthouse\nfirework", DEFAULT_TEMPLATE),
    ("Bare labels, no template", "coffee", "coffee\ntea\nsoup\nlatte art", "{}"),
    ("Same labels, CLIP's 7 templates", "coffee", "coffee\ntea\nsoup\nlatte art", ENSEMBLE_TEXT),
    ("Grayscale photo", "camera", "a man with a camera\na woman\na building\na dog", DEFAULT_TEMPLATE),
    ("Transparent PNG", "horse", "horse\ndog\ncow\nsilhouette of a horse", DEFAULT_TEMPLATE),
    ("Not an everyday photo", "hubble deep field", "galaxies\nsnow\nfireworks\nbacteria", DEFAULT_TEMPLATE),
    ("Microscope image", "immunohistochemistry", "stained tissue under a microscope\na painting\na satellite photo\nfood", DEFAULT_TEMPLATE),
]


def build_tab(hub: ModelHub) -> None:
    lesson_intro(
        "CLIP turns an image and a sentence into two vectors in **one** space, trained so that a photo lands "
        "near its own caption. To classify an image it was never trained to classify, write each class as a "
        "caption (\"a photo of a cat.\") and pick the nearest one: that is *zero-shot* classification.",
        notice=[
            "The cosines are all close together (often 0.15 to 0.35); the **logit scale** (about 100) stretches "
            "them before the softmax, which is why the bars look so decisive.",
            "The probabilities always sum to 1 over the labels *you* typed, even when none is in the picture.",
            "The model sees only a 224×224 centre crop; grayscale and transparent images are converted to RGB first.",
        ],
        try_this=[
            "Click 'The right label is NOT there': one label still gets most of the probability. Compare its cosine with the first example's.",
            "Click the two 'Wording' examples: same image, one label reworded, different answer.",
            "Compare 'Bare labels' with 'CLIP's 7 templates', then search the sample photos below with your own words.",
        ],
    )
    gr.Markdown(weights_banner(hub), elem_id="clip-weights-status")
    cache = SampleEmbeddings()

    gr.Markdown("## 1. Zero-shot classification")
    with gr.Row():
        with gr.Column(scale=1):
            image = explain_unreadable_uploads(gr.Image(
                label="Image (upload, webcam, or paste)",
                sources=["upload", "webcam", "clipboard"],
                type="filepath",
                height=300,
            ))
            sample = gr.Dropdown(
                choices=[(f"{n}: {d}", n) for n, (_, d) in SAMPLES.items()],
                value=None,
                label="…or pick a sample photo (ships with scikit-image, works offline)",
            )
        with gr.Column(scale=1):
            labels = gr.Textbox(label="Candidate labels (one per line, or comma-separated)", lines=5,
                                value="cat\ndog\ncar\nairplane\nbird")
            template = gr.Textbox(
                label="Prompt template ({} is replaced by each label; several lines = an ensemble)",
                lines=2, value=DEFAULT_TEMPLATE,
            )
            with gr.Row():
                ensemble = gr.Button("Use CLIP's 7-template ensemble", size="sm")
                single = gr.Button("Back to one template", size="sm")
            go = gr.Button("Classify", variant="primary")
    gr.Examples(
        examples=[[sample_path(s), lab, tpl] for _, s, lab, tpl in EXAMPLES],
        example_labels=[name for name, *_ in EXAMPLES],
        inputs=[image, labels, template],
        label="Examples that teach (click one, then Classify)",
    )
    with gr.Row():
        with gr.Column(scale=1):
            view = gr.Image(label="What the model sees (224×224 centre crop)", interactive=False, height=260)
        with gr.Column(scale=2):
            bars = gr.Plot(label="Probabilities")
    explanation = gr.Markdown()
    table = gr.Dataframe(
        headers=["label", "cosine similarity", "logit = scale × cosine", "probability"],
        label="Every label: raw cosine, logit and probability",
        interactive=False,
    )
    with gr.Accordion("Raw result (what the clip_classify API returns)", open=False):
        raw = gr.JSON(label="clip_classify")
    extra = gr.State()

    gr.Markdown("## 2. Several images × several captions")
    with gr.Row():
        with gr.Column(scale=1):
            matrix_samples = gr.CheckboxGroup(choices=list(SAMPLES), value=DEFAULT_MATRIX, label="Sample photos")
            uploads = gr.File(label="…and your own images (optional)", file_count="multiple", file_types=["image"])
        with gr.Column(scale=1):
            captions = gr.Textbox(label=f"Captions (one per line, up to {MAX_CAPTIONS})", lines=6, value=DEFAULT_CAPTIONS)
            matrix_go = gr.Button("Compute the similarity matrix", variant="primary")
    matrix_view = gr.Radio(choices=list(VIEWS), value=VIEWS[0], label="Show")
    matrix_plot = gr.Plot(label="Similarity matrix")
    matrix_note = gr.Markdown()
    with gr.Accordion("Raw result (clip_similarity)", open=False):
        matrix_raw = gr.JSON(label="clip_similarity")

    gr.Markdown("## 3. Search the sample photos with words")
    with gr.Row():
        query = gr.Textbox(label="Describe a picture", value="something you could drink", scale=4)
        search_go = gr.Button("Search", variant="primary", scale=1)
    with gr.Row():
        found = gr.Gallery(label="Sample photos, most similar first", columns=5, height=360)
        search_plot = gr.Plot(label="Cosine with the query")
    with gr.Accordion("Raw result (clip_search)", open=False):
        search_raw = gr.JSON(label="clip_search")

    # --- events ---
    @friendly
    def on_sample(name):
        return sample_path(name) if name else gr.update()

    @friendly
    def on_classify(img, labs, tpl, progress=gr.Progress()):
        return classify(hub, img, labs, tpl, progress)

    @friendly
    def on_matrix(chosen, files, caps, progress=gr.Progress()):
        progress(0.1, desc="Encoding images and captions")
        return similarity(hub, chosen, files, caps, cache)

    @friendly
    def on_search(q, progress=gr.Progress()):
        progress(0.1, desc="Encoding the sample photos (once) and the query")
        return search(hub, q, cache)

    sample.change(on_sample, sample, image, api_name="clip_sample", **LIGHT_WORK)
    @friendly
    def ensemble_templates():
        return ENSEMBLE_TEXT

    @friendly
    def single_template():
        return DEFAULT_TEMPLATE

    ensemble.click(ensemble_templates, None, template, api_name="clip_ensemble_templates", **LIGHT_WORK)
    single.click(single_template, None, template, api_name="clip_single_template", **LIGHT_WORK)
    go.click(on_classify, [image, labels, template], [raw, extra], api_name="clip_classify", **MODEL_WORK).success(
        friendly(explain_classification), [raw, extra], [bars, table, explanation, view],
        api_name="clip_classify_view", **LIGHT_WORK,
    )
    matrix_go.click(on_matrix, [matrix_samples, uploads, captions], matrix_raw, api_name="clip_similarity",
                    **MODEL_WORK).success(friendly(heatmap), [matrix_raw, matrix_view], [matrix_plot, matrix_note],
                                          api_name="clip_similarity_view", **LIGHT_WORK)
    matrix_view.change(friendly(heatmap), [matrix_raw, matrix_view], [matrix_plot, matrix_note],
                       api_name="clip_similarity_switch", **LIGHT_WORK)
    search_go.click(on_search, query, search_raw, api_name="clip_search", **MODEL_WORK).success(
        friendly(show_search), search_raw, [found, search_plot], api_name="clip_search_view", **LIGHT_WORK
    )
    query.submit(on_search, query, search_raw, api_name="clip_search_submit", **MODEL_WORK).success(
        friendly(show_search), search_raw, [found, search_plot], api_name="clip_search_submit_view", **LIGHT_WORK
    )
