"""CLIP lesson: zero-shot image classification and image-text similarity.

CLIP (OpenAI, 2021) trained an image encoder and a text encoder together so that a photo and its
caption land close in one embedding space. To classify an image with no training at all, write
each class as a caption ("a photo of a cat."), and pick the caption whose vector is nearest.
The learner sees every step: the 224×224 crop the model sees, the cosine with each caption, the
logit scale that multiplies the cosines, and the softmax that turns them into probabilities.

Layout and wiring only: the computations are in results.py, what is shown of them in views.py.
"""

from __future__ import annotations

import functools
from typing import Any

import gradio as gr
from PIL import Image, UnidentifiedImageError

from playground.lessons.clip.results import (
    MAX_CAPTIONS,
    Classification,
    SearchResult,
    SimilarityMatrix,
    classify,
    search,
    similarity,
)
from playground.lessons.clip.samples import SAMPLES, SampleEmbeddings, sample_path
from playground.lessons.clip.views import VIEWS, explain_classification, heatmap, show_search
from playground.lessons.clip.weights import WeightsStatus, download, weights_status
from playground.lessons.clip.zero_shot import DEFAULT_TEMPLATE, clip_ensemble_templates
from playground.models import ModelHub
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "CLIP"

CLASSIFY, MATRIX, SEARCH = "Classify", "Compute the similarity matrix", "Search"
MODEL_BUTTONS = (CLASSIFY, MATRIX, SEARCH)  # the buttons that need the weights, in weights_updates' order
DOWNLOAD_WORK = {"concurrency_id": "clip-download", "concurrency_limit": 1}  # minutes long: its own lane

DEFAULT_MATRIX = ["cat", "coffee", "rocket", "astronaut", "motorcycle", "horse"]
DEFAULT_CAPTIONS = "a photo of a cat.\na cup of coffee.\na rocket launch.\nan astronaut.\na motorcycle.\na drawing of a horse."
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


# --- handlers: the hub (and the sample cache) come first, bound in build_tab -------------------


@friendly
def on_sample(name: str | None):
    return sample_path(name) if name else gr.update()


@friendly
def ensemble_templates() -> str:
    return ENSEMBLE_TEXT


@friendly
def single_template() -> str:
    return DEFAULT_TEMPLATE


@friendly
def on_classify(hub: ModelHub, image: Any, labels: str, template: str,
                progress=gr.Progress()) -> tuple[dict, Classification]:
    result = classify(hub, image, labels, template, progress)
    return result.as_json(), result


@friendly
def on_matrix(hub: ModelHub, cache: SampleEmbeddings, chosen: list[str] | None, files: list | None,
              captions: str, progress=gr.Progress()) -> tuple[dict, SimilarityMatrix]:
    progress(0.1, desc="Encoding images and captions")
    result = similarity(hub, chosen, files, captions, cache)
    return result.as_json(), result


def first_matrix(hub: ModelHub, cache: SampleEmbeddings, chosen: list[str] | None, files: list | None,
                 captions: str, progress=gr.Progress()):
    """The first view: the sample photos × captions matrix, when the weights are here (the banner at the top
    says what to do when they are not, so opening the tab raises no error)."""
    if not weights_status(hub).ready:
        return gr.skip(), gr.skip()
    return on_matrix(hub, cache, chosen, files, captions, progress)


@friendly
def on_search(hub: ModelHub, cache: SampleEmbeddings, query: str,
              progress=gr.Progress()) -> tuple[dict, SearchResult]:
    progress(0.1, desc="Encoding the sample photos (once) and the query")
    result = search(hub, query, cache)
    return result.as_json(), result


def button_label(name: str, ready: bool) -> str:
    """A model button's text: its name, and the reason when it is switched off."""
    return name if ready else f"{name} (needs CLIP weights)"


def weights_updates(status: WeightsStatus) -> tuple:
    """The banner, the three model buttons (on only with the weights) and the download button."""
    buttons = [gr.update(value=button_label(name, status.ready), interactive=status.ready) for name in MODEL_BUTTONS]
    return (status.banner, *buttons, gr.update(visible=not status.ready))


@friendly
def on_weights(hub: ModelHub) -> tuple:
    return weights_updates(weights_status(hub))


@friendly
def on_download(hub: ModelHub, progress=gr.Progress()) -> tuple:
    done = download(hub, lambda fraction, desc: progress(fraction, desc=desc))
    return (*weights_updates(done.status), done.note)


show_classification = friendly(explain_classification)
show_matrix = friendly(heatmap)
show_found = friendly(show_search)


