"""Topics lesson: BERTopic, stage by stage, on built-in or uploaded corpora.

With no labels at all, embed -> reduce -> cluster -> describe finds the themes in a pile of
documents. The learner sees each stage's output (the 2-D map with HDBSCAN's noise counted, the
topic table, c-TF-IDF bars, the intertopic map, the hierarchy), turns each stage's knob, and on a
labelled corpus checks the topics against the labels (ARI, NMI). Changing only the representation
re-describes the same clusters: embeddings and UMAP layouts are cached (see topics_pipeline.py).
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from playground.data.corpora import BUILTIN_CORPORA, Corpus, load_builtin
from playground.data.uploads import read_upload, upload_columns
from playground.lessons.topics import pipeline as P
from playground.models import ModelHub
from playground.models.embedding_cache import CACHE, embed_texts
from playground.checks import UserInputError, check_float, check_int, check_text
from playground.ui.errors import friendly
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK
from playground.viz.topic_figures import ctfidf_bars, document_map, message_figure, topic_name

log = logging.getLogger(__name__)

TITLE = "Topics"
ENCODER = "all-minilm-l6-v2"
SOURCES = {
    "Labelled subjects (built-in)": "labelled",
    "Python docstrings (built-in)": "docstrings",
    "Upload a file": "upload",
    "Paste text (one document per line)": "paste",
}
NO_LABELS = "(none)"
DOWNLOADS = Path(tempfile.gettempdir()) / "playground-topics"
METRICS_NOTE = ("ARI (adjusted Rand index) is 1 when topics split the documents exactly as the labels do and 0 "
                "for a random split; NMI says, from 0 to 1, how much knowing a document's topic tells you about "
                "its label. Noise counts as one more group.")


# --- corpus -------------------------------------------------------------------------------------


def load_corpus(source: str, limit: int, upload: str | None, text_col: str | None, label_col: str | None,
                pasted: str | None) -> tuple[Corpus, list[str]]:
    """The chosen corpus, cut to `limit` documents, with notices of every cut."""
    kind = SOURCES.get(source, source)
    if kind in BUILTIN_CORPORA:
        corpus = load_builtin(kind)
    elif kind == "upload":
        if not upload:
            raise UserInputError("Upload a .csv, .txt or .jsonl file first, or pick a built-in corpus.")
        label = None if label_col in (None, "", NO_LABELS) else label_col
        corpus = read_upload(upload, text_column=text_col or None, label_column=label)
    elif kind == "paste":
        text, cut = check_text(pasted, max_chars=P.MAX_DOCS * P.MAX_CHARS_PER_DOC, what="documents")
        docs, notices = P.split_lines(text, max_docs=limit)
        return Corpus("pasted", docs), ([cut] if cut else []) + notices
    else:
        raise UserInputError(f"Unknown corpus source {source!r}.")
    notices = [corpus.notice] if corpus.notice else []
    docs, more = P.limit_docs(list(corpus.texts), max_docs=limit)
    labels = list(corpus.labels)[: len(docs)] if corpus.labels else None
    return Corpus(corpus.name, docs, labels), notices + more


# --- the whole pipeline, stage by stage ---------------------------------------------------------


def run_pipeline(hub: ModelHub, docs: list[str], settings: P.TopicSettings, representation: str, diversity: float,
                 progress=None) -> tuple[P.TopicFit, dict]:
    """Embed (cached per text) -> BERTopic fit (UMAP cached) -> representation. Returns the fit and stage facts."""
    report = progress or (lambda *a, **k: None)
    facts = {}
    start = time.perf_counter()
    encoded_before = CACHE.encoded
    report(0.0, desc="embedding documents")
    embeddings = embed_texts(hub, docs, key=ENCODER, progress=(lambda f, desc="": report(0.45 * f, desc=desc)))
    facts["embed_s"] = time.perf_counter() - start
    facts["embedded_new"] = CACHE.encoded - encoded_before
    hits_before = P.FIT_CACHE.get((P.corpus_key(docs), settings)) is not None

    def encode(texts: list[str]) -> np.ndarray:
        return embed_texts(hub, texts, key=ENCODER)

    fit = P.fit_topics(docs, embeddings, settings, encode, progress=lambda f, what: report(f, desc=what))
    facts["fit_cached"] = hits_before
    report(0.85, desc=f"describing topics with {P.representation_name(representation)}")
    P.represent(fit, representation, diversity)
    facts["total_s"] = time.perf_counter() - start
    return fit, facts


def topics_result(hub: ModelHub, docs: str, min_cluster_size: int, n_neighbors: int, representation: str,
                  seed: int) -> dict:
    """The `topics` API: documents one per line in, topics / assignments / outliers / seconds out."""
    start = time.perf_counter()
    text, _ = check_text(docs, max_chars=P.MAX_DOCS * P.MAX_CHARS_PER_DOC, what="documents")
    mcs = check_int(min_cluster_size, low=2, high=500, what="Minimum cluster size")
    nn = check_int(n_neighbors, low=2, high=200, what="UMAP neighbours")
    seed = check_int(seed, low=0, high=2**31 - 1, what="Seed")
    rep = P.representation_name(representation)
    lines, _ = P.split_lines(text)
    nn, _ = P.check_corpus(lines, mcs, nn)
    fit, _ = run_pipeline(hub, lines, P.TopicSettings(nn, 5, mcs, None, seed), rep, 0.3)
    return {**P.topics_json(fit), "seconds": round(time.perf_counter() - start, 3)}


# --- what the page shows ------------------------------------------------------------------------


def stage_report(fit: P.TopicFit, facts: dict, rep_label: str, n_dims: int) -> str:
    s = fit.settings
    cached = "reused from the cache" if facts["fit_cached"] else None
    umap = cached or ("layout reused from the cache" if fit.umap_cached else f"{fit.seconds.get('umap', 0):.1f} s")
    cluster = cached or f"{fit.seconds.get('cluster', 0):.2f} s"
    found = f"found **{fit.found_topics}** clusters"
    if s.nr_topics:
        found += f", merged into **{len(set(fit.topics.tolist()) - {-1})}** (number of topics = {s.nr_topics})"
    return "\n".join([
        f"1. **Embed** {len(fit.docs):,} documents with all-MiniLM-L6-v2 ({n_dims} numbers each): "
        + ("not run again (same documents)." if facts.get("represent_only") else
           f"{facts['embed_s']:.1f} s, {facts['embedded_new']:,} new, the rest from the cache."),
        f"2. **Reduce** with UMAP to {s.n_components} dimensions ({s.n_neighbors} neighbours, seed {s.seed}): {umap}.",
        f"3. **Cluster** with HDBSCAN (minimum size {s.min_cluster_size}): {found}; "
        f"**{fit.outliers:,}** documents are noise (topic -1): {cluster} with c-TF-IDF.",
        f"4. **Describe** with {rep_label}: "
        + (f"{fit.seconds['represent']:.2f} s." if "represent" in fit.seconds else "done with the clusters in stage 3.")
        + (" (Only this stage ran: the clusters above are the same.)" if facts["fit_cached"] else ""),
        f"\nTotal {facts['total_s']:.1f} s.",
    ] + (["\n**HDBSCAN found no cluster: every document is noise.** Lower the minimum cluster size, or give "
          "UMAP more neighbours, and run again."] if fit.found_topics == 0 else []))


def rep_label(name: str, diversity: float) -> str:
    return f"MMR (diversity {diversity:.2f})" if name == "MMR" else name


def topic_rows(fit: P.TopicFit) -> list[list]:
    sizes = fit.sizes()
    return [[t, sizes.get(t, 0), ", ".join(fit.words.get(t, []))] for t in sorted(fit.words)]


def compare_rows(fit: P.TopicFit, before: dict[int, list[str]]) -> list[list]:
    return [[t, ", ".join(before.get(t, [])), ", ".join(fit.words.get(t, []))] for t in sorted(fit.words)]


def bertopic_figure(make, what: str):
    """BERTopic's own plotly figures, or a note when the corpus is too small for them."""
    try:
        fig = make()
        fig.update_layout(width=None, autosize=True)
        return fig
    except Exception as exc:  # both need several topics; say so rather than fail the whole run
        log.info("%s not drawn: %s", what, exc)
        return message_figure(f"No {what}: it needs at least three topics ({type(exc).__name__}).")


