"""Topics lesson: BERTopic, stage by stage, on built-in or uploaded corpora.

With no labels at all, embed -> reduce -> cluster -> describe finds the themes in a pile of
documents. The learner sees each stage's output (the 2-D map with HDBSCAN's noise counted, the
topic table, c-TF-IDF bars, the intertopic map, the hierarchy), turns each stage's knob, and on a
labelled corpus checks the topics against the labels (ARI, NMI). Changing only the representation
re-describes the same clusters: embeddings and UMAP layouts are cached (see pipeline.py).

Each run makes one `TopicsResult` (results.py), kept in one `gr.State`; the views below read only it.
"""

from __future__ import annotations

import functools
import time

import gradio as gr
import numpy as np

from playground.checks import check_float, check_int
from playground.data import upload_columns
from playground.lessons.topics import pipeline as P
from playground.lessons.topics.results import (
    ENCODER,
    NO_LABELS,
    SOURCES,
    TopicsResult,
    describe,
    knobs,
    load_corpus,
    rep_label,
    run_pipeline,
    topics_result,
    write_downloads,
)
from playground.models import ModelHub
from playground.ui.errors import friendly, on_gpu
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK
from playground.viz.topic_figures import ctfidf_bars, document_map, topic_name

TITLE = "Topics"
METRICS_NOTE = ("ARI (adjusted Rand index) is 1 when topics split the documents exactly as the labels do and 0 "
                "for a random split; NMI says, from 0 to 1, how much knowing a document's topic tells you about "
                "its label. Noise counts as one more group.")
# (label, [source, limit, UMAP neighbours, UMAP dimensions, minimum cluster size, number of topics,
#  representation, MMR diversity])
EXAMPLES = [
    ("Eight subjects, defaults", ["Labelled subjects (built-in)", 1000, 15, 5, 10, 0, "c-TF-IDF", 0.3]),
    # 50 is about one subject's size here (~50 documents each): subjects just under it cannot be a topic of
    # their own and end up merged or as noise (measured: 3 topics and 100 of 400 as noise, against 7 and 0)
    ("Big minimum size: more noise", ["Labelled subjects (built-in)", 1000, 15, 5, 50, 0, "c-TF-IDF", 0.3]),
    ("Forced down to 4 topics", ["Labelled subjects (built-in)", 1000, 15, 5, 10, 4, "c-TF-IDF", 0.3]),
    ("Cluster in 2-D, describe with MMR", ["Labelled subjects (built-in)", 1000, 15, 2, 10, 0, "MMR", 0.6]),
    ("Library docstrings, KeyBERT-inspired words", ["Python docstrings (built-in)", 1500, 15, 5, 15, 0, "KeyBERTInspired", 0.3]),
]

# what tests and the bench call from here
__all__ = ["ENCODER", "TITLE", "build_tab", "load_corpus", "topics_result", "write_downloads"]


# --- the views: pure functions of a TopicsResult ------------------------------------------------