# --- the tab ----------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
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
    status = weights_status(hub)
    banner = gr.Markdown(status.banner, elem_id="clip-weights-status")
    fetch = gr.Button("Download CLIP weights", variant="primary", visible=not status.ready, elem_id="clip-download")
    fetch_note = gr.Markdown(elem_id="clip-download-note")

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
            go = gr.Button(button_label(CLASSIFY, status.ready), variant="primary", interactive=status.ready,
                           elem_id="clip-classify")
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
    classified = gr.State()

    gr.Markdown("## 2. Several images × several captions")
    with gr.Row():
        with gr.Column(scale=1):
            matrix_samples = gr.CheckboxGroup(choices=list(SAMPLES), value=DEFAULT_MATRIX, label="Sample photos")
            uploads = gr.File(label="…and your own images (optional)", file_count="multiple", file_types=["image"])
        with gr.Column(scale=1):
            captions = gr.Textbox(label=f"Captions (one per line, up to {MAX_CAPTIONS})", lines=6, value=DEFAULT_CAPTIONS)
            matrix_go = gr.Button(button_label(MATRIX, status.ready), variant="primary",
                                  interactive=status.ready, elem_id="clip-matrix")
    matrix_view = gr.Radio(choices=list(VIEWS), value=VIEWS[0], label="Show")
    matrix_plot = gr.Plot(label="Similarity matrix")
    matrix_note = gr.Markdown()
    with gr.Accordion("Raw result (clip_similarity)", open=False):
        matrix_raw = gr.JSON(label="clip_similarity")
    matrix = gr.State()

    gr.Markdown("## 3. Search the sample photos with words")
    with gr.Row():
        query = gr.Textbox(label="Describe a picture", value="something you could drink", scale=4)
        search_go = gr.Button(button_label(SEARCH, status.ready), variant="primary", scale=1,
                              interactive=status.ready, elem_id="clip-search")
    with gr.Row():
        found = gr.Gallery(label="Sample photos, most similar first", columns=5, height=360)
        search_plot = gr.Plot(label="Cosine with the query")
    with gr.Accordion("Raw result (clip_search)", open=False):
        search_raw = gr.JSON(label="clip_search")
    searched = gr.State()

    # --- events ---
    cache = SampleEmbeddings()
    run_classify = gpu_bound(on_classify, hub)
    run_matrix = gpu_bound(on_matrix, hub, cache)
    run_search = gpu_bound(on_search, hub, cache)

    weights_view = [banner, go, matrix_go, search_go, fetch]
    # on every page load too: weights fetched since the app started (here or by hand) switch the buttons on
    gr.on(None, functools.partial(on_weights, hub), None, weights_view, api_name="clip_weights_status", **LIGHT_WORK)
    fetch.click(functools.partial(on_download, hub), None, [*weights_view, fetch_note], api_name="clip_download_weights",
                **DOWNLOAD_WORK)
    sample.change(on_sample, sample, image, api_name="clip_sample", **LIGHT_WORK)
    ensemble.click(ensemble_templates, None, template, api_name="clip_ensemble_templates", **LIGHT_WORK)
    single.click(single_template, None, template, api_name="clip_single_template", **LIGHT_WORK)
    go.click(run_classify, [image, labels, template], [raw, classified], api_name="clip_classify",
             **MODEL_WORK).success(show_classification, classified, [bars, table, explanation, view],
                                   api_name="clip_classify_view", **LIGHT_WORK)
    matrix_go.click(run_matrix, [matrix_samples, uploads, captions], [matrix_raw, matrix], api_name="clip_similarity",
                    **MODEL_WORK).success(show_matrix, [matrix, matrix_view], [matrix_plot, matrix_note],
                                          api_name="clip_similarity_view", **LIGHT_WORK)
    opened = first_view_trigger()
    opened.change(gpu_bound(first_matrix, hub, cache), [matrix_samples, uploads, captions], [matrix_raw, matrix],
                  api_name="clip_first_view", **MODEL_WORK).success(show_matrix, [matrix, matrix_view],
                                                                    [matrix_plot, matrix_note],
                                                                    api_name="clip_first_view_draw", **LIGHT_WORK)
    matrix_view.change(show_matrix, [matrix, matrix_view], [matrix_plot, matrix_note],
                       api_name="clip_similarity_switch", **LIGHT_WORK)
    search_go.click(run_search, query, [search_raw, searched], api_name="clip_search", **MODEL_WORK).success(
        show_found, searched, [found, search_plot], api_name="clip_search_view", **LIGHT_WORK
    )
    query.submit(run_search, query, [search_raw, searched], api_name="clip_search_submit", **MODEL_WORK).success(
        show_found, searched, [found, search_plot], api_name="clip_search_submit_view", **LIGHT_WORK
    )
    return LessonPage(inputs={"labels": labels, "template": template, "samples": matrix_samples, "captions": captions,
                              "query": query}, opened=opened)
