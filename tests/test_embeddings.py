"""Embeddings tab: parity with SentenceTransformer.encode, neighbours, projections and their
trust scores, contextual vectors, the API shapes, bad input, and the tab in a browser."""

from __future__ import annotations

import re

import numpy as np
import pytest

from playground.lessons.embeddings import tab as E
from playground.lessons.embeddings.context import contextual_vectors
from playground.lessons.embeddings.space import (
    PROJECTIONS,
    ProjectionCache,
    fit_projection,
    nearest,
    neighbour_overlap,
    trustworthiness,
)
from playground.models.embedding_cache import CACHE
from playground.checks import UserInputError

SENTENCES = [
    "The cat sat on the mat.",
    "A kitten is sleeping on the rug.",
    "Stock markets fell sharply today.",
    "Investors sold shares as prices dropped.",
    "The striker scored a late goal.",
    "Bake the bread for forty minutes.",
]
TEXT = "\n".join(SENTENCES)
HEAT_TEXT = "The dog bit the man.\nThe man bit the dog."


def reference_cosine(encoder, texts):
    v = encoder.model.encode(texts, convert_to_numpy=True).astype(np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v @ v.T


# --- parity and neighbours ------------------------------------------------------------------------


def test_similarity_matches_encode(hub, encoder):
    matrix = np.asarray(E.similarity(hub, TEXT)["matrix"])
    np.testing.assert_allclose(matrix, reference_cosine(encoder, SENTENCES), atol=1e-5)


def test_neighbours_sorted_and_correct(hub, encoder):
    query = "a small cat taking a nap"
    result = E.neighbours(hub, TEXT, query, 4)["neighbours"]
    vecs = encoder.model.encode(SENTENCES + [query]).astype(np.float64)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    scores = vecs[:-1] @ vecs[-1]
    expected = list(np.argsort(-scores)[:4])
    assert [r["index"] for r in result] == expected
    assert [r["text"] for r in result] == [SENTENCES[i] for i in expected]
    np.testing.assert_allclose([r["score"] for r in result], scores[expected], atol=1e-5)
    assert all(a["score"] >= b["score"] for a, b in zip(result, result[1:]))
    assert result[0]["index"] in (0, 1)  # the cats, not the stock market
    assert len(E.neighbours(hub, TEXT, query, 50)["neighbours"]) == len(SENTENCES)  # k capped at n


def test_nearest_breaks_ties_by_index():
    vecs = np.array([[1.0, 0], [0, 1.0], [1.0, 0]])
    assert nearest(vecs, np.array([1.0, 0]), 3) == [(0, 1.0), (2, 1.0), (1, 0.0)]


# --- projections and how far to trust them -------------------------------------------------------


def test_neighbour_overlap_and_trustworthiness_bounds():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 10))
    x /= np.linalg.norm(x, axis=1, keepdims=True)  # on the unit sphere cosine and Euclidean agree
    assert neighbour_overlap(x, x) == 1.0  # a projection that is the identity keeps every neighbourhood
    scrambled = rng.normal(size=(60, 2))
    assert neighbour_overlap(x, scrambled) < 0.4
    assert trustworthiness(x, x) == pytest.approx(1.0)
    assert trustworthiness(x, scrambled) < trustworthiness(x, fit_projection(x, "PCA", 2).points)


def test_embed_map_pca_and_tsne_shapes(hub):
    labels = "\n".join(["pets", "pets", "money", "money", "sport", "food"])
    for method, dims in (("PCA", 2), ("t-SNE", 3)):
        out = E.embed_map(hub, TEXT, labels, method, dims)
        assert set(out) == {"points", "labels", "neighbour_overlap"}
        assert np.asarray(out["points"]).shape == (6, dims)
        assert out["labels"] == labels.split("\n") and 0.0 <= out["neighbour_overlap"] <= 1.0
    assert E.embed_map(hub, TEXT, "", "PCA", 2)["labels"] == [""] * 6


def test_projection_and_embeddings_are_cached(hub):
    before_encoded, before_fits = CACHE.encoded, PROJECTIONS.fits
    result = E.map_result(hub, TEXT, "", "PCA", 2)  # embedded and fitted above
    fig, panel, note, rows = E.map_view(result, "k-means", 3)
    assert CACHE.encoded == before_encoded and PROJECTIONS.fits == before_fits
    assert "k-NN overlap" in panel and "Trustworthiness" in panel
    assert "k-means clusters computed in the full 384-D space" in note


