"""CLIP tab: preprocessing parity with open_clip, the zero-shot maths end to end on a tiny random
open_clip model, the API shape, bad input, and what the tab says when the real weights are missing.

The real ViT-B-32 weights are not shipped; the test that needs them runs only where
hub.resolve("clip-vit-b-32") finds them, and is skipped with the reason otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from playground.lessons.clip import ENDPOINTS, results, tab, views, weights
from playground.lessons.clip.samples import SAMPLES, SampleEmbeddings, sample_path
from playground.lessons.clip.weights import KEY, weights_status
from playground.lessons.clip.zero_shot import (
    DEFAULT_TEMPLATE,
    MAX_LABELS,
    MAX_SIDE,
    clip_ensemble_templates,
    encode_texts,
    label_embeddings,
    logit_scale,
    model_view,
    parse_labels,
    parse_templates,
    prepare_image,
    preprocess,
    similarity_matrix,
    spec_from_transform,
    to_rgb,
    zero_shot,
)
from playground.checks import UserInputError
from playground.models import ModelHub
from playground.models.sources import Resolution
from playground.testing.tiny_clip import tiny_clip

FIX = "python -m playground fetch clip-vit-b-32"


@pytest.fixture(scope="session")
def tiny():
    """A randomly initialised tiny open_clip CLIP with ViT-B-32's transform and tokenizer."""
    return tiny_clip(seed=0)


def real_vit_b32_transform():
    """open_clip's own eval transform for ViT-B-32 with OpenAI's weights (built without the weights)."""
    cfg = open_clip.get_pretrained_cfg("ViT-B-32", "openai")
    size = open_clip.get_model_config("ViT-B-32")["vision_cfg"]["image_size"]
    return open_clip.image_transform(size, is_train=False, mean=cfg["mean"], std=cfg["std"])


def weights_missing_reason(hub) -> str | None:
    res = hub.resolve(KEY)
    return None if res.available else f"CLIP weights not on this machine: {res.reason}"


# --- preprocessing ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cat", "coffee", "rocket", "astronaut", "moon", "camera", "horse", "logo",
                                  "hubble deep field", "retina", "page"])
def test_preprocessing_matches_open_clip(name, tiny):
    prepared = prepare_image(sample_path(name))
    assert prepared.image.mode == "RGB"
    ours = preprocess(prepared.image, spec_from_transform(tiny.extras["preprocess"]))
    for reference in (tiny.extras["preprocess"], real_vit_b32_transform()):
        theirs = reference(prepared.image)
        assert ours.shape == theirs.shape == (3, 224, 224)
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


@pytest.mark.parametrize("size", [(301, 517), (517, 301), (225, 224), (14, 25), (1000, 10)])
def test_preprocessing_matches_open_clip_on_odd_shapes(size):
    """Odd sizes exercise the resize rounding and the centre-crop offsets; tiny ones are upscaled."""
    rng = np.random.default_rng(sum(size))
    img = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    reference = real_vit_b32_transform()
    torch.testing.assert_close(preprocess(img, spec_from_transform(reference)), reference(img), atol=1e-6, rtol=0)
    assert model_view(img, spec_from_transform(reference)).size == (224, 224)


def test_spec_reads_openai_numbers():
    spec = spec_from_transform(real_vit_b32_transform())
    assert spec.resize == 224 and spec.crop == (224, 224) and spec.interpolation == "bicubic"
    assert spec.mean == pytest.approx(open_clip.OPENAI_DATASET_MEAN)
    assert spec.std == pytest.approx(open_clip.OPENAI_DATASET_STD)


