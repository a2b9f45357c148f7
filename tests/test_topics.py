"""Topics lesson: the BERTopic pipeline against bare BERTopic, its caches, the API and the page.

The corpus is built here: four clearly different subjects, each with its own sentence patterns and
vocabulary, so the structure a topic model should find is known.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import numpy as np
import pytest

from playground.lessons.topics import pipeline as P
from playground.models.embedding_cache import embed_texts
from playground.checks import UserInputError

SUBJECTS = {
    "cooking": (
        ["Stir the {a} into the {b} and let it simmer gently.", "My grandmother's recipe uses {a} with fresh {b}.",
         "Roast the {a} in a hot oven before adding the {b}.", "Season the {a} with salt, then fold in the {b}."],
        ["garlic", "onions", "butter", "flour", "tomato sauce", "pasta", "soup stock", "olive oil", "basil",
         "bread dough", "roast chicken", "pepper", "cream", "lentils"],
    ),
    "astronomy": (
        ["The telescope revealed {a} orbiting a distant {b}.", "Astronomers measured the light from the {a} near the {b}.",
         "A {a} crossed the sky, far beyond the {b}.", "The space probe photographed the {a} beside the {b}."],
        ["a comet", "the galaxy", "a nebula", "the planet Jupiter", "a neutron star", "the moons of Saturn",
         "a black hole", "the asteroid belt", "a supernova", "the red giant", "Mars", "a quasar", "the solar wind"],
    ),
    "football": (
        ["The striker scored from {a} after the {b}.", "The referee gave {a} when the {b} went down.",
         "Fans cheered as the goalkeeper saved {a} in the {b}.", "The coach blamed {a} for losing the {b}."],
        ["a penalty", "the corner kick", "a free kick", "the league match", "the cup final", "the defender",
         "a header", "the midfielder", "an offside goal", "the derby", "the second half", "a red card"],
    ),
    "programming": (
        ["The function crashed because {a} returned {b}.", "Refactor {a} so the unit tests cover {b}.",
         "The compiler rejected {a} with an error about {b}.", "Our Python script reads {a} and writes {b}."],
        ["the parser", "a null pointer", "the database query", "an integer overflow", "the API endpoint",
         "a recursive call", "the JSON file", "a race condition", "the git branch", "the variable type",
         "a syntax error", "the server log"],
    ),
}
PER_SUBJECT = 24
SETTINGS = P.TopicSettings(n_neighbors=10, n_components=5, min_cluster_size=8, nr_topics=None, seed=42)
# Measured on this corpus: ARI 1.000 for seeds 0-5 with minimum sizes 5, 8 and 12 (four topics, no
# noise), except seed 2 at size 5, which splits one subject in two: 0.883. Two subjects merged into
# one would score 0.708. So 0.8 tolerates a split-off sub-topic (another BLAS or UMAP release) and
# fails if the model stops telling two subjects apart.
ARI_THRESHOLD = 0.8


def corpus() -> tuple[list[str], list[str]]:
    rng = random.Random(7)
    docs, labels = [], []
    for label, (patterns, nouns) in SUBJECTS.items():
        seen: set[str] = set()
        while len(seen) < PER_SUBJECT:
            a, b = rng.sample(nouns, 2)
            seen.add(rng.choice(patterns).format(a=a, b=b))
        docs += sorted(seen)
        labels += [label] * PER_SUBJECT
    order = list(range(len(docs)))
    rng.shuffle(order)  # interleave subjects so order cannot give the answer away
    return [docs[i] for i in order], [labels[i] for i in order]


@pytest.fixture(scope="module")
def docs_labels():
    return corpus()


@pytest.fixture(scope="module")
def embeddings(hub, docs_labels):
    return embed_texts(hub, docs_labels[0])


@pytest.fixture(scope="module")
def encode(hub):
    return lambda texts: embed_texts(hub, texts)


@pytest.fixture(scope="module")
def fit(docs_labels, embeddings, encode):
    return P.fit_topics(docs_labels[0], embeddings, SETTINGS, encode)


def test_topics_separate_the_subjects_and_count_outliers(fit, docs_labels):
    docs, labels = docs_labels
    agreement = P.label_agreement(fit.topics, labels)
    assert agreement["ari"] >= ARI_THRESHOLD, agreement
    out = P.topics_json(fit)
    assert out["outliers"] == int((np.asarray(out["assignments"]) == -1).sum())
    assert out["outliers"] + sum(t["count"] for t in out["topics"]) == len(docs)
    assert out["assignments"] == [int(t) for t in fit.model.topics_]
    assert all(t["id"] != -1 for t in out["topics"])


def test_outliers_counted_when_hdbscan_leaves_noise(docs_labels, embeddings, encode):
    # Three UMAP neighbours fragment the map; HDBSCAN leaves the stragglers as noise (26 measured).
    noisy = P.fit_topics(docs_labels[0], embeddings, P.TopicSettings(3, 5, 6, None, 42), encode)
    out = P.topics_json(noisy)
    assert out["outliers"] > 0
    assert out["outliers"] == list(noisy.model.topics_).count(-1) == noisy.outliers
    assert out["outliers"] + sum(t["count"] for t in out["topics"]) == len(docs_labels[0])


def test_all_noise_is_a_result_not_a_crash(docs_labels, embeddings, encode):
    # A minimum size above every subject's 24 documents: HDBSCAN finds no cluster at all.
    none = P.fit_topics(docs_labels[0], embeddings, P.TopicSettings(5, 5, 40, None, 42), encode)
    assert none.found_topics == 0 and none.outliers == len(docs_labels[0])
    P.represent(none, "MMR", 0.5)
    assert P.topics_json(none) == {"topics": [], "assignments": [-1] * len(docs_labels[0]),
                                   "outliers": len(docs_labels[0])}


def test_same_as_bare_bertopic_given_the_same_embeddings(fit, docs_labels, embeddings):
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    bare = BERTopic(umap_model=P.umap_model(10, 5, 42), vectorizer_model=P.make_vectorizer(),
                    hdbscan_model=HDBSCAN(min_cluster_size=8, metric="euclidean", cluster_selection_method="eom",
                                          prediction_data=True))
    topics, _ = bare.fit_transform(docs_labels[0], embeddings)
    assert list(topics) == fit.topics.tolist()
    assert {t: [w for w, _ in bare.get_topic(t)] for t in bare.get_topics()} == \
        {t: [w for w, _ in ws] for t, ws in fit.ctfidf.items()}


def test_same_seed_same_topics(fit, docs_labels, embeddings, encode):
    P.UMAP_CACHE.clear()
    P.FIT_CACHE.clear()
    again = P.fit_topics(docs_labels[0], embeddings, SETTINGS, encode)
    assert again is not fit and again.topics.tolist() == fit.topics.tolist()
    assert again.ctfidf == fit.ctfidf


def test_representation_switch_changes_words_not_clusters(docs_labels, embeddings, encode):
    fit = P.fit_topics(docs_labels[0], embeddings, SETTINGS, encode)
    P.represent(fit, "c-TF-IDF")
    plain = dict(fit.words)
    assignments = list(fit.model.topics_)
    runs = dict(P.FIT_COUNTS)
    mmr = dict(P.represent(fit, "MMR", diversity=0.8))
    keybert = dict(P.represent(fit, "KeyBERTInspired"))
    assert P.FIT_COUNTS == runs  # neither UMAP nor HDBSCAN ran again
    assert list(fit.model.topics_) == assignments and fit.topics.tolist() == assignments
    assert mmr != plain and keybert != plain and mmr != keybert
    assert mmr.keys() == plain.keys() == keybert.keys()
    # the same cluster asked again comes from the cache, and plain c-TF-IDF comes back unchanged
    assert P.fit_topics(docs_labels[0], embeddings, SETTINGS, encode) is fit
    assert P.represent(fit, "c-TF-IDF") == plain


def test_reduce_topics_merges(docs_labels, embeddings, encode):
    two = P.fit_topics(docs_labels[0], embeddings, P.TopicSettings(10, 5, 8, 2, 42), encode)
    assert len(set(two.topics.tolist()) - {-1}) <= 2 < two.found_topics


@pytest.mark.parametrize("docs, mcs, needle", [
    (["only one very long document " * 5_000], 10, "only one document"),
    (["the same line"] * 50, 10, "are the same text"),
    ([f"doc {i}" for i in range(12)], 10, "needs at least 20 different documents"),
    (["a", "b", "c"] * 20, 5, "only 3 different texts"),
    ([], 10, "no documents"),
])
def test_bad_corpora_get_clear_messages(docs, mcs, needle):
    with pytest.raises(UserInputError, match=needle):
        P.check_corpus(docs, mcs, 15)


def test_neighbours_clamped_below_corpus_size():
    nn, notices = P.check_corpus([f"document number {i}" for i in range(25)], 10, 50)
    assert nn == 24 and "lowered" in notices[0]


def test_corpus_sources(tmp_path, docs_labels):
    from playground.lessons.topics.tab import load_corpus

    docs, labels = docs_labels
    path = tmp_path / "mine.csv"
    path.write_text("text,subject\n" + "\n".join(f'"{d}",{lab}' for d, lab in zip(docs, labels)), encoding="utf-8")
    corpus, _ = load_corpus("Upload a file", 50, str(path), "text", "subject", None)
    assert corpus.texts == docs[:50] and corpus.labels == labels[:50]
    corpus, notices = load_corpus("Paste text (one document per line)", 30, None, None, None, "\n\n".join(docs))
    assert corpus.texts == docs[:30] and corpus.labels is None and "first 30" in notices[0]
    corpus, _ = load_corpus("Labelled subjects (built-in)", 40, None, None, None, None)
    assert len(corpus.texts) == len(corpus.labels) == 40
    with pytest.raises(UserInputError, match="Upload"):
        load_corpus("Upload a file", 50, None, None, None, None)


def test_downloads_are_safetensors_and_load_back(fit, encoder, tmp_path):
    from bertopic import BERTopic

    from playground.lessons.topics.tab import write_downloads

    P.represent(fit, "c-TF-IDF")
    csv_path, zip_path = write_downloads(fit, "c-TF-IDF")
    rows = Path(csv_path).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("topic,count") and len(rows) == 1 + len(fit.words)
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        assert any(n.endswith("topic_embeddings.safetensors") for n in names)
        assert any(n.endswith("ctfidf.safetensors") for n in names)
        assert not any(n.endswith((".pkl", ".pickle", ".bin", ".pt")) for n in names)
        z.extractall(tmp_path)
    loaded = BERTopic.load(str(tmp_path / "bertopic-model"), embedding_model=encoder.model)
    assert {t: [w for w, _ in loaded.get_topic(t)] for t in loaded.get_topics()} == \
        {t: [w for w, _ in fit.model.get_topic(t)] for t in fit.model.get_topics()}


def test_one_result_feeds_every_view_and_keeps_its_words(hub, docs_labels):
    import gradio as gr

    from playground.lessons.topics import tab as T

    args = ["Paste text (one document per line)", 200, None, None, None, "\n".join(docs_labels[0]), 10, 5, 8, 0]
    result, payload = T.find_topics(hub, *args, "c-TF-IDF", 0.3, 42, None)
    assert payload == result.as_json() and set(payload) == {"topics", "assignments", "outliers", "seconds"}
    assert len(T.topics_view(result)) == 12 and T.topics_view(None) == tuple(gr.skip() for _ in range(12))
    plain = {t: list(ws) for t, ws in result.words.items()}
    mmr, mmr_payload = T.change_representation(*args, "MMR", 0.8, 42, result)
    assert mmr.fit is result.fit and mmr.before == ("c-TF-IDF", plain) and mmr.words != plain
    assert result.words == plain  # the earlier result keeps its words though the shared model was re-described
    assert mmr_payload["assignments"] == payload["assignments"]
    assert T.topics_view(mmr)[4].headers == ["topic", "before: c-TF-IDF", "now: MMR (diversity 0.80)"]
    # another knob moved as well (an example was clicked): the example's own run fits, this one waits
    moved = args[:6] + [12] + args[7:]
    assert T.change_representation(*moved, "MMR", 0.8, 42, result) == (gr.skip(), gr.skip())
    assert T.change_representation(*args, "MMR", 0.8, 42, None) == (gr.skip(), gr.skip())


def test_big_minimum_size_example_leaves_many_more_documents_as_noise(hub):
    from playground.lessons.topics import tab as T

    def run(label: str):
        source, limit, nn, nc, mcs, nt, rep, div = dict(T.EXAMPLES)[label]
        result, _ = T.find_topics(hub, source, limit, None, None, T.NO_LABELS, None, nn, nc, mcs, nt, rep, div, 42, None)
        return result.fit

    default, big = run("Eight subjects, defaults"), run("Big minimum size: more noise")
    topics = [len(set(f.topics.tolist()) - {-1}) for f in (default, big)]
    noise = [default.outliers, big.outliers]
    assert noise[1] >= 0.15 * len(big.docs) and noise[1] >= noise[0] + 50, f"noise (default, big): {noise}"
    assert topics[1] < topics[0], f"topics (default, big): {topics}"


def test_intertopic_circles_fit_and_the_hierarchy_is_sized_to_its_topics(fit):
    from playground.viz.topic_figures import fit_hierarchy, fit_intertopic_map

    distance = fit_intertopic_map(fit.model.visualize_topics())
    circles = distance.data[0]
    for axis, values in (("x", circles.x), ("y", circles.y)):
        low, high = distance.layout[f"{axis}axis"].range
        # a circle is at most 40 px across: its 20 px radius must fit inside a 300 px plot on each side
        room = min(min(values) - low, high - max(values)) / (high - low)
        assert room >= 20 / 300, f"{axis}: circles at the edge keep {room:.1%} of the axis"
    cross = distance.layout.shapes[0]
    assert cross.x0 == pytest.approx(sum(distance.layout.xaxis.range) / 2)
    n = len(set(fit.topics.tolist()) - {-1})
    hierarchy = fit_hierarchy(fit.model.visualize_hierarchy(), n)
    assert hierarchy.layout.height <= 140 + 28 * n and hierarchy.layout.width is None
    widest = max(max(t.x) for t in hierarchy.data)
    assert hierarchy.layout.xaxis.range[1] > widest  # the last merge is not drawn on the frame


@pytest.mark.browser
def test_tab_on_a_phone_does_not_scroll_sideways(browser, app_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 390, "height": 844})
    watch = PageWatch(context.new_page(), app_url)
    pg = watch.open("Topics")
    try:
        pg.get_by_role("button", name="Find topics").click()
        pg.get_by_text("now: c-TF-IDF").first.wait_for(timeout=240_000)
        pg.wait_for_timeout(500)
        width, inner = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"the fitted Topics tab scrolls sideways on a phone ({width} px > {inner} px)"
        watch.screenshot("topics-phone")
        watch.assert_clean()
    finally:
        context.close()


def test_api_shape(client, docs_labels):
    docs, _ = docs_labels
    out = client.predict("\n".join(docs), 8, 10, "MMR", 42, api_name="/topics")
    assert set(out) == {"topics", "assignments", "outliers", "seconds"}
    assert len(out["assignments"]) == len(docs) and all(isinstance(a, int) for a in out["assignments"])
    assert out["outliers"] == out["assignments"].count(-1)
    assert out["outliers"] + sum(t["count"] for t in out["topics"]) == len(docs)
    for t in out["topics"]:
        assert set(t) == {"id", "count", "words"} and isinstance(t["id"], int) and t["words"]
        assert all(isinstance(w, str) for w in t["words"])
    assert isinstance(out["seconds"], float)
    again = client.predict("\n".join(docs), 8, 10, "MMR", 42, api_name="/topics")
    assert again["assignments"] == out["assignments"] and again["topics"] == out["topics"]


def test_api_bad_input(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="only one document"):
        client.predict("one giant document " * 3_000, 10, 15, "c-TF-IDF", 42, api_name="/topics")
    with pytest.raises(AppError, match="same text"):
        client.predict("\n".join(["copy"] * 40), 10, 15, "c-TF-IDF", 42, api_name="/topics")
    with pytest.raises(AppError, match="Unknown representation"):
        client.predict("a\nb", 10, 15, "LDA", 42, api_name="/topics")


@pytest.mark.browser
def test_topics_tab_in_browser(page, docs_labels):
    pg = page.open("Topics")
    pg.get_by_label("Paste text (one document per line)").check()
    pg.get_by_label("Documents, one per line").fill("\n".join(docs_labels[0]))
    pg.get_by_role("button", name="Find topics").click()
    pg.get_by_text("now: c-TF-IDF").first.wait_for(timeout=180_000)
    page.screenshot("topics-fitted")
    pg.get_by_label("MMR", exact=True).check()
    pg.get_by_text("now: MMR").first.wait_for(timeout=60_000)
    pg.get_by_text("before: c-TF-IDF").first.wait_for(timeout=10_000)
    page.screenshot("topics-mmr")
    page.assert_clean()
