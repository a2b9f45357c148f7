"""Embeddings lesson: an embedding map you can search, colour and trust.

The learner should see that a sentence encoder turns each text into a point in a 384-dimensional
space where similar meanings land near each other; that a 2-D or 3-D projection (UMAP, PCA, t-SNE)
lets us look at that space but bends it, and by how much (k-NN overlap, trustworthiness); that a
query lands among its nearest neighbours; and that inside the model the same word gets different
vectors in different sentences while its input embedding is one fixed row of a table.

Each button computes one result (results.py) kept in one `gr.State`; the views below are pure
functions of those results. Embeddings are cached by (model, text hash) and projections by
(texts, method, dims, seed), so recolouring and searching never re-embed or refit.
"""

from __future__ import annotations


import gradio as gr
import numpy as np
import plotly.graph_objects as go

from playground.checks import UserInputError, check_int
from playground.data import BUILTIN_CORPORA, load_builtin, read_upload, upload_columns
from playground.lessons.embeddings import prediction as P
from playground.lessons.embeddings.context import MAX_SENTENCES, ContextResult, contextual_vectors
from playground.lessons.embeddings.results import (
    KEY,
    MAX_CHARS_PER_TEXT,
    MAX_HEATMAP_TEXTS,
    MAX_K,
    MAX_MAP_TEXTS,
    EmbeddingMap,
    Neighbours,
    Similarity,
    embed_map,
    map_result,
    neighbours,
    neighbours_result,
    parse_texts,
    similarity,
    similarity_result,
)
from playground.lessons.embeddings.space import CLUSTERINGS, METHODS, OVERLAP_K, cached_cluster
from playground.models import ModelHub
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.predict import predict_box, record
from playground.ui.queues import LIGHT_WORK, MODEL_WORK
from playground.viz.embedding_figures import NEIGHBOUR_DASH, cosine_heatmap, embedding_scatter, layer_line

TITLE = "Embeddings"

# the endpoints' own functions, for Python callers and tests
__all__ = ["KEY", "TITLE", "build_tab", "embed_map", "map_result", "map_view", "neighbours", "neighbours_result",
           "similarity", "similarity_result"]

# --- the examples ---------------------------------------------------------------------------------

MAP_EXAMPLES = [
    ("Three subjects, labelled",
     "The striker scored in the last minute.\nThe goalkeeper saved a penalty.\nThe referee showed a red card.\n"
     "Fans sang through the rain at the stadium.\nKnead the dough for ten minutes.\nSimmer the soup with a bay leaf.\n"
     "Whisk the eggs until stiff.\nRoast the tomatoes with garlic.\nThe comet's tail points away from the Sun.\n"
     "A neutron star is the size of a city.\nSaturn's rings are made of ice.\nLight from the Sun takes eight minutes to reach us.",
     "football\nfootball\nfootball\nfootball\ncooking\ncooking\ncooking\ncooking\nastronomy\nastronomy\nastronomy\nastronomy"),
    ("Words that mean two things",
     "I sat on the bank of the river.\nThe bank approved my loan.\nThe bat flew out of the cave at dusk.\n"
     "He swung the bat and hit a home run.\nThe crane lifted steel beams onto the roof.\nA crane stood on one leg in the marsh.\n"
     "She deposited her salary at the bank.\nBaseball players need a good bat.\nThe construction crane towered over the city.\n"
     "Herons and cranes wade in shallow water.\nWe fished from the grassy river bank.\nVampire bats feed at night.",
     "river\nmoney\nanimal\nsport\nmachine\nanimal\nmoney\nsport\nmachine\nanimal\nriver\nanimal"),
]
# (label, texts, what the learner should read next to the heatmap: "" when the cells say it all)
HEAT_EXAMPLES = [
    ("Word order", "The dog bit the man.\nThe man bit the dog.\nA man was bitten by a dog.\nThe weather is lovely today.", ""),
    ("Negation", "I love this film.\nI do not love this film.\nI hate this film.\nThis movie is wonderful.\nThe train leaves at noon.", ""),
    ("Paraphrase vs shared words", "How do I reset my password?\nI forgot my login and need a new one.\n"
     "The password for the wifi is on the fridge.\nHow can I change the colour of my car?", ""),
    ("Other languages (an English-only model)",
     "The cat is sleeping on the sofa.\nLe chat dort sur le canapé.\nDie Katze schläft auf dem Sofa.\n"
     "Stock markets fell sharply today.",
     "**all-MiniLM-L6-v2 was trained on English sentences only.** It reads *Le chat dort sur le canapé* as "
     "English word pieces (`le`, `chat`, `do`, `##rt` …), so the French translation of the first sentence scores "
     "about as low as the unrelated sentence about stock markets: the model cannot tell that they mean the same. "
     "The German line shares one word with the English, *sofa*, and scores a little higher for it. A multilingual "
     "encoder (for example paraphrase-multilingual-MiniLM-L12-v2) is trained on translations so that they land together."),
]
CONTEXT_DEFAULT = (
    "We sat on the bank of the river and watched the boats.\nThe fisherman pulled his boat onto the muddy bank.\n"
    "I went to the bank to pay in a cheque.\nThe bank raised its interest rates again."
)
TRUST_PLACEHOLDER = "Click **Draw the map** to see how well it keeps neighbourhoods."