def test_to_rgb_handles_every_mode():
    gray = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    rgb, note = to_rgb(gray)
    assert rgb.mode == "RGB" and "grayscale" in note
    arr = np.asarray(rgb)
    assert (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all()

    for mode, word in [("1", "black and white"), ("P", "palette"), ("CMYK", "CMYK")]:
        out, note = to_rgb(Image.new("RGB", (5, 4), (200, 30, 30)).convert(mode))
        assert out.mode == "RGB" and out.size == (5, 4) and word in note

    # Transparent pixels go on white; half-transparent ones blend; opaque ones are kept.
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (255, 0, 0, 0)
    rgba[0, 1] = (0, 0, 0, 128)
    rgba[1, 0] = (10, 20, 30, 255)
    rgba[1, 1] = (10, 20, 30, 255)
    out, note = to_rgb(Image.fromarray(rgba, "RGBA"))
    px = np.asarray(out)
    assert "white" in note
    assert tuple(px[0, 0]) == (255, 255, 255)
    assert all(abs(int(v) - 127) <= 1 for v in px[0, 1])
    assert tuple(px[1, 0]) == (10, 20, 30)
    opaque, note = to_rgb(Image.new("RGBA", (3, 3), (1, 2, 3, 255)))
    assert tuple(np.asarray(opaque)[0, 0]) == (1, 2, 3) and "opaque" in note

    deep = Image.fromarray(np.array([[0, 1000], [2000, 4000]], dtype=np.uint16))
    out, note = to_rgb(deep)
    assert out.mode == "RGB" and np.asarray(out)[1, 1, 0] == 255 and "8 bits" in note


def test_sample_modes_are_converted_with_a_notice():
    assert prepare_image(sample_path("moon")).original_mode == "L"
    horse = prepare_image(sample_path("horse"))
    assert horse.original_mode == "RGBA" and any("white" in n for n in horse.notices)
    assert prepare_image(sample_path("cat")).notices == []


def test_huge_image_is_downscaled_and_says_so():
    prepared = prepare_image(Image.new("RGB", (5000, 3000), (10, 200, 10)))
    assert max(prepared.image.size) == MAX_SIDE
    assert prepared.image.size[0] == 2048 and abs(prepared.image.size[1] - 2048 * 3000 / 5000) <= 1
    assert any("5000×3000" in n and "downscaled" in n for n in prepared.notices)


def test_decompression_bombs_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 10,000 pixels is now a 'bomb'
    with pytest.raises(UserInputError, match="more pixels than this app decodes"):
        prepare_image(str(path))


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "phone.jpg"
    img.save(path, exif=exif)
    prepared = prepare_image(str(path))
    assert prepared.image.size == (20, 40) and any("upright" in n for n in prepared.notices)


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    prepared = prepare_image(str(path))
    assert prepared.image.mode == "RGB" and any("first frame" in n for n in prepared.notices)
    assert tuple(np.asarray(prepared.image)[0, 0]) == (255, 0, 0)


def test_non_image_files_get_a_clear_message(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("this is not a picture")
    with pytest.raises(UserInputError, match="'notes.txt' is not an image"):
        prepare_image(str(text))
    broken = tmp_path / "broken.png"
    broken.write_bytes(open(sample_path("cat"), "rb").read()[:2000])  # a truncated PNG
    with pytest.raises(UserInputError, match="not an image"):
        prepare_image(str(broken))
    with pytest.raises(UserInputError, match="choose an image"):
        prepare_image(None)


# --- labels and templates -----------------------------------------------------------------------


def test_labels_one_per_line_or_comma_separated():
    assert parse_labels("cat\n dog \n\nred  car\n")[0] == ["cat", "dog", "red car"]
    assert parse_labels("cat, dog,red car")[0] == ["cat", "dog", "red car"]
    assert parse_labels("a cat, sitting\na dog")[0] == ["a cat, sitting", "a dog"]  # lines win over commas
    labels, notices = parse_labels("cat\nCat\ndog")
    assert labels == ["cat", "dog"] and "repeated" in notices[0]


@pytest.mark.parametrize("bad", ["", "   \n ", ",,,", "\n,\n", None])
def test_empty_labels_are_refused(bad):
    with pytest.raises(UserInputError, match="label"):
        parse_labels(bad)


def test_more_than_a_hundred_labels_are_capped_with_a_notice():
    labels, notices = parse_labels("\n".join(f"thing {i}" for i in range(150)))
    assert len(labels) == MAX_LABELS and labels[-1] == "thing 99"
    assert any("150 labels" in n for n in notices)


def test_templates():
    assert parse_templates("a photo of a {}.")[0] == ["a photo of a {}."]
    assert parse_templates("")[0] == [DEFAULT_TEMPLATE]
    assert parse_templates("a {}\nart of the {}.\na {}")[0] == ["a {}", "art of the {}."]
    with pytest.raises(UserInputError, match=r"has no \{\}"):
        parse_templates("a photo of a cat")
    ensemble = clip_ensemble_templates()
    assert len(ensemble) == 7 and all("{}" in t for t in ensemble) and "itap of a {}." in ensemble


def test_too_many_prompts_are_refused(tiny):
    with pytest.raises(UserInputError, match="700 prompts"):
        label_embeddings(tiny.model, tiny.tokenizer, [f"x{i}" for i in range(100)], clip_ensemble_templates())


# --- the pipeline on the tiny model -------------------------------------------------------------


def test_zero_shot_matches_open_clip_forward(tiny):
    """Our cosines, logit scale and softmax equal open_clip's own forward pass on the same input."""
    model, tok, pre = tiny.model, tiny.tokenizer, tiny.extras["preprocess"]
    prepared = prepare_image(sample_path("cat"))
    labels = ["cat", "dog", "car with {braces}", "airplane"]
    result = zero_shot(model, tok, spec_from_transform(pre), prepared, labels, [DEFAULT_TEMPLATE])

    prompts = [DEFAULT_TEMPLATE.replace("{}", label) for label in labels]
    with torch.no_grad():
        img_f, txt_f, scale = model(pre(prepared.image).unsqueeze(0), tok(prompts))
        ref_probs = (scale * img_f @ txt_f.T).softmax(dim=-1)[0]
        ref_sims = (img_f @ txt_f.T)[0]
    assert result.labels == labels
    assert result.logit_scale == pytest.approx(float(model.logit_scale.detach().exp()), rel=1e-6)
    assert result.logit_scale == pytest.approx(float(scale), rel=1e-6)
    np.testing.assert_allclose(result.similarities, ref_sims.numpy(), atol=1e-5)
    np.testing.assert_allclose(result.probs, ref_probs.numpy(), atol=1e-5)
    assert math.fsum(result.probs) == pytest.approx(1.0, abs=1e-9)
    assert all(-1.0 <= s <= 1.0 for s in result.similarities)
    # The softmax of scale × cosine, recomputed by hand.
    logits = result.logit_scale * np.asarray(result.similarities)
    np.testing.assert_allclose(result.probs, np.exp(logits) / np.exp(logits).sum(), atol=1e-9)

    payload = result.as_json()
    assert list(payload) == ["labels", "probs", "similarities", "logit_scale"]
    assert all(isinstance(p, float) for p in payload["probs"] + payload["similarities"])


def test_template_ensemble_matches_open_clip_zero_shot_classifier(tiny):
    from open_clip.zero_shot_classifier import build_zero_shot_classifier

    labels, templates = ["cat", "coffee", "rocket"], clip_ensemble_templates()
    ours = label_embeddings(tiny.model, tiny.tokenizer, labels, templates)
    theirs = build_zero_shot_classifier(tiny.model, tiny.tokenizer, labels, templates, num_classes_per_batch=None)
    torch.testing.assert_close(ours, theirs.T, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(ours.norm(dim=-1), torch.ones(3), atol=1e-6, rtol=0)


def test_embeddings_are_unit_length_and_matrix_is_their_dot_product(tiny):
    spec = spec_from_transform(tiny.extras["preprocess"])
    images = [prepare_image(sample_path(n)).image for n in ("cat", "moon", "horse")]
    captions = ["a cat", "the moon", "a horse"]
    matrix = similarity_matrix(tiny.model, tiny.tokenizer, spec, images, captions)
    txt = encode_texts(tiny.model, tiny.tokenizer, captions)
    torch.testing.assert_close(txt.norm(dim=-1), torch.ones(3), atol=1e-6, rtol=0)
    with torch.no_grad():
        img = tiny.model.encode_image(torch.stack([tiny.extras["preprocess"](im) for im in images]), normalize=True)
        ref = img @ tiny.model.encode_text(tiny.tokenizer(captions), normalize=True).T
    np.testing.assert_allclose(matrix, ref.numpy(), atol=1e-5)
    assert logit_scale(tiny.model) == pytest.approx(1 / 0.07, rel=1e-5)  # open_clip's initial value


class TinyHub(ModelHub):
    """The session's hub, except that CLIP is the tiny random model."""

    def __init__(self, loaded):
        super().__init__(check_hub=False)
        self.tiny = loaded

    def resolve(self, key):
        if key == KEY:
            return Resolution(True, "tiny random model", None, "a randomly initialised stand-in used by the tests")
        return super().resolve(key)

    def get(self, key):
        return self.tiny if key == KEY else super().get(key)


def test_handlers_and_figures_build(tiny):
    hub = TinyHub(tiny)
    labels = "\n".join(f"label {i}" for i in range(30))
    result = results.classify(hub, sample_path("logo"), labels, "a {}\nart of the {}.")
    fig, table, text, view = views.explain_classification(result)
    probs = result.as_json()["probs"]
    assert len(fig.data[0].y) == 25 and "top 25 of 30" in fig.layout.title.text
    assert [row[3] for row in table] == [round(p, 4) for p in sorted(probs, reverse=True)]
    assert f"{result.as_json()['logit_scale']:.2f}" in text and "Ensemble of 2 templates" in text and "RGBA" in text
    assert view.size == (224, 224)

    cache = SampleEmbeddings()
    matrix = results.similarity(hub, ["cat", "coffee"], [sample_path("moon")], "a cat\na coffee\nthe moon", cache)
    payload = matrix.as_json()
    assert payload["images"] == ["cat", "coffee", "moon.png"] and len(payload["similarities"][0]) == 3
    assert list(payload) == ["images", "captions", "similarities", "logit_scale", "notices"]
    for view_name in views.VIEWS:
        fig, note = views.heatmap(matrix, view_name)
        z = np.asarray(fig.data[0].z)
        assert z.shape == (3, 3)
        if "per image" in view_name:
            np.testing.assert_allclose(z.sum(axis=1), 1.0)
        if "per caption" in view_name:
            np.testing.assert_allclose(z.sum(axis=0), 1.0)

    found = results.search(hub, "a cup of coffee", cache).as_json()
    assert sorted(found["images"]) == sorted(SAMPLES)
    assert found["similarities"] == sorted(found["similarities"], reverse=True)
    # Search reuses the cached sample embeddings: the same numbers as the matrix for 'cat'.
    direct = results.similarity(hub, ["cat"], None, "a cup of coffee", SampleEmbeddings()).as_json()
    assert found["similarities"][found["images"].index("cat")] == pytest.approx(direct["similarities"][0][0], abs=1e-5)
    gallery, bars = views.show_search(results.search(hub, "a cup of coffee", cache))
    assert len(gallery) == len(SAMPLES) and gallery[0][1].startswith("#1 ")


def test_module_level_handlers_return_json_and_result(tiny):
    """The event handlers give the endpoint's JSON and the result the views draw from."""
    hub, cache = TinyHub(tiny), SampleEmbeddings()
    payload, result = tab.on_classify(hub, sample_path("cat"), "cat\ndog", DEFAULT_TEMPLATE)
    assert payload == result.as_json() and list(payload) == ["labels", "probs", "similarities", "logit_scale"]
    fig, table, text, view = tab.show_classification(result)
    assert [row[0] for row in table] == sorted(payload["labels"], key=lambda lab: -payload["probs"][payload["labels"].index(lab)])
    payload, result = tab.on_matrix(hub, cache, ["cat"], None, "a cat\na dog")
    assert payload == result.as_json() and np.asarray(payload["similarities"]).shape == (1, 2)
    payload, result = tab.on_search(hub, cache, "a cat")
    assert payload == result.as_json() and len(payload["images"]) == len(SAMPLES)
    assert len(tab.show_found(result)[0]) == len(SAMPLES)
    import gradio as gr

    with pytest.raises(gr.Error, match="at least one"):
        tab.on_matrix(hub, cache, [], None, "a cat")


def test_model_events_can_cross_into_a_zerogpu_worker(tiny, monkeypatch):
    """ZeroGPU pickles each GPU call's arguments into its worker: the hub must be bound before
    on_gpu, so only the learner's inputs cross."""
    import pickle

    import gradio as gr

    crossed = []

    def pickling_on_gpu(fn):
        def call(*args, **kwargs):
            crossed.append(pickle.dumps((args, kwargs)))
            return fn(*args, **kwargs)
        return call

    import playground.ui.errors as errors

    monkeypatch.setattr(errors, "on_gpu", pickling_on_gpu)  # what gpu_bound applies after binding the hub
    with gr.Blocks() as demo:
        tab.build_tab(TinyHub(tiny))
    fns = {f.api_name: f.fn for f in demo.fns.values()}
    fns["clip_classify"](sample_path("cat"), "cat\ndog", DEFAULT_TEMPLATE, gr.Progress())
    fns["clip_similarity"](["cat"], None, "a cat", gr.Progress())
    fns["clip_search"]("a cat", gr.Progress())
    assert len(crossed) == 3


# --- without the weights, and with them ------------------------------------------------------------


def test_banner_says_how_to_get_missing_weights(hub):
    reason = weights_missing_reason(hub)
    status = weights_status(hub)
    if reason is None:
        assert status.ready and ("found" in status.banner or "loaded" in status.banner)
        return
    assert not status.ready
    assert "not on this machine" in status.banner and FIX in status.banner and "PLAYGROUND_CLIP_PATH" in status.banner
    assert not hub.is_loaded(KEY)  # asking where the weights stand loaded nothing


def built_tab(hub) -> dict:
    """The tab built into a Blocks, its components by elem_id."""
    import gradio as gr

    with gr.Blocks() as demo:
        tab.build_tab(hub)
    return {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}


MODEL_BUTTON_IDS = ("clip-classify", "clip-matrix", "clip-search")


def test_without_weights_the_model_buttons_are_off_and_say_why(hub):
    if weights_missing_reason(hub) is None:
        pytest.skip("the CLIP weights are present here")
    parts = built_tab(hub)
    for elem_id in MODEL_BUTTON_IDS:
        assert parts[elem_id].interactive is False, elem_id
        assert parts[elem_id].value.endswith("(needs CLIP weights)"), parts[elem_id].value
    assert parts["clip-download"].visible is True
    assert "not on this machine" in parts["clip-weights-status"].value
    assert not hub.is_loaded(KEY)


def test_with_weights_the_model_buttons_are_on(tiny):
    parts = built_tab(TinyHub(tiny))
    assert [parts[i].value for i in MODEL_BUTTON_IDS] == list(tab.MODEL_BUTTONS)
    assert all(parts[i].interactive is True for i in MODEL_BUTTON_IDS)
    assert parts["clip-download"].visible is False
    assert "weights found" in parts["clip-weights-status"].value


def test_download_offline_says_so_at_once(hub):
    """HF_HUB_OFFLINE=1 here (conftest), as on a closed network: no waiting, and what to do instead."""
    if weights_missing_reason(hub) is None:
        pytest.skip("the CLIP weights are present here")
    import time

    start = time.perf_counter()
    banner, *buttons, fetch, note = tab.on_download(hub)
    assert time.perf_counter() - start < 2.0
    assert "offline" in note and "PLAYGROUND_CLIP_PATH" in note and FIX in note
    assert all(b["interactive"] is False for b in buttons) and fetch["visible"] is True
    assert "not on this machine" in banner


class FetchableHub(ModelHub):
    """No CLIP weights until `fetched` is set, then the tiny model's."""

    def __init__(self, loaded):
        super().__init__(check_hub=False)
        self.tiny, self.fetched = loaded, False

    def resolve(self, key):
        if key == KEY and self.fetched:
            return Resolution(True, "HF cache", None, "fetched by the test")
        return super().resolve(key)


def test_download_online_shows_progress_then_switches_the_buttons_on(tiny, monkeypatch, tmp_path):
    import functools
    import threading

    hub = FetchableHub(tiny)

    def fake_fetch(hub_, report):
        """Drive the progress bar class the way snapshot_download does: a byte bar whose total
        grows as files are announced, updated from worker threads."""
        bar = weights.progress_bar_class(report)(total=0, initial=0, unit="B", unit_scale=True, desc="bytes")
        bar.total = 600_000_000
        workers = [threading.Thread(target=bar.update, args=(150_000_000,)) for _ in range(4)]
        for w in workers:
            w.start()
            w.join()
        hub_.fetched = True
        return tmp_path

    seen = []
    monkeypatch.setattr(weights, "hub_reachable", lambda: True)
    done = weights.download(hub, lambda fraction, desc: seen.append((fraction, desc)), fetch=fake_fetch)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, seen
    assert "600 of 600 MB" in seen[-1][1]
    assert done.status.ready and "Downloaded" in done.note

    hub.fetched = False
    monkeypatch.setattr(tab, "download", functools.partial(weights.download, fetch=fake_fetch))
    banner, *buttons, fetch, note = tab.on_download(hub)
    assert all(b["interactive"] is True for b in buttons) and fetch["visible"] is False
    assert [b["value"] for b in buttons] == list(tab.MODEL_BUTTONS) and "weights found" in banner


def test_online_without_weights_offers_the_download_rather_than_a_silent_600_mb_first_click(hub, monkeypatch):
    """hub.resolve calls a reachable hub 'available'; the tab still counts the weights as missing."""
    monkeypatch.setattr(hub, "resolve", lambda key: Resolution(True, "hub", None, "downloads on first use"))
    status = weights_status(hub)
    assert not status.ready and "can reach the Hugging Face hub" in status.banner and FIX in status.banner


def test_a_failed_download_says_so_and_keeps_the_buttons_off(hub, monkeypatch):
    if weights_missing_reason(hub) is None:
        pytest.skip("the CLIP weights are present here")

    def broken(hub_, report):
        raise ConnectionError("connection reset by peer")

    monkeypatch.setattr(weights, "hub_reachable", lambda: True)
    done = weights.download(hub, lambda *a: None, fetch=broken)
    assert not done.status.ready and "connection reset by peer" in done.note and "again" in done.note


def test_real_weights_classify_sample_photos(hub):
    reason = weights_missing_reason(hub)
    if reason:
        pytest.skip(reason)
    loaded = hub.get(KEY)
    spec = spec_from_transform(loaded.extras["preprocess"])
    labels = ["cat", "cup of coffee", "rocket", "astronaut", "horse", "moon", "motorcycle"]
    for name, want in [("cat", "cat"), ("coffee", "cup of coffee"), ("rocket", "rocket"),
                       ("astronaut", "astronaut"), ("motorcycle", "motorcycle")]:
        result = zero_shot(loaded.model, loaded.tokenizer, spec, prepare_image(sample_path(name)), labels,
                           [DEFAULT_TEMPLATE])
        assert result.labels[int(np.argmax(result.probs))] == want, (name, result)
        assert 50 < result.logit_scale <= 100.01


# --- through the launched apps ---------------------------------------------------------------------


@pytest.mark.app
def test_api_without_weights_names_the_fix(client, hub):
    if weights_missing_reason(hub) is None:
        pytest.skip("the CLIP weights are present here, so the missing-weights error cannot be shown")
    from gradio_client import handle_file

    with pytest.raises(Exception) as info:
        client.predict(handle_file(sample_path("cat")), "cat\ndog", DEFAULT_TEMPLATE, api_name="/clip_classify")
    assert FIX in str(info.value) and "PLAYGROUND_CLIP_PATH" in str(info.value)
    import gradio as gr

    with pytest.raises(gr.Error, match="fetch clip-vit-b-32"):
        tab.on_search(hub, SampleEmbeddings(), "a cup of coffee")


@pytest.fixture(scope="module")
def tiny_app(tiny):
    """The CLIP tab alone, launched with the tiny model in place of the real one; its public API is
    the app's (clip_classify only)."""
    import gradio as gr

    from playground.ui.app import keep_public_api, launch_kwargs

    with gr.Blocks() as demo:
        tab.build_tab(TinyHub(tiny))
    keep_public_api(demo, ENDPOINTS)
    demo.queue()
    _, url, _ = demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_kwargs())
    yield url.rstrip("/")
    demo.close()


@pytest.fixture(scope="module")
def tiny_client(tiny_app):
    from gradio_client import Client

    return Client(tiny_app, verbose=False)


@pytest.mark.app
def test_api_shape_with_a_model(tiny_client):
    from gradio_client import handle_file

    out = tiny_client.predict(handle_file(sample_path("camera")), "a man, a woman, a building",
                              "a photo of {}.", api_name="/clip_classify")
    assert set(out) == {"labels", "probs", "similarities", "logit_scale"}
    assert out["labels"] == ["a man", "a woman", "a building"]
    assert len(out["probs"]) == len(out["similarities"]) == 3
    assert math.fsum(out["probs"]) == pytest.approx(1.0, abs=1e-6)
    assert isinstance(out["logit_scale"], float)

    many = tiny_client.predict(handle_file(sample_path("cat")), "\n".join(f"t{i}" for i in range(120)),
                               "{}", api_name="/clip_classify")
    assert len(many["labels"]) == MAX_LABELS


@pytest.mark.app
def test_api_bad_input(tiny_client, tmp_path):
    from gradio_client import handle_file

    junk = tmp_path / "data.csv"
    junk.write_text("a,b\n1,2\n")
    cases = [
        ((handle_file(str(junk)), "cat", DEFAULT_TEMPLATE), "not an image"),
        ((handle_file(sample_path("cat")), "  \n ", DEFAULT_TEMPLATE), "empty"),
        ((handle_file(sample_path("cat")), "cat", "a photo of a cat"), "has no {}"),
        ((None, "cat", DEFAULT_TEMPLATE), "choose an image"),
    ]
    for args, message in cases:
        with pytest.raises(Exception) as info:
            tiny_client.predict(*args, api_name="/clip_classify")
        assert message in str(info.value), (args, str(info.value))


def open_page(watch):
    """The CLIP-only app has no Models tab for PageWatch.open to wait for; wait for "load" (a gr.State
    keeps Gradio's heartbeat connection open, so the network never goes idle)."""
    watch.page.goto(watch.app_url, wait_until="load")
    return watch.page


@pytest.mark.browser
def test_tab_shows_missing_weights(page, hub):
    if weights_missing_reason(hub) is None:
        pytest.skip("the CLIP weights are present here, so the missing-weights banner is not shown")
    pg = page.open("CLIP")
    status = pg.locator("#clip-weights-status")
    status.get_by_text("The CLIP weights are not on this machine").wait_for(timeout=10_000)
    assert FIX in status.inner_text()
    for name in tab.MODEL_BUTTONS:
        button = pg.get_by_role("button", name=f"{name} (needs CLIP weights)", exact=True)
        assert button.is_disabled(), name
    pg.get_by_role("button", name="Download CLIP weights").click()
    note = pg.locator("#clip-download-note")
    note.get_by_text("This machine is offline").wait_for(timeout=5_000)
    assert "PLAYGROUND_CLIP_PATH" in note.inner_text()
    page.screenshot("clip-missing-weights")
    page.assert_clean()


@pytest.mark.browser
def test_tab_works_with_a_model(browser, tiny_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        watch = PageWatch(context.new_page(), tiny_app)
        pg = open_page(watch)
        pg.get_by_role("button", name="The right label is NOT there").click()
        pg.get_by_role("button", name="Classify", exact=True).click()
        # generous waits: on a busy 2-core machine the first classification has been seen to take 30 s
        pg.get_by_text("The probabilities sum to").wait_for(timeout=90_000)
        pg.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        pg.get_by_role("button", name="Compute the similarity matrix").click()
        pg.get_by_text("Raw cosines").wait_for(timeout=90_000)
        pg.get_by_role("button", name="Search", exact=True).click()
        pg.get_by_text("#1 ").first.wait_for(timeout=90_000)
        watch.assert_clean()
    finally:
        watch.screenshot("clip-tiny-model")
        context.close()
