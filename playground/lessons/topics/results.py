"""What the Topics tab computes: a corpus in, one `TopicsResult` out (and the `topics` endpoint's JSON).

    load_corpus -> run_pipeline (embed, BERTopic fit, represent) -> describe -> TopicsResult

A `TopicsResult` is everything the tab shows of one run, fixed at the time of the run: the fitted
model is shared through the fit cache and re-described in place by later representation changes
(by this learner or another one on the same corpus), so the words, the 2-D layout and BERTopic's
own figures are taken when the result is made, and the views read only the result.
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import plotly.graph_objects as go

from playground.checks import UserInputError, check_int, check_text
from playground.data import BUILTIN_CORPORA, Corpus, load_builtin, read_upload
from playground.lessons.topics import pipeline as P
from playground.models import ModelHub
from playground.models.embedding_cache import CACHE, embed_texts
from playground.viz.topic_figures import fit_hierarchy, fit_intertopic_map, message_figure

log = logging.getLogger(__name__)

ENCODER = "all-minilm-l6-v2"
SOURCES = {
    "Labelled subjects (built-in)": "labelled",
    "Python docstrings (built-in)": "docstrings",
    "Upload a file": "upload",
    "Paste text (one document per line)": "paste",
}
NO_LABELS = "(none)"
DOWNLOADS = Path(tempfile.gettempdir()) / "playground-topics"


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
                 progress: Callable | None = None) -> tuple[P.TopicFit, dict]:
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


# --- one run, as the tab shows it ---------------------------------------------------------------


@dataclass
class TopicsResult:
    fit: P.TopicFit
    facts: dict  # seconds per stage, what came from a cache
    label: str  # the representation as the page names it, e.g. "MMR (diversity 0.30)"
    words: dict[int, list[str]]  # each topic's words in that representation, taken at the time of the run
    before: tuple[str, dict[int, list[str]]]  # what the comparison table shows beside them: (label, words)
    labels: list[str] | None  # the corpus's own labels, to check the topics against
    notices: list[str]  # what was cut or changed on the way in
    knobs: tuple  # the fit's inputs as they were set: a representation change alone only re-describes
    coords: np.ndarray  # (n, 2) the document map
    where: str  # where the map's coordinates come from
    distance_map: go.Figure  # BERTopic's own figures, drawn from the model as it was for this run
    hierarchy: go.Figure
    table_csv: str  # downloads
    model_zip: str

    def as_json(self) -> dict:
        """The `topics` endpoint's shape."""
        return {**P.topics_json(self.fit, self.words), "seconds": round(self.facts["total_s"], 3)}


def rep_label(name: str, diversity: float) -> str:
    return f"MMR (diversity {diversity:.2f})" if name == "MMR" else name


def knobs(*values) -> tuple:
    """The inputs of a fit as they were set (long pasted text by its hash), to tell a representation-only change."""
    return tuple(P.corpus_key([v]) if isinstance(v, str) and len(v) > 200 else v for v in values)


def bertopic_figure(make: Callable[[], go.Figure], what: str) -> go.Figure:
    """One of BERTopic's own plotly figures, or a note when the corpus is too small for it."""
    try:
        return make()
    except Exception as exc:  # both need several topics; say so rather than fail the whole run
        log.info("%s not drawn: %s", what, exc)
        return message_figure(f"No {what}: it needs at least three topics ({type(exc).__name__}).")


def describe(fit: P.TopicFit, facts: dict, label: str, labels: list[str] | None, notices: list[str], knobs: tuple,
             last: TopicsResult | None) -> TopicsResult:
    """Everything the tab shows of a fitted, described model. The comparison shows the previous
    run's words when only the representation changed, else the plain c-TF-IDF words."""
    if last is not None and (last.fit.key, last.fit.settings) == (fit.key, fit.settings) and last.label != label:
        before = (last.label, last.words)
    else:
        before = ("c-TF-IDF", {t: [w for w, _ in ws if w] for t, ws in fit.ctfidf.items()})
    s = fit.settings
    coords, where = P.map_2d(fit.embeddings, fit.key, s.n_neighbors, s.n_components, s.seed)
    n_topics = len(set(fit.topics.tolist()) - {-1})
    distance_map = bertopic_figure(lambda: fit_intertopic_map(fit.model.visualize_topics()), "intertopic distance map")
    hierarchy = bertopic_figure(lambda: fit_hierarchy(fit.model.visualize_hierarchy(), n_topics), "hierarchy")
    table_csv, model_zip = write_downloads(fit, label)
    return TopicsResult(fit, facts, label, {t: list(ws) for t, ws in fit.words.items()}, before, labels, notices,
                        knobs, coords, where, distance_map, hierarchy, table_csv, model_zip)


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