def _default_map() -> tuple[str, str]:
    corpus = load_builtin("labelled", limit=64)  # a few of each subject: the first click works at once
    return "\n".join(corpus.texts), "\n".join(corpus.labels or [])


def _corpus_to_boxes(corpus) -> tuple[str, str, str]:
    texts = [" ".join(t.split()) for t in corpus.texts]  # one text per line: newlines inside become spaces
    notice = [f"Loaded **{len(texts):,} texts** from {corpus.name}" + (" with labels." if corpus.labels else " (no labels).")]
    if corpus.notice:
        notice.append(corpus.notice)
    notice.append("Now click **Draw the map**.")
    return "\n".join(texts), "\n".join(corpus.labels or []), " ".join(notice)


# --- the views: pure functions of the results -----------------------------------------------------


def trust_panel(result: EmbeddingMap) -> str:
    n, dims = len(result.texts), result.projection.dims
    k = min(OVERLAP_K, n - 1)
    chance = k / max(1, n - 1)
    lines = [
        "### How far to trust this map",
        f"**k-NN overlap: {result.overlap:.2f}** — of each text's {k} nearest neighbours in the full "
        f"{result.vecs.shape[1]}-D space, on average {result.overlap * k:.1f} are also among its {k} nearest on this "
        f"{dims}-D map (1.00 keeps every neighbourhood; random placement would give about {chance:.2f}).",
    ]
    if result.trust is not None:
        lines.append(f"**Trustworthiness: {result.trust:.2f}** — near 1.00 means points that look close on the map "
                     "really are close in the full space; lower means some neighbours you see are artefacts of squashing.")
    lines.append(f"*{result.projection.method}: {result.projection.note}.* Distances *between* far-apart groups mean "
                 "little on UMAP and t-SNE maps; PCA keeps straight-line geometry but loses whatever the hidden "
                 "directions held.")
    return "\n\n".join(lines)


def neighbour_rows(found: Neighbours | None, result: EmbeddingMap | None) -> list[list]:
    """The search's table; labels come from the map when it shows the same texts."""
    if found is None:
        return []
    tags = result.labels if result is not None and result.key == found.key else None
    return [[rank, round(s, 4), (tags[i] if tags else ""), found.texts[i]] for rank, (i, s) in enumerate(found.found, 1)]