def stage_report(result: TopicsResult) -> str:
    fit, facts, s = result.fit, result.facts, result.fit.settings
    cached = "reused from the cache" if facts["fit_cached"] else None
    umap = cached or ("layout reused from the cache" if fit.umap_cached else f"{fit.seconds.get('umap', 0):.1f} s")
    cluster = cached or f"{fit.seconds.get('cluster', 0):.2f} s"
    found = f"found **{fit.found_topics}** clusters"
    if s.nr_topics:
        found += f", merged into **{len(set(fit.topics.tolist()) - {-1})}** (number of topics = {s.nr_topics})"
    lines = [
        f"1. **Embed** {len(fit.docs):,} documents with all-MiniLM-L6-v2 ({fit.embeddings.shape[1]} numbers each): "
        + ("not run again (same documents)." if facts.get("represent_only") else
           f"{facts['embed_s']:.1f} s, {facts['embedded_new']:,} new, the rest from the cache."),
        f"2. **Reduce** with UMAP to {s.n_components} dimensions ({s.n_neighbors} neighbours, seed {s.seed}): {umap}.",
        f"3. **Cluster** with HDBSCAN (minimum size {s.min_cluster_size}): {found}; "
        f"**{fit.outliers:,}** documents are noise (topic -1): {cluster} with c-TF-IDF.",
        f"4. **Describe** with {result.label}: "
        + (f"{fit.seconds['represent']:.2f} s." if "represent" in fit.seconds else "done with the clusters in stage 3.")
        + (" (Only this stage ran: the clusters above are the same.)" if facts["fit_cached"] else ""),
        f"\nTotal {facts['total_s']:.1f} s.",
    ]
    if fit.found_topics == 0:
        lines.append("\n**HDBSCAN found no cluster: every document is noise.** Lower the minimum cluster size, or "
                     "give UMAP more neighbours, and run again.")
    notes = "".join(f"\n\n> {n}" for n in result.notices)
    return "\n".join(lines) + f"\n\n*Map:* {result.where}" + notes


def label_report(result: TopicsResult) -> str:
    fit, labels = result.fit, result.labels
    if not labels:
        return "No labels for this corpus, so there is nothing to check the topics against (that is the usual case)."
    m = P.label_agreement(fit.topics, labels)
    line = (f"**Against the {len(set(labels))} labels:** ARI **{m['ari']:.3f}**, NMI **{m['nmi']:.3f}**")
    if "ari_clustered" in m and fit.outliers:
        line += f" (ARI on the {len(fit.docs) - fit.outliers:,} non-noise documents: {m['ari_clustered']:.3f})"
    return line + ".\n\n" + METRICS_NOTE


def topic_rows(result: TopicsResult) -> list[list]:
    sizes = result.fit.sizes()
    return [[t, sizes.get(t, 0), ", ".join(result.words.get(t, []))] for t in sorted(result.words)]


def compare_rows(result: TopicsResult) -> list[list]:
    before = result.before[1]
    return [[t, ", ".join(before.get(t, [])), ", ".join(result.words.get(t, []))] for t in sorted(result.words)]


def topic_docs_markdown(result: TopicsResult, topic: int) -> str:
    fit = result.fit
    rows = P.representative_docs(fit, topic)
    words = ", ".join(result.words.get(topic, [])[:8])
    head = (f"**Noise (-1)**: {int((fit.topics == -1).sum())} documents HDBSCAN left in no cluster (first few)."
            if topic == -1 else f"**Topic {topic}** ({int((fit.topics == topic).sum())} documents): {words}\n\n"
            "Its documents nearest the topic's centre (cosine similarity of the embeddings):")
    lines = [head, ""]
    for doc, sim in rows:
        shown = doc if len(doc) <= 400 else doc[:399] + "…"
        lines.append(f"- {shown}" + ("" if np.isnan(sim) else f"  *(similarity {sim:.2f})*"))
    return "\n".join(lines)


def topic_choices(result: TopicsResult) -> list[tuple[str, int]]:
    sizes = result.fit.sizes()
    return [(f"{topic_name(t, result.words.get(t, []))} ({sizes.get(t, 0)})", t) for t in sorted(sizes)]


def topics_view(result: TopicsResult | None) -> tuple:
    """Every output of the tab but the raw JSON, from one result (nothing yet: nothing changes)."""
    if result is None:
        return tuple(gr.skip() for _ in range(12))
    fit = result.fit
    found = f"{len(set(fit.topics.tolist()) - {-1})} topics, {fit.outliers} noise documents"
    choices = topic_choices(result)
    first = next((v for _, v in choices if v != -1), choices[0][1])
    return (
        stage_report(result),
        label_report(result),
        document_map(result.coords, fit.topics, fit.docs, result.words, f"{len(fit.docs):,} documents: {found}"),
        topic_rows(result),
        gr.Dataframe(value=compare_rows(result), headers=["topic", f"before: {result.before[0]}", f"now: {result.label}"]),
        ctfidf_bars(fit.ctfidf, fit.sizes()),
        result.distance_map,
        result.hierarchy,
        gr.Dropdown(choices=choices, value=first),
        topic_docs_markdown(result, first),
        result.table_csv,
        result.model_zip,
    )