def test_umap_3d_places_a_query_with_its_transform(hub):
    lines = E.load_builtin("labelled", limit=40).texts
    text = "\n".join(lines)
    result = E.map_result(hub, text, "", "UMAP", 3)
    assert np.asarray(result.as_json()["points"]).shape == (40, 3)
    found = E.neighbours_result(hub, text, "a goal in the last minute", 3)
    fig, panel, note, rows = E.map_view(result, "none", 8, found)
    assert "placed by UMAP's own transform" in note and len(rows) == 3
    assert [t.name for t in fig.data][-1] == "your query"


def test_tsne_says_it_cannot_place_a_query(hub):
    found = E.neighbours_result(hub, TEXT, "cats", 2)
    result = E.map_result(hub, TEXT, "", "t-SNE", 3)
    fig, _, note, rows = E.map_view(result, "label", 8, found)
    assert [r[3] for r in rows] == [r["text"] for r in found.as_json()["neighbours"]]
    assert "t-SNE cannot place a new point" in note
    star = fig.data[-1]
    idx = [i for i, _ in found.found]
    np.testing.assert_allclose([star.x[0], star.y[0], star.z[0]], result.projection.points[idx].mean(0))


def test_handlers_keep_one_result_and_the_view_reads_only_it(hub):
    result, payload = E.on_map(hub, TEXT, "pets\npets\nmoney\nmoney\nsport\nfood", "PCA", 2)
    assert payload == E.embed_map(hub, TEXT, "pets\npets\nmoney\nmoney\nsport\nfood", "PCA", 2)
    found, found_payload = E.on_neighbours(hub, TEXT, "money and shares", 2)
    assert found_payload == E.neighbours(hub, TEXT, "money and shares", 2)
    encoded, fits = CACHE.encoded, PROJECTIONS.fits
    for colour in ("label", "k-means", "HDBSCAN", "none"):  # recolouring: no embedding, no fit
        fig, _, _, rows = E.map_view(result, colour, 3, found)
    assert CACHE.encoded == encoded and PROJECTIONS.fits == fits
    assert [r[2] for r in rows] == ["money", "money"]  # the labels come from the map's own result
    # a search over other texts is listed, but not drawn on a map of different texts
    other, _ = E.on_neighbours(hub, "\n".join(SENTENCES[:4]), "money and shares", 2)
    fig, _, note, rows = E.map_view(result, "label", 3, other)
    assert "other texts" in note and "your query" not in [t.name for t in fig.data] and len(rows) == 2
    # before any map is drawn, the view says so instead of drawing one
    fig, panel, note, rows = E.map_view(None, "label", 3, found)
    assert fig is None and "Draw the map" in note and len(rows) == 2


def test_kmeans_legend_in_number_order_and_colours_unlike_the_labels(hub):
    from plotly.colors import unlabel_rgb, hex_to_rgb

    from playground.viz.embedding_figures import LABEL_PALETTE

    def rgb(colour):
        return tuple(round(v) for v in (hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)))

    corpus = E.load_builtin("labelled", limit=64)
    result = E.map_result(hub, "\n".join(corpus.texts), "\n".join(corpus.labels), "PCA", 2)
    fig, *_ = E.map_view(result, "k-means", 12)
    assert [t.name for t in fig.data] == [f"cluster {i}" for i in range(12)]
    cluster_colours = {rgb(t.marker.color) for t in fig.data}
    assert len(cluster_colours) == 12 and not cluster_colours & {rgb(c) for c in LABEL_PALETTE}
    labelled, *_ = E.map_view(result, "label", 12)
    assert {rgb(t.marker.color) for t in labelled.data} <= {rgb(c) for c in LABEL_PALETTE}


@pytest.mark.parametrize("dims", [2, 3])
def test_the_note_names_the_lines_the_figure_draws(hub, dims):
    result = E.map_result(hub, TEXT, "", "PCA", dims)
    fig, _, note, _ = E.map_view(result, "none", 8, E.neighbours_result(hub, TEXT, "cats", 2))
    dash = next(t.line.dash for t in fig.data if t.name == "to nearest neighbours")
    assert ("Dotted lines" in note) == (dash == "dot") and ("Solid" in note) == (dash == "solid")