def label_report(fit: P.TopicFit, labels: list[str] | None) -> str:
    if not labels:
        return "No labels for this corpus, so there is nothing to check the topics against (that is the usual case)."
    m = P.label_agreement(fit.topics, labels)
    line = (f"**Against the {len(set(labels))} labels:** ARI **{m['ari']:.3f}**, NMI **{m['nmi']:.3f}**")
    if "ari_clustered" in m and fit.outliers:
        line += f" (ARI on the {len(fit.docs) - fit.outliers:,} non-noise documents: {m['ari_clustered']:.3f})"
    return line + ".\n\n" + METRICS_NOTE


def write_downloads(fit: P.TopicFit, rep: str) -> tuple[str, str]:
    """The topic table as CSV and the fitted model in BERTopic's safetensors format, zipped."""
    folder = DOWNLOADS / f"{fit.key}-{abs(hash((fit.settings, fit.representation))) % 10**10}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sizes = fit.sizes()
    table = folder / "topics.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["topic", "count", f"words ({rep})", "c-TF-IDF words"])
        for t in sorted(fit.words):
            w.writerow([t, sizes.get(t, 0), " ".join(fit.words[t]), " ".join(x for x, _ in fit.ctfidf.get(t, []))])
    model_dir = folder / "bertopic-model"
    # safetensors, never pickle; the embedding model is a name in config.json, not weights
    fit.model.save(model_dir, serialization="safetensors", save_ctfidf=True, save_embedding_model=P.EMBEDDING_MODEL_NAME)
    (model_dir / "README.txt").write_text(
        "BERTopic model saved with serialization='safetensors'. Load it with\n"
        "    from bertopic import BERTopic\n"
        "    from sentence_transformers import SentenceTransformer\n"
        f"    model = BERTopic.load('bertopic-model', embedding_model=SentenceTransformer('{P.EMBEDDING_MODEL_NAME}'))\n",
        encoding="utf-8",
    )
    archive = shutil.make_archive(str(folder / "bertopic-model"), "zip", root_dir=folder, base_dir="bertopic-model")
    return str(table), archive