# --- the handlers (the hub is bound in build_tab) -------------------------------------------------


@friendly
def find_topics(hub: ModelHub, source: str, limit: int, upload: str | None, text_col: str | None,
                label_col: str | None, pasted: str | None, n_neighbors: int, n_components: int, min_cluster: int,
                nr_topics: int, representation: str, diversity: float, seed: int, last: TopicsResult | None,
                progress=gr.Progress()) -> tuple[TopicsResult, dict]:
    """Fit and describe the chosen corpus with the knobs as set (stages already cached are reused)."""
    lim = check_int(limit, low=1, high=P.MAX_DOCS, what="The document limit")
    nn = check_int(n_neighbors, low=2, high=200, what="UMAP neighbours")
    nc = check_int(n_components, low=2, high=10, what="UMAP dimensions")
    mcs = check_int(min_cluster, low=2, high=500, what="Minimum cluster size")
    nt = check_int(nr_topics, low=0, high=200, what="Number of topics")
    div = check_float(diversity, low=0.0, high=1.0, what="MMR diversity")
    sd = check_int(seed, low=0, high=2**31 - 1, what="Seed")
    rep = P.representation_name(representation)
    progress(0.0, desc="reading the corpus")
    corpus, notices = load_corpus(source, lim, upload, text_col, label_col, pasted)
    nn, more = P.check_corpus(corpus.texts, mcs, nn)
    fit, facts = run_pipeline(hub, corpus.texts, P.TopicSettings(nn, nc, mcs, nt or None, sd), rep, div, progress)
    progress(0.9, desc="drawing")
    set_as = knobs(source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components, min_cluster,
                   nr_topics, seed)
    result = describe(fit, facts, rep_label(rep, div), corpus.labels, notices + more, set_as, last)
    return result, result.as_json()


@friendly
def change_representation(source: str, limit: int, upload: str | None, text_col: str | None, label_col: str | None,
                          pasted: str | None, n_neighbors: int, n_components: int, min_cluster: int, nr_topics: int,
                          representation: str, diversity: float, seed: int, last: TopicsResult | None,
                          progress=gr.Progress()) -> tuple:
    """Re-describe the last fitted clusters: no embedding, no UMAP, no HDBSCAN."""
    set_as = knobs(source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components, min_cluster,
                   nr_topics, seed)
    if last is None or last.knobs != set_as:  # nothing fitted yet, or other knobs moved too (an example):
        return gr.skip(), gr.skip()  # the button (or the example's own run) fits those
    rep = P.representation_name(representation)
    div = check_float(diversity, low=0.0, high=1.0, what="MMR diversity")
    start = time.perf_counter()
    progress(0.2, desc=f"describing topics with {rep}")
    P.represent(last.fit, rep, div)
    facts = {"embed_s": 0.0, "embedded_new": 0, "fit_cached": True, "represent_only": True,
             "total_s": time.perf_counter() - start}
    progress(0.9, desc="drawing")
    result = describe(last.fit, facts, rep_label(rep, div), last.labels, last.notices, set_as, last)
    return result, result.as_json()


@friendly
def show_topic(result: TopicsResult | None, topic: int | None) -> str:
    if result is None or topic is None:
        return ""
    return topic_docs_markdown(result, int(topic))


@friendly
def on_source(choice: str) -> tuple:
    kind = SOURCES.get(choice)
    return gr.Row(visible=kind == "upload"), gr.Textbox(visible=kind == "paste")