def test_other_languages_example_says_the_model_learned_english():
    label, texts, note = next(e for e in E.HEAT_EXAMPLES if "Le chat" in e[1])
    assert "English" in label and "trained on English" in note
    assert E.example_note(texts) == note and E.example_note(HEAT_TEXT) == ""


def test_other_languages_heatmap_carries_the_note(hub):
    texts = next(t for _, t, _ in E.HEAT_EXAMPLES if "Le chat" in t)
    result, payload = E.on_similarity(hub, texts)
    fig, note = E.heatmap_view(result)
    assert "trained on English" in note and payload == E.similarity(hub, texts)
    assert result.matrix[0, 1] < 0.2  # the French translation: no nearer than unrelated text


def test_on_a_zerogpu_space_only_the_ui_values_reach_the_gpu_worker(hub, monkeypatch):
    import sys
    import types

    from playground.models import ModelHub

    sent = []

    def gpu(fn):  # ZeroGPU pickles a call's arguments to its GPU worker
        def run(*args, **kwargs):
            sent.append((args, kwargs))
            return fn(*args, **kwargs)
        return run

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    monkeypatch.setenv("SPACE_ID", "someone/llm-playground")
    from playground.ui.errors import gpu_bound

    result, payload = gpu_bound(E.on_similarity, hub)(TEXT)
    assert payload == E.similarity(hub, TEXT)
    assert sent == [((TEXT,), {})] and not any(isinstance(a, ModelHub) for a in sent[0][0])


def test_projection_cache_refits_only_new_keys():
    cache = ProjectionCache()
    x = np.random.default_rng(1).normal(size=(20, 8)).astype(np.float32)
    a = cache.get("k", x, "PCA", 2)
    assert cache.get("k", x, "PCA", 2) is a and cache.fits == 1
    cache.get("k", x, "PCA", 3)
    assert cache.fits == 2


# --- contextual meaning ---------------------------------------------------------------------------


def test_same_word_fixed_input_embedding_different_hidden_states(hub, encoder):
    sentences = E.CONTEXT_DEFAULT.splitlines()
    result = contextual_vectors(hub, "bank", sentences)
    assert result.pieces == [["bank"]] * 4
    bank_id = encoder.tokenizer.convert_tokens_to_ids("bank")
    row = encoder.model[0].auto_model.get_input_embeddings().weight[bank_id].detach().numpy()
    np.testing.assert_array_equal(result.static, np.stack([row] * 4))
    np.testing.assert_allclose(result.static_cos, 1.0, atol=1e-6)
    top = result.top_cos
    assert top[0, 1] > top[0, 2] and top[2, 3] > top[1, 3]  # river with river, money with money
    assert result.layers.shape[0] == 7  # the embedding output and 6 layers


def test_contextual_errors(hub):
    with pytest.raises(UserInputError, match="does not contain the word 'bank'"):
        contextual_vectors(hub, "bank", ["The river bank.", "A cat."])
    with pytest.raises(UserInputError, match="one word"):
        contextual_vectors(hub, "two words", ["a", "b"])


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda hub: E.similarity(hub, "   "), "The list of texts is empty"),
        (lambda hub: E.similarity(hub, "only one"), "at least 2 texts"),
        (lambda hub: E.similarity(hub, "\n".join(f"t{i}" for i in range(51))), "up to 50 texts"),
        (lambda hub: E.embed_map(hub, TEXT, "a\nb", "PCA", 2), "6 texts but 2 labels"),
        (lambda hub: E.embed_map(hub, TEXT, "", "MDS", 2), "Choose a projection"),
        (lambda hub: E.embed_map(hub, TEXT, "", "PCA", 4), "Dimensions must be between 2 and 3"),
        (lambda hub: E.embed_map(hub, "a\nb", "", "UMAP", 2), "at least 4 texts"),
        (lambda hub: E.neighbours(hub, TEXT, "", 3), "query is empty"),
        (lambda hub: E.neighbours(hub, TEXT, "q", 0), "k must be between 1 and 50"),
        (lambda hub: E.neighbours(hub, "x" * 2001, "q", 1), "keep each text under 2,000"),
    ],
)
def test_bad_input_messages(hub, call, message):
    with pytest.raises(UserInputError, match=re.escape(message)):
        call(hub)