def map_view(result: EmbeddingMap | None, colour: str, n_clusters: int,
             found: Neighbours | None = None) -> tuple[go.Figure | None, str, str, list[list]]:
    """The map figure, the trust panel, a note on what the colours and lines mean, and the search table.
    A search over the same texts is drawn on the map: its query, with lines to its nearest texts."""
    rows = neighbour_rows(found, result)
    if result is None:
        return None, TRUST_PLACEHOLDER, ("Click **Draw the map** to see the query among the texts." if found else ""), rows
    proj = result.projection
    note = ""
    clusters = colour in ("k-means", "HDBSCAN")
    if colour == "label":
        groups = result.labels
        if groups is None:
            note = "These texts have no labels, so every point has one colour; colour by k-means or HDBSCAN instead. "
    elif clusters:
        k = check_int(n_clusters, low=2, high=30, what="Number of clusters")
        groups = cached_cluster(result.key, result.vecs, colour, k)
        n_found = len({g for g in groups if not g.startswith("noise")})
        note = (f"Colours are {colour} clusters computed in the full {result.vecs.shape[1]}-D space (not on the map), "
                f"in colours of their own (cluster 0 is not the first label): {n_found} cluster{'s' if n_found != 1 else ''}"
                + (f", {sum(g.startswith('noise') for g in groups)} texts left as noise (grey)" if colour == "HDBSCAN" else "")
                + ". ")
    else:
        groups = None
    overlay, pairs = None, []
    if found is not None and found.key == result.key:
        qpoint, how = proj.place(found.query_vec, [i for i, _ in found.found])
        overlay, pairs = (qpoint, found.query), found.found
        lines = "Dotted lines" if NEIGHBOUR_DASH[proj.dims] == "dot" else "Solid black lines"
        note += f"{how} {lines} join it to its {len(pairs)} nearest texts by cosine in the full space. "
    elif found is not None:
        note += "The search ran on other texts than this map shows: search again to see the query on this map. "
    fig = embedding_scatter(proj.points, result.texts, groups, title=f"{len(result.texts):,} texts, {proj.method} to "
                            f"{proj.dims}-D", query=overlay, neighbours=pairs, clusters=clusters)
    return fig, trust_panel(result), note.strip(), rows


def example_note(texts: str | list[str] | None) -> str:
    """What to read next to the heatmap when the texts are one of the examples that needs a word."""
    lines = texts if isinstance(texts, list) else [t.strip() for t in str(texts or "").splitlines() if t.strip()]
    return next((note for _, example, note in HEAT_EXAMPLES if example.splitlines() == lines), "")


def heatmap_view(result: Similarity) -> tuple[go.Figure, str]:
    title = f"Cosine similarity of {len(result.texts)} sentence embeddings"
    return cosine_heatmap(result.matrix, result.texts, title=title), example_note(result.texts)


def context_view(result: ContextResult) -> tuple[go.Figure, go.Figure, str]:
    off = ~np.eye(len(result.sentences), dtype=bool)
    static, top = result.static_cos[off], result.top_cos[off]
    pieces = result.pieces[0]
    explain = (
        f"**Input embedding:** '{result.word}' is the token{'s' if len(pieces) > 1 else ''} `{' '.join(pieces)}` in "
        "the vocabulary; its row in the embedding table is the same in every sentence (mean cosine between "
        f"sentences {static.mean():.3f}).  \n"
        f"**Last layer:** after {len(result.layer_mean_cos) - 1} layers of attention the word's vectors differ "
        f"(mean cosine {top.mean():.3f}, lowest {top.min():.3f}): each sentence pulled it towards its own meaning."
    )
    return (cosine_heatmap(result.top_cos, result.sentences,
                           title=f"'{result.word}' after the last layer: cosine between sentences"),
            layer_line(result.layer_mean_cos, float(static.mean()), word=result.word), explain)


# --- the handlers (the hub is bound in build_tab) -------------------------------------------------


@friendly
def on_map(hub: ModelHub, texts: str, labels: str, method: str, dims: int,
           progress=gr.Progress()) -> tuple[EmbeddingMap, dict]:
    result = map_result(hub, texts, labels, method, dims, progress=progress)
    return result, result.as_json()


@friendly
def on_neighbours(hub: ModelHub, texts: str, query: str, k: int, progress=gr.Progress()) -> tuple[Neighbours, dict]:
    progress(0.1, desc="embedding the query (and any texts not embedded yet)")
    result = neighbours_result(hub, texts, query, k)
    return result, result.as_json()


@friendly
def on_similarity(hub: ModelHub, texts: str, progress=gr.Progress()) -> tuple[Similarity, dict]:
    progress(0.1, desc="embedding the texts")
    result = similarity_result(hub, texts)
    return result, result.as_json()


@friendly
def on_context(hub: ModelHub, word: str, sentences: str, progress=gr.Progress()) -> tuple[ContextResult, dict]:
    progress(0.1, desc="running the sentences through MiniLM's six layers")
    lines = parse_texts(sentences, what="sentences", limit=MAX_SENTENCES, minimum=2)
    result = contextual_vectors(hub, word, lines)
    return result, result.as_json()