def topic_docs_markdown(fit: P.TopicFit, topic: int) -> str:
    rows = P.representative_docs(fit, topic)
    words = ", ".join(fit.words.get(topic, [])[:8])
    head = (f"**Noise (-1)**: {int((fit.topics == -1).sum())} documents HDBSCAN left in no cluster (first few)."
            if topic == -1 else f"**Topic {topic}** ({int((fit.topics == topic).sum())} documents): {words}\n\n"
            "Its documents nearest the topic's centre (cosine similarity of the embeddings):")
    lines = [head, ""]
    for doc, sim in rows:
        shown = doc if len(doc) <= 400 else doc[:399] + "…"
        lines.append(f"- {shown}" + ("" if np.isnan(sim) else f"  *(similarity {sim:.2f})*"))
    return "\n".join(lines)


def topic_choices(fit: P.TopicFit) -> list[tuple[str, int]]:
    sizes = fit.sizes()
    return [(f"{topic_name(t, fit.words.get(t, []))} ({sizes.get(t, 0)})", t) for t in sorted(sizes)]


def knobs(*values) -> tuple:
    """The inputs of a fit as they were set (long pasted text by its hash), to tell a representation-only change."""
    return tuple(P.corpus_key([v]) if isinstance(v, str) and len(v) > 200 else v for v in values)