@friendly
def on_upload(path: str | None) -> tuple:
    if not path:
        return gr.Dropdown(choices=[], value=None), gr.Dropdown(choices=[NO_LABELS], value=NO_LABELS)
    cols = upload_columns(path)
    guess = next((c for c in ("text", "sentence", "document", "content", "body") if c in cols), cols[0])
    label_guess = next((c for c in ("label", "labels", "category", "class", "topic") if c in cols), NO_LABELS)
    return gr.Dropdown(choices=cols, value=guess), gr.Dropdown(choices=[NO_LABELS] + cols, value=label_guess)


@friendly
def topics(hub: ModelHub, docs: str, min_cluster_size: int, n_neighbors: int, representation: str, seed: int) -> dict:
    return topics_result(hub, docs, min_cluster_size, n_neighbors, representation, seed)


class TopicsEndpoint:
    """BERTopic on documents given one per line (UMAP to 5 dimensions, MMR diversity 0.3).

    representation: "c-TF-IDF", "MMR" or "KeyBERTInspired". Returns {"topics": [{"id", "count",
    "words"}], "assignments": one topic id per document (-1 = noise), "outliers": how many are
    noise, "seconds"}. The same seed gives the same topics.
    """

    # a class, not functools.partial: gr.api reads the parameter types from the signature

    def __init__(self, hub: ModelHub):
        self._run = on_gpu(functools.partial(topics, hub))  # ZeroGPU pickles the values, never the hub

    def __call__(self, docs: str, min_cluster_size: int, n_neighbors: int, representation: str, seed: int) -> dict:
        return self._run(docs, min_cluster_size, n_neighbors, representation, seed)