@friendly
def on_load_corpus(name: str, progress=gr.Progress()) -> tuple[str, str, str]:
    if name not in BUILTIN_CORPORA:
        raise UserInputError("Choose one of the built-in corpora.")
    if name == "docstrings":
        progress(0.1, desc="reading docstrings from the installed libraries (first time: a few seconds)")
    return _corpus_to_boxes(load_builtin(name, limit=MAX_MAP_TEXTS))


@friendly
def on_upload(path: str | None) -> tuple:
    if not path:
        return gr.update(choices=[], value=None), gr.update(choices=[], value=None), ""
    cols = upload_columns(path)
    guess = next((c for c in ("text", "sentence", "document", "content", "body") if c in cols), cols[0])
    lab = next((c for c in ("label", "labels", "category", "topic", "class") if c in cols), None)
    return (gr.update(choices=cols, value=guess), gr.update(choices=[""] + cols, value=lab or ""),
            f"Columns found: {', '.join(cols)}. Choose them, then click **Load the file**.")


@friendly
def on_load_file(path: str | None, text_col: str | None, label_col: str | None) -> tuple[str, str, str]:
    if not path:
        raise UserInputError("Upload a file first.")
    corpus = read_upload(path, text_column=text_col or None, label_column=label_col or None, max_rows=MAX_MAP_TEXTS,
                         max_chars_per_text=MAX_CHARS_PER_TEXT)
    return _corpus_to_boxes(corpus)


@friendly
def on_predict_choices(texts: str | None):
    """The guess's choices follow the texts (the learner may still type any text)."""
    return gr.Dropdown(choices=P.dropdown_choices(texts))


class Predict:
    """Predict, then reveal, bound to the hub (a method, not a partial, so Gradio passes it the request)."""

    def __init__(self, hub: ModelHub):
        self.nearest = gpu_bound(P.reveal_nearest, hub)  # the model's part, on a GPU where there is one

    @friendly
    def reveal(self, texts: str, query: str, k: int, guess: str, request: gr.Request) -> tuple[Neighbours, dict, str]:
        """The search for the query (the table and the map show it next) and the guess graded by its rank."""
        found, verdict = self.nearest(texts, query, k, guess)
        return found, found.as_json(), record(verdict, request)


@friendly
def on_copy(texts: str | None) -> str:
    lines = [line.strip() for line in (texts or "").splitlines() if line.strip()]
    return "\n".join(lines[:MAX_HEATMAP_TEXTS])