def render(fit: P.TopicFit, facts: dict, label: str, labels: list[str] | None, notices: list[str], last: dict | None,
           progress=None) -> tuple:
    """Every output of the tab for a fitted, described model (the state last: the previous run's keywords)."""
    same = last is not None and last["fit"] == (fit.key, fit.settings)
    if same and last["label"] != label:
        before, before_label = last["words"], last["label"]
    else:
        before, before_label = {t: [w for w, _ in ws if w] for t, ws in fit.ctfidf.items()}, "c-TF-IDF"
    if progress:
        progress(0.9, desc="drawing")
    s = fit.settings
    coords, where = P.map_2d(fit.embeddings, fit.key, s.n_neighbors, s.n_components, s.seed)
    found = f"{len(set(fit.topics.tolist()) - {-1})} topics, {fit.outliers} noise documents"
    fig = document_map(coords, fit.topics, fit.docs, fit.words, f"{len(fit.docs):,} documents: {found}")
    notes = "".join(f"\n\n> {n}" for n in notices)
    choices = topic_choices(fit)
    first = next((v for _, v in choices if v != -1), choices[0][1])
    csv_path, zip_path = write_downloads(fit, label)
    new_state = {"fit": (fit.key, fit.settings), "label": label, "words": dict(fit.words), "labels": labels,
                 "notices": notices}
    return [
        stage_report(fit, facts, label, fit.embeddings.shape[1]) + f"\n\n*Map:* {where}" + notes,
        label_report(fit, labels),
        fig,
        topic_rows(fit),
        gr.Dataframe(value=compare_rows(fit, before), headers=["topic", f"before: {before_label}", f"now: {label}"]),
        ctfidf_bars(fit.ctfidf, fit.sizes()),
        bertopic_figure(fit.model.visualize_topics, "intertopic distance map"),
        bertopic_figure(fit.model.visualize_hierarchy, "hierarchy"),
        gr.Dropdown(choices=choices, value=first),
        topic_docs_markdown(fit, first),
        csv_path,
        zip_path,
        {**P.topics_json(fit), "seconds": round(facts["total_s"], 3)},
        new_state,
    ]