# --- the tab ------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "Give BERTopic a pile of documents and no labels. It **embeds** each one as a vector, **reduces** the "
        "vectors to a few dimensions with UMAP, **clusters** them with HDBSCAN, and **describes** each cluster "
        "by the words that set it apart (c-TF-IDF). Each stage has a knob, and the words are only as good as "
        "the clusters.",
        ["Grey crosses on the map are noise: documents HDBSCAN put in no topic. They are counted, not hidden.",
         "Changing only the representation keeps every document in its topic; only the keywords change.",
         "On the labelled corpus, ARI and NMI say how closely topics found without labels match the labels."],
        ["Raise the minimum cluster size from 10 to 50, about one subject's size: fewer, bigger topics, and a "
         "quarter of the documents left as noise.",
         "Switch the representation to MMR, then KeyBERTInspired, and compare the keyword columns.",
         "Set number of topics to 4 on the labelled corpus: which subjects get merged, and why?"],
    )
    with gr.Row():
        source = gr.Radio(list(SOURCES), value="Labelled subjects (built-in)", label="Corpus", scale=3)
        limit = gr.Slider(20, P.MAX_DOCS, value=1000, step=10, label="At most this many documents", scale=2)
    with gr.Row(visible=False) as upload_row:
        upload = gr.File(label="CSV, TXT (one text per line) or JSONL", file_types=[".csv", ".tsv", ".txt", ".jsonl"],
                         type="filepath", scale=2)
        text_col = gr.Dropdown(label="Text column", choices=[], allow_custom_value=True, scale=1)
        label_col = gr.Dropdown(label="Label column (optional)", choices=[NO_LABELS], value=NO_LABELS, scale=1)
    pasted = gr.Textbox(label="Documents, one per line", lines=8, visible=False, max_length=P.MAX_DOCS * P.MAX_CHARS_PER_DOC)
    with gr.Row():
        n_neighbors = gr.Slider(2, 100, value=15, step=1, label="UMAP neighbours (local ↔ global structure)")
        n_components = gr.Slider(2, 10, value=5, step=1, label="UMAP dimensions HDBSCAN clusters in")
        min_cluster = gr.Slider(2, 100, value=10, step=1, label="HDBSCAN minimum cluster size")
        nr_topics = gr.Slider(0, 40, value=0, step=1, label="Number of topics (0 = as HDBSCAN found them)")
    with gr.Row():
        representation = gr.Radio(list(P.REPRESENTATIONS), value="c-TF-IDF", label="Representation (describe stage)", scale=2)
        diversity = gr.Slider(0.0, 1.0, value=0.3, step=0.05, label="MMR diversity", scale=1)
        seed = gr.Number(value=42, precision=0, label="Seed (UMAP)", scale=1)
        run = gr.Button("Find topics", variant="primary", scale=1)
    examples = gr.Examples(
        examples=[row for _, row in EXAMPLES], example_labels=[label for label, _ in EXAMPLES],
        inputs=[source, limit, n_neighbors, n_components, min_cluster, nr_topics, representation, diversity],
        api_name="topics_example",
    )
    stages = gr.Markdown()
    metrics = gr.Markdown()
    with gr.Row():
        doc_map = gr.Plot(label="Documents, coloured by topic", scale=3)
        table = gr.Dataframe(headers=["topic", "size", "top words"], label="Topics", interactive=False, wrap=True, scale=2,
                             column_widths=["12%", "12%", "76%"])
    compare = gr.Dataframe(headers=["topic", "before", "now"], label="Keywords before and after the representation change",
                           interactive=False, wrap=True, column_widths=["8%", "46%", "46%"])
    bars = gr.Plot(label="c-TF-IDF words per topic (how much more often a word occurs in the topic than in the corpus)")
    with gr.Row():
        distance_map = gr.Plot(label="Intertopic distance map (BERTopic)")
        hierarchy = gr.Plot(label="Topic hierarchy (BERTopic)")
    with gr.Row():
        topic_pick = gr.Dropdown(label="Read a topic's documents", choices=[], scale=1)
        topic_docs = gr.Markdown()
    with gr.Row():
        csv_file = gr.File(label="Topic table (CSV)")
        model_file = gr.File(label="Fitted model (BERTopic safetensors, zipped)")
    with gr.Accordion("Raw result (what the topics API returns)", open=False):
        raw = gr.JSON()
    state = gr.State()

    # --- wiring ---
    inputs = [source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components, min_cluster, nr_topics,
              representation, diversity, seed, state]
    view = [stages, metrics, doc_map, table, compare, bars, distance_map, hierarchy, topic_pick, topic_docs,
            csv_file, model_file]
    show = friendly(topics_view)
    fit = on_gpu(functools.partial(find_topics, hub))  # ZeroGPU pickles the UI's values, never the hub
    opened = first_view_trigger()  # the first view: topics of the labelled subjects (a fit is cached per process)
    gr.on([run.click, opened.change], fit, inputs, [state, raw], api_name="topics_explore", show_progress_on=stages,
          **MODEL_WORK).success(
        show, state, view, api_name="topics_explore_view", **LIGHT_WORK)
    examples.load_input_event.then(fit, inputs, [state, raw], api_name="topics_example_run", show_progress_on=stages,
                                   **MODEL_WORK).success(show, state, view, api_name="topics_example_view", **LIGHT_WORK)
    gr.on([representation.change, diversity.release], on_gpu(change_representation), inputs, [state, raw],
          api_name="topics_represent", trigger_mode="always_last", show_progress_on=stages, **MODEL_WORK).success(
        show, state, view, api_name="topics_represent_view", **LIGHT_WORK)
    topic_pick.change(show_topic, [state, topic_pick], topic_docs, api_name="topics_docs", **LIGHT_WORK)
    source.change(on_source, source, [upload_row, pasted], api_name="topics_source", **LIGHT_WORK)
    upload.change(on_upload, upload, [text_col, label_col], api_name="topics_upload_columns", **LIGHT_WORK)
    gr.api(TopicsEndpoint(hub), api_name="topics", **MODEL_WORK)
    return LessonPage(inputs={"corpus": source, "limit": limit, "neighbours": n_neighbors, "dimensions": n_components,
                              "min_cluster": min_cluster, "topics": nr_topics, "representation": representation,
                              "diversity": diversity, "seed": seed}, opened=opened)