# --- the tab --------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "An **embedding** turns a text into a point in space (here 384 numbers from all-MiniLM-L6-v2) so that texts "
        "with similar meanings land near each other. We cannot see 384 dimensions, so a **projection** squashes them "
        "to 2 or 3; every projection keeps some neighbourhoods and breaks others, and this tab measures how many.",
        notice=[
            "Texts on one subject gather into neighbourhoods even though nothing told the model the labels.",
            "The trust score beside the map: how many of each text's true nearest neighbours are still its neighbours on the map.",
            "Searching ranks texts by cosine similarity in the full space; the map only draws it.",
            "The same word gets a different vector in every sentence once the model has read the context.",
        ],
        try_this=[
            "Click **Draw the map** on the labelled texts, then switch between UMAP, PCA and t-SNE and compare the trust scores.",
            "Colour by k-means: do the clusters found in 384-D match the labels? Search for \"a recipe with chocolate\" on the full labelled corpus.",
            "Load the docstrings corpus (real documentation) or upload your own CSV, and see which libraries overlap.",
        ],
    )
    default_texts, default_labels = _default_map()

    gr.Markdown("## 1. Your texts")
    with gr.Row():
        with gr.Column(scale=3):
            texts = gr.Textbox(label=f"Texts, one per line (up to {MAX_MAP_TEXTS:,})", value=default_texts,
                               lines=8, max_lines=12)
            labels = gr.Textbox(label="Labels, one per line in the same order (optional)", value=default_labels,
                                lines=3, max_lines=6)
        with gr.Column(scale=2):
            corpus = gr.Dropdown(choices=[(desc, key) for key, desc in BUILTIN_CORPORA.items()], value="labelled",
                                 label="Built-in corpus")
            load_corpus = gr.Button("Load this corpus", size="sm")
            upload = gr.File(label="…or upload a CSV, TXT (one text per line) or JSONL file (up to 50 MB)",
                             file_types=[".csv", ".txt", ".jsonl"], type="filepath", height=120,
                             elem_id="embeddings-upload")
            with gr.Row():
                text_col = gr.Dropdown(label="Text column", choices=[], interactive=True, allow_custom_value=True)
                label_col = gr.Dropdown(label="Label column (optional)", choices=[], interactive=True, allow_custom_value=True)
            load_file = gr.Button("Load the file", size="sm")
            source_note = gr.Markdown()
    gr.Examples(examples=[[t, l] for _, t, l in MAP_EXAMPLES], example_labels=[n for n, *_ in MAP_EXAMPLES],
                inputs=[texts, labels], label="Small examples (click one, then Draw the map)")

    gr.Markdown("## 2. The map")
    with gr.Row():
        method = gr.Radio(list(METHODS), value="UMAP", label="Projection")
        dims = gr.Radio([2, 3], value=2, label="Dimensions")
        colour = gr.Radio(list(CLUSTERINGS), value="label", label="Colour by")
        n_clusters = gr.Slider(2, 30, value=8, step=1, label="k-means clusters")
        draw = gr.Button("Draw the map", variant="primary")
    with gr.Row():
        with gr.Column(scale=3):
            plot = gr.Plot(label="Embedding map (hover a point to read its text; click legend entries to hide groups)")
        with gr.Column(scale=1):
            trust = gr.Markdown(TRUST_PLACEHOLDER)
    map_note = gr.Markdown()
    with gr.Accordion("Raw result (what the embed_map API returns)", open=False):
        map_raw = gr.JSON(label="embed_map")

    gr.Markdown("## 3. Search the map")
    with gr.Row():
        query = gr.Textbox(label="Query", value="what should I cook for dinner tonight?", scale=4)
        k = gr.Slider(1, MAX_K, value=5, step=1, label="k nearest neighbours", scale=2)
        search = gr.Button("Search", variant="primary", scale=1)
    predict = predict_box(P.QUESTION, gr.Dropdown(
        choices=P.dropdown_choices(default_texts), value=None, allow_custom_value=True, filterable=True,
        label="The text nearest the query, you think (pick or type)", render=False, scale=4))
    table = gr.Dataframe(headers=["rank", "cosine", "label", "text"], label="Nearest texts by cosine similarity (full 384-D space)",
                         interactive=False, wrap=True)
    with gr.Accordion("Raw result (neighbours)", open=False):
        found_raw = gr.JSON(label="neighbours")

    gr.Markdown(f"## 4. Cosine similarity, text by text (up to {MAX_HEATMAP_TEXTS} texts)")
    with gr.Row():
        heat_texts = gr.Textbox(label="Texts, one per line", value=HEAT_EXAMPLES[0][1], lines=5, scale=3)
        with gr.Column(scale=1):
            heat_go = gr.Button("Compare them", variant="primary")
            heat_copy = gr.Button(f"Use the first {MAX_HEATMAP_TEXTS} texts from section 1", size="sm")
    gr.Examples(examples=[[t] for _, t, _ in HEAT_EXAMPLES], example_labels=[n for n, _, _ in HEAT_EXAMPLES],
                inputs=[heat_texts], label="Examples that teach (word order, negation, paraphrase, other languages)")
    heat_note = gr.Markdown()
    heat_plot = gr.Plot(label="Cosine similarity")
    with gr.Accordion("Raw result (similarity)", open=False):
        heat_raw = gr.JSON(label="similarity")

    gr.Markdown("## 5. One word, many meanings: contextual vectors")
    with gr.Row():
        word = gr.Textbox(label="Word", value="bank", scale=1)
        ctx_sentences = gr.Textbox(label="Sentences that use it, one per line", value=CONTEXT_DEFAULT, lines=4, scale=4)
        ctx_go = gr.Button("Compare its vectors", variant="primary", scale=1)
    ctx_explain = gr.Markdown()
    with gr.Row():
        ctx_heat = gr.Plot(label="Hidden states, last layer")
        ctx_layers = gr.Plot(label="Layer by layer")
    with gr.Accordion("Raw result (contextual)", open=False):
        ctx_raw = gr.JSON(label="contextual")

    map_state, found_state, heat_state, ctx_state = gr.State(), gr.State(), gr.State(), gr.State()

    # --- wiring ---
    show_map = friendly(map_view)
    map_view_inputs = [map_state, colour, n_clusters, found_state]
    map_view_outputs = [plot, trust, map_note, table]
    load_corpus.click(on_load_corpus, corpus, [texts, labels, source_note], api_name="embeddings_load_corpus",
                      **LIGHT_WORK)
    upload.change(on_upload, upload, [text_col, label_col, source_note], api_name="embeddings_upload_columns", **LIGHT_WORK)
    load_file.click(on_load_file, [upload, text_col, label_col], [texts, labels, source_note],
                    api_name="embeddings_load_file", **LIGHT_WORK)
    opened = first_view_trigger()  # the first view: the labelled texts' map, and the first heatmap example
    gr.on([draw.click, opened.change], gpu_bound(on_map, hub), [texts, labels, method, dims], [map_state, map_raw],
          api_name="embed_map", show_progress_on=[plot], **MODEL_WORK).success(
        show_map, map_view_inputs, map_view_outputs, api_name="embed_map_view", **LIGHT_WORK)
    colour.change(show_map, map_view_inputs, map_view_outputs, api_name="embed_map_colour", **LIGHT_WORK)
    n_clusters.release(show_map, map_view_inputs, map_view_outputs, api_name="embed_map_clusters", **LIGHT_WORK)
    search.click(gpu_bound(on_neighbours, hub), [texts, query, k], [found_state, found_raw],
                 api_name="neighbours", show_progress_on=[table], **MODEL_WORK).success(
        show_map, map_view_inputs, map_view_outputs, api_name="neighbours_view", show_progress_on=[plot], **LIGHT_WORK)
    query.submit(gpu_bound(on_neighbours, hub), [texts, query, k], [found_state, found_raw],
                 api_name="neighbours_submit", show_progress_on=[table], **MODEL_WORK).success(
        show_map, map_view_inputs, map_view_outputs, api_name="neighbours_submit_view", **LIGHT_WORK)
    # predict, then reveal: the reveal runs the search (the table and the map show it) and grades the pick
    texts.change(on_predict_choices, texts, predict.guess, api_name="embeddings_predict_choices",
                 trigger_mode="always_last", **LIGHT_WORK)
    predict.reveal.click(Predict(hub).reveal, [texts, query, k, predict.guess], [found_state, found_raw, predict.result],
                         api_name="embeddings_predict", show_progress_on=[table], **MODEL_WORK).success(
        show_map, map_view_inputs, map_view_outputs, api_name="embeddings_predict_view", **LIGHT_WORK)
    heat_copy.click(on_copy, texts, heat_texts, api_name="similarity_copy", **LIGHT_WORK)
    heat_texts.change(friendly(example_note), heat_texts, heat_note, api_name="similarity_note", **LIGHT_WORK)
    gr.on([heat_go.click, opened.change], gpu_bound(on_similarity, hub), heat_texts, [heat_state, heat_raw],
          api_name="similarity", show_progress_on=[heat_plot], **MODEL_WORK).success(
        friendly(heatmap_view), heat_state, [heat_plot, heat_note], api_name="similarity_view", **LIGHT_WORK)
    ctx_go.click(gpu_bound(on_context, hub), [word, ctx_sentences], [ctx_state, ctx_raw], api_name="contextual",
                 show_progress_on=[ctx_heat], **MODEL_WORK).success(
        friendly(context_view), ctx_state, [ctx_heat, ctx_layers, ctx_explain], api_name="contextual_view", **LIGHT_WORK)
    return LessonPage(inputs={"texts": texts, "labels": labels, "projection": method, "dims": dims, "colour": colour,
                              "clusters": n_clusters, "query": query, "k": k, "compare": heat_texts, "word": word,
                              "sentences": ctx_sentences}, opened=opened)