# --- the tab ------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> None:
    lesson_intro(
        "Give BERTopic a pile of documents and no labels. It **embeds** each one as a vector, **reduces** the "
        "vectors to a few dimensions with UMAP, **clusters** them with HDBSCAN, and **describes** each cluster "
        "by the words that set it apart (c-TF-IDF). Each stage has a knob, and the words are only as good as "
        "the clusters.",
        ["Grey crosses on the map are noise: documents HDBSCAN put in no topic. They are counted, not hidden.",
         "Changing only the representation keeps every document in its topic; only the keywords change.",
         "On the labelled corpus, ARI and NMI say how closely topics found without labels match the labels."],
        ["Raise the minimum cluster size from 10 to 40: fewer, bigger topics, and more noise.",
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
        examples=[
            ["Labelled subjects (built-in)", 1000, 15, 5, 10, 0, "c-TF-IDF", 0.3],
            ["Labelled subjects (built-in)", 1000, 15, 5, 40, 0, "c-TF-IDF", 0.3],
            ["Labelled subjects (built-in)", 1000, 15, 5, 10, 4, "c-TF-IDF", 0.3],
            ["Labelled subjects (built-in)", 1000, 15, 2, 10, 0, "MMR", 0.6],
            ["Python docstrings (built-in)", 1500, 15, 5, 15, 0, "KeyBERTInspired", 0.3],
        ],
        example_labels=["Eight subjects, defaults", "Big minimum size: more noise", "Forced down to 4 topics",
                        "Cluster in 2-D, describe with MMR", "Library docstrings, KeyBERT-inspired words"],
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
    bars = gr.Plot(label="c-TF-IDF words per topic")
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
    state = gr.State(None)

    @friendly
    def find_topics(source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components, min_cluster,
                    nr_topics, representation, diversity, seed, last, progress=gr.Progress()):
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
        settings = P.TopicSettings(nn, nc, mcs, nt or None, sd)
        fit, facts = run_pipeline(hub, corpus.texts, settings, rep, div, progress)
        out = render(fit, facts, rep_label(rep, div), corpus.labels, notices + more, last, progress)
        out[-1]["knobs"] = knobs(source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components,
                                 min_cluster, nr_topics, seed)
        return out

    @friendly
    def change_representation(source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components,
                              min_cluster, nr_topics, representation, diversity, seed, last, progress=gr.Progress()):
        """Re-describe the last fitted clusters: no embedding, no UMAP, no HDBSCAN."""
        now = knobs(source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components, min_cluster,
                    nr_topics, seed)
        if last is None or last.get("knobs") != now:  # nothing fitted yet, or other knobs moved too (an example):
            return [gr.skip()] * len(outputs)  # the button (or the example's own run) fits those
        fit = P.FIT_CACHE.get(last["fit"])
        if fit is None:
            raise UserInputError("That topic model is no longer in memory; click Find topics again.")
        rep = P.representation_name(representation)
        div = check_float(diversity, low=0.0, high=1.0, what="MMR diversity")
        start = time.perf_counter()
        progress(0.2, desc=f"describing topics with {rep}")
        P.represent(fit, rep, div)
        facts = {"embed_s": 0.0, "embedded_new": 0, "fit_cached": True, "represent_only": True,
                 "total_s": time.perf_counter() - start}
        out = render(fit, facts, rep_label(rep, div), last["labels"], last["notices"], last, progress)
        out[-1]["knobs"] = now
        return out

    inputs = [source, limit, upload, text_col, label_col, pasted, n_neighbors, n_components, min_cluster, nr_topics,
              representation, diversity, seed, state]
    outputs = [stages, metrics, doc_map, table, compare, bars, distance_map, hierarchy, topic_pick, topic_docs,
               csv_file, model_file, raw, state]

    @friendly
    def show_topic(last, topic):
        if last is None or topic is None:
            return ""
        fit = P.FIT_CACHE.get(last["fit"])
        if fit is None:
            raise UserInputError("That topic model is no longer in memory; click Find topics again.")
        return topic_docs_markdown(fit, int(topic))

    @friendly
    def on_source(choice):
        kind = SOURCES.get(choice)
        return gr.Row(visible=kind == "upload"), gr.Textbox(visible=kind == "paste")

    @friendly
    def on_upload(path):
        if not path:
            return gr.Dropdown(choices=[], value=None), gr.Dropdown(choices=[NO_LABELS], value=NO_LABELS)
        cols = upload_columns(path)
        guess = next((c for c in ("text", "sentence", "document", "content", "body") if c in cols), cols[0])
        label_guess = next((c for c in ("label", "labels", "category", "class", "topic") if c in cols), NO_LABELS)
        return gr.Dropdown(choices=cols, value=guess), gr.Dropdown(choices=[NO_LABELS] + cols, value=label_guess)

    run.click(find_topics, inputs, outputs, api_name="topics_explore", show_progress_on=stages, **MODEL_WORK)
    examples.load_input_event.then(find_topics, inputs, outputs, api_name="topics_example_run",
                                   show_progress_on=stages, **MODEL_WORK)
    gr.on([representation.change, diversity.release], change_representation, inputs, outputs,
          api_name="topics_represent", trigger_mode="always_last", show_progress_on=stages, **MODEL_WORK)
    topic_pick.change(show_topic, [state, topic_pick], topic_docs, api_name="topics_docs", **LIGHT_WORK)
    source.change(on_source, source, [upload_row, pasted], api_name="topics_source", **LIGHT_WORK)
    upload.change(on_upload, upload, [text_col, label_col], api_name="topics_upload_columns", **LIGHT_WORK)

    # The JSON endpoint, with exactly its inputs and shape.
    @friendly
    def topics(docs: str, min_cluster_size: int, n_neighbors: int, representation: str, seed: int) -> dict:
        """BERTopic on documents given one per line (UMAP to 5 dimensions, MMR diversity 0.3).

        representation: "c-TF-IDF", "MMR" or "KeyBERTInspired". Returns {"topics": [{"id", "count",
        "words"}], "assignments": one topic id per document (-1 = noise), "outliers": how many are
        noise, "seconds"}. The same seed gives the same topics.
        """
        return topics_result(hub, docs, min_cluster_size, n_neighbors, representation, seed)

    gr.api(topics, api_name="topics", **MODEL_WORK)