# --- through the launched app ---------------------------------------------------------------------


@pytest.mark.app
def test_api_shapes(client, encoder):
    sim = client.predict(TEXT, api_name="/similarity")
    assert set(sim) == {"matrix"}
    np.testing.assert_allclose(np.asarray(sim["matrix"]), reference_cosine(encoder, SENTENCES), atol=1e-5)
    emap = client.predict(TEXT, "", "PCA", 2, api_name="/embed_map")
    assert set(emap) == {"points", "labels", "neighbour_overlap"} and len(emap["points"]) == 6
    assert all(len(p) == 2 and all(isinstance(v, float) for v in p) for p in emap["points"])
    assert isinstance(emap["neighbour_overlap"], float)
    nb = client.predict(TEXT, "money and shares", 2, api_name="/neighbours")
    assert set(nb) == {"neighbours"} and [set(r) for r in nb["neighbours"]] == [{"index", "text", "score"}] * 2
    assert {r["index"] for r in nb["neighbours"]} == {2, 3}


@pytest.mark.app
def test_api_bad_input_is_a_sentence(client):
    with pytest.raises(Exception, match="6 texts but 1 labels"):
        client.predict(TEXT, "one", "PCA", 2, api_name="/embed_map")


@pytest.mark.browser
def test_tab_in_browser(page, tmp_path):
    pg = page.open("Embeddings")
    pg.get_by_label("PCA").check()
    pg.get_by_role("button", name="Draw the map").click()
    pg.get_by_text("k-NN overlap").wait_for(timeout=120_000)
    pg.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    pg.get_by_role("button", name="Search", exact=True).click()
    pg.get_by_text("Dotted lines join it").wait_for(timeout=60_000)
    page.screenshot("embeddings-map")
    upload = tmp_path / "mine.csv"
    upload.write_text("text,label\nThe cat sleeps.,pets\n\nDogs bark.,pets\nPrices rose.,money\nShares fell.,money\n",
                      encoding="utf-8")
    pg.locator("#embeddings-upload input[type=file]").set_input_files(str(upload))
    pg.get_by_text("Columns found: text, label").wait_for(timeout=30_000)
    pg.get_by_role("button", name="Load the file").click()
    pg.get_by_text("Loaded 4 texts from mine.csv with labels").wait_for(timeout=30_000)
    pg.get_by_role("button", name="Compare its vectors").click()
    pg.get_by_text("after 6 layers of attention").wait_for(timeout=60_000)
    page.screenshot("embeddings-context")
    page.assert_clean()


@pytest.mark.browser
def test_tab_on_a_phone_does_not_scroll_sideways(browser, app_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 390, "height": 844})
    watch = PageWatch(context.new_page(), app_url)
    pg = watch.open("Embeddings")

    def assert_fits(when: str) -> None:
        pg.wait_for_timeout(300)
        width, inner = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{when}: the Embeddings tab scrolls sideways on a phone ({width} px > {inner} px)"

    try:
        assert_fits("before any click")
        pg.get_by_label("PCA").check()
        pg.get_by_role("button", name="Draw the map").click()
        pg.get_by_text("k-NN overlap").wait_for(timeout=120_000)
        pg.get_by_role("button", name="Search", exact=True).click()
        pg.get_by_text("Dotted lines join it").wait_for(timeout=60_000)
        pg.get_by_label("k-means", exact=True).check()
        pg.get_by_text("k-means clusters computed").wait_for(timeout=30_000)
        assert_fits("with a map, a search and k-means colours")
        pg.get_by_text("Other languages (an English-only model)").click()
        pg.get_by_text("trained on English sentences only").wait_for(timeout=10_000)
        pg.get_by_role("button", name="Compare them").click()
        pg.locator(".js-plotly-plot").nth(1).wait_for(timeout=60_000)
        pg.get_by_role("button", name="Compare its vectors").click()
        pg.get_by_text("after 6 layers of attention").wait_for(timeout=60_000)
        assert_fits("with every section drawn")
        watch.screenshot("embeddings-phone")
        watch.assert_clean()
    finally:
        context.close()
