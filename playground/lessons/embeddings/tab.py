"""Embeddings lesson: an embedding map you can search, colour and trust.

The learner should see that a sentence encoder turns each text into a point in a 384-dimensional
space where similar meanings land near each other; that a 2-D or 3-D projection (UMAP, PCA, t-SNE)
lets us look at that space but bends it, and by how much (k-NN overlap, trustworthiness); that a
query lands among its nearest neighbours; and that inside the model the same word gets different
vectors in different sentences while its input embedding is one fixed row of a table.

Embeddings are cached by (model, text hash) and projections by (texts, method, dims, seed), so
recolouring, searching and switching back to a projection already drawn never re-embed or refit.
"""

from __future__ import annotations


import gradio as gr
import numpy as np

from playground.data import BUILTIN_CORPORA, load_builtin, read_upload, upload_columns
from playground.lessons.embeddings.context import contextual_vectors
from playground.lessons.embeddings.space import (
    CLUSTERINGS,
    METHODS,
    OVERLAP_K,
    PROJECTIONS,
    cluster,
    cosine_matrix,
    min_texts,
    nearest,
    neighbour_overlap,
    texts_key,
    trustworthiness,
)
from playground.lru import BoundedLRU
from playground.models import ModelHub
from playground.models.embedding_cache import embed_texts
from playground.checks import UserInputError, check_int, check_text
from playground.ui.errors import friendly
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK
from playground.viz.embedding_figures import cosine_heatmap, embedding_scatter, layer_line

TITLE = "Embeddings"
KEY = "all-minilm-l6-v2"
MAX_MAP_TEXTS = 3_000  # UMAP / t-SNE on more than this takes minutes on a 2-core CPU
MAX_HEATMAP_TEXTS = 50
MAX_TOTAL_CHARS = 3_000_000
MAX_CHARS_PER_TEXT = 2_000
MAX_K = 50

# --- parsing what the learner typed ---------------------------------------------------------------


def parse_texts(texts: str, *, what: str = "texts", limit: int = MAX_MAP_TEXTS, minimum: int = 1) -> list[str]:
    """One text per non-blank line, stripped; a clear error when there are too few or too many."""
    text, cut = check_text(texts, max_chars=MAX_TOTAL_CHARS, what=f"list of {what}")
    if cut:
        raise UserInputError(f"The {what} are {len(texts):,} characters long; the limit is {MAX_TOTAL_CHARS:,}.")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < minimum:
        raise UserInputError(f"Give at least {minimum} {what}, one per line (you gave {len(lines)}).")
    if len(lines) > limit:
        raise UserInputError(
            f"This takes up to {limit:,} {what}, one per line; you gave {len(lines):,}. Keep the first {limit:,} "
            "(loading a corpus or a file here keeps them for you)."
        )
    too_long = [i for i, line in enumerate(lines) if len(line) > MAX_CHARS_PER_TEXT]
    if too_long:
        raise UserInputError(f"Line {too_long[0] + 1} is {len(lines[too_long[0]]):,} characters; keep each text under "
                             f"{MAX_CHARS_PER_TEXT:,} (the model reads only its first 256 tokens anyway).")
    return lines


def parse_labels(labels: str | None, n: int) -> list[str] | None:
    """One label per non-blank line, exactly one per text, or None when the box is empty."""
    if labels is None or not str(labels).strip():
        return None
    rows = [line.strip() for line in str(labels).splitlines() if line.strip()]
    if len(rows) != n:
        raise UserInputError(f"There are {n:,} texts but {len(rows):,} labels. Give one label per text, in the same "
                             "order, or leave the labels empty.")
    return rows


# --- the three API functions --------------------------------------------------------------------


def similarity(hub: ModelHub, texts: str) -> dict:
    """{"matrix": cosine similarities of the texts' sentence embeddings} (up to 50 texts)."""
    lines = parse_texts(texts, limit=MAX_HEATMAP_TEXTS, minimum=2)
    return {"matrix": cosine_matrix(embed_texts(hub, lines, KEY)).tolist()}


def embed_map(hub: ModelHub, texts: str, labels: str, method: str, dims: int, progress=None) -> dict:
    """{"points", "labels", "neighbour_overlap"} for the texts projected by `method` to `dims`."""
    if method not in METHODS:
        raise UserInputError(f"Choose a projection: {', '.join(METHODS)} (got {method!r}).")
    dims = check_int(dims, low=2, high=3, what="Dimensions")
    lines = parse_texts(texts, minimum=min_texts(method, dims))
    tags = parse_labels(labels, len(lines))
    vecs = embed_texts(hub, lines, KEY, progress=_scaled(progress, 0.0, 0.5))
    if progress is not None:
        first = method == "UMAP" and "UMAP" not in PROJECTIONS.methods_fitted
        progress(0.55, desc=f"fitting {method} in {dims}-D" + (" (its first run compiles code: tens of seconds, once)" if first else ""))
    proj = PROJECTIONS.get(texts_key(lines), vecs, method, dims)
    if progress is not None:
        progress(0.95, desc="comparing neighbourhoods on the map with those in the full space")
    return {
        "points": proj.points.tolist(),
        "labels": tags if tags is not None else [""] * len(lines),
        "neighbour_overlap": round(neighbour_overlap(vecs, proj.points), 6),
    }


def neighbours(hub: ModelHub, texts: str, query: str, k: int) -> dict:
    """{"neighbours": [{"index", "text", "score"}]}: the k texts nearest the query, by cosine, best first."""
    lines = parse_texts(texts)
    query, _ = check_text(query, max_chars=MAX_CHARS_PER_TEXT, what="query")
    k = check_int(k, low=1, high=MAX_K, what="k")
    vecs = embed_texts(hub, lines + [query.strip()], KEY)
    found = nearest(vecs[:-1], vecs[-1], min(k, len(lines)))
    return {"neighbours": [{"index": i, "text": lines[i], "score": s} for i, s in found]}


def _scaled(progress, start: float, end: float):
    if progress is None:
        return None
    return lambda f, desc="": progress(start + (end - start) * f, desc=desc)


# --- the view: figure, trust panel, neighbour table (light work on cached numbers) ---------------

_CLUSTERS: BoundedLRU[list[str]] = BoundedLRU(16)


def cached_cluster(key: str, vecs: np.ndarray, how: str, n_clusters: int) -> list[str]:
    ck = (key, how, n_clusters if how == "k-means" else 0)
    return _CLUSTERS.get_or_compute(ck, lambda: cluster(vecs, how, n_clusters))


def trust_panel(vecs: np.ndarray, points: np.ndarray, method: str, dims: int, note: str) -> str:
    n = len(vecs)
    k = min(OVERLAP_K, n - 1)
    overlap = neighbour_overlap(vecs, points)
    trust = trustworthiness(vecs, points)
    chance = k / max(1, n - 1)
    lines = [
        f"### How far to trust this map",
        f"**k-NN overlap: {overlap:.2f}** — of each text's {k} nearest neighbours in the full {vecs.shape[1]}-D "
        f"space, on average {overlap * k:.1f} are also among its {k} nearest on this {dims}-D map "
        f"(1.00 keeps every neighbourhood; random placement would give about {chance:.2f}).",
    ]
    if trust is not None:
        lines.append(f"**Trustworthiness: {trust:.2f}** — near 1.00 means points that look close on the map really "
                     "are close in the full space; lower means some neighbours you see are artefacts of squashing.")
    lines.append(f"*{method}: {note}.* Distances *between* far-apart groups mean little on UMAP and t-SNE maps; "
                 "PCA keeps straight-line geometry but loses whatever the hidden directions held.")
    return "\n\n".join(lines)


def map_view(hub: ModelHub, texts: str, labels: str, method: str, dims: int, colour: str, n_clusters: int,
             query: str | None = None, k: int = 5) -> tuple:
    """The map figure, the trust panel and the neighbour table, from cached embeddings and projection.
    A non-empty query is drawn with lines to its k nearest texts (one new embedding, or none if cached)."""
    dims = check_int(dims, low=2, high=3, what="Dimensions")
    lines = parse_texts(texts, minimum=min_texts(method, dims))
    tags = parse_labels(labels, len(lines))
    key = texts_key(lines)
    vecs = embed_texts(hub, lines, KEY)
    proj = PROJECTIONS.get(key, vecs, method, dims)
    note = ""
    if colour == "label":
        groups = tags
        if groups is None:
            note = "These texts have no labels, so every point has one colour; colour by k-means or HDBSCAN instead. "
    elif colour in ("k-means", "HDBSCAN"):
        groups = cached_cluster(key, vecs, colour, check_int(n_clusters, low=2, high=30, what="Number of clusters"))
        n_found = len({g for g in groups if not g.startswith("noise")})
        note = (f"Colours are {colour} clusters computed in the full {vecs.shape[1]}-D space (not on the map): "
                f"{n_found} cluster{'s' if n_found != 1 else ''}"
                + (f", {sum(g.startswith('noise') for g in groups)} texts left as noise (grey)" if colour == "HDBSCAN" else "")
                + ". ")
    else:
        groups = None
    title = f"{len(lines):,} texts, {method} to {dims}-D"
    overlay, pairs, rows = None, [], []
    if query and query.strip():
        query = query.strip()
        qvec = embed_texts(hub, [query], KEY)[0]
        pairs = nearest(vecs, qvec, min(check_int(k, low=1, high=MAX_K, what="k"), len(lines)))
        qpoint, how = proj.place(qvec, [i for i, _ in pairs])
        overlay = (qpoint, query)
        note += f"{how} Dotted lines join it to its {len(pairs)} nearest texts by cosine in the full space. "
        rows = [[rank, round(s, 4), (tags[i] if tags else ""), lines[i]] for rank, (i, s) in enumerate(pairs, 1)]
    fig = embedding_scatter(proj.points, lines, groups, title=title, query=overlay, neighbours=pairs)
    return fig, trust_panel(vecs, proj.points, method, dims, proj.note), note.strip(), rows


def heatmap_view(texts: str, result: dict) -> object:
    lines = parse_texts(texts, limit=MAX_HEATMAP_TEXTS, minimum=2)
    return cosine_heatmap(np.asarray(result["matrix"]), lines, title=f"Cosine similarity of {len(lines)} sentence embeddings")


def context_view(result: dict) -> tuple:
    sentences = result["sentences"]
    static = np.asarray(result["input_embedding_cosine"])
    top = np.asarray(result["hidden_state_cosine"])
    off = ~np.eye(len(sentences), dtype=bool)
    word = result["word"]
    explain = (
        f"**Input embedding:** '{word}' is the token{'s' if len(result['pieces'][0]) > 1 else ''} "
        f"`{' '.join(result['pieces'][0])}` in the vocabulary; its row in the embedding table is the same in every sentence (mean cosine between sentences {static[off].mean():.3f}).  \n"
        f"**Last layer:** after {len(result['mean_cosine_by_layer']) - 1} layers of attention the word's vectors differ (mean cosine {top[off].mean():.3f}, "
        f"lowest {top[off].min():.3f}): each sentence pulled it towards its own meaning."
    )
    return (cosine_heatmap(top, sentences, title=f"'{word}' after the last layer: cosine between sentences"),
            layer_line(result["mean_cosine_by_layer"], float(static[off].mean()), word=word), explain)


# --- the tab --------------------------------------------------------------------------------------

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
HEAT_EXAMPLES = [
    ("Word order", "The dog bit the man.\nThe man bit the dog.\nA man was bitten by a dog.\nThe weather is lovely today."),
    ("Negation", "I love this film.\nI do not love this film.\nI hate this film.\nThis movie is wonderful.\nThe train leaves at noon."),
    ("Paraphrase vs shared words", "How do I reset my password?\nI forgot my login and need a new one.\n"
     "The password for the wifi is on the fridge.\nHow can I change the colour of my car?"),
    ("Other languages", "The cat is sleeping on the sofa.\nLe chat dort sur le canapé.\nDie Katze schläft auf dem Sofa.\n"
     "Stock markets fell sharply today."),
]
CONTEXT_DEFAULT = (
    "We sat on the bank of the river and watched the boats.\nThe fisherman pulled his boat onto the muddy bank.\n"
    "I went to the bank to pay in a cheque.\nThe bank raised its interest rates again."
)


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


def build_tab(hub: ModelHub) -> None:
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
            trust = gr.Markdown("Click **Draw the map** to see how well it keeps neighbourhoods.")
    map_note = gr.Markdown()
    with gr.Accordion("Raw result (what the embed_map API returns)", open=False):
        map_raw = gr.JSON(label="embed_map")

    gr.Markdown("## 3. Search the map")
    with gr.Row():
        query = gr.Textbox(label="Query", value="what should I cook for dinner tonight?", scale=4)
        k = gr.Slider(1, MAX_K, value=5, step=1, label="k nearest neighbours", scale=2)
        search = gr.Button("Search", variant="primary", scale=1)
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
    gr.Examples(examples=[[t] for _, t in HEAT_EXAMPLES], example_labels=[n for n, _ in HEAT_EXAMPLES],
                inputs=[heat_texts], label="Examples that teach (word order, negation, paraphrase, other languages)")
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

    # --- events ---
    @friendly
    def on_load_corpus(name, progress=gr.Progress()):
        if name not in BUILTIN_CORPORA:
            raise UserInputError("Choose one of the built-in corpora.")
        if name == "docstrings":
            progress(0.1, desc="reading docstrings from the installed libraries (first time: a few seconds)")
        return _corpus_to_boxes(load_builtin(name, limit=MAX_MAP_TEXTS))

    @friendly
    def on_upload(path):
        if not path:
            return gr.update(choices=[], value=None), gr.update(choices=[], value=None), ""
        cols = upload_columns(path)
        guess = next((c for c in ("text", "sentence", "document", "content", "body") if c in cols), cols[0])
        lab = next((c for c in ("label", "labels", "category", "topic", "class") if c in cols), None)
        return (gr.update(choices=cols, value=guess), gr.update(choices=[""] + cols, value=lab or ""),
                f"Columns found: {', '.join(cols)}. Choose them, then click **Load the file**.")

    @friendly
    def on_load_file(path, tcol, lcol):
        if not path:
            raise UserInputError("Upload a file first.")
        corpus = read_upload(path, text_column=tcol or None, label_column=lcol or None, max_rows=MAX_MAP_TEXTS,
                             max_chars_per_text=MAX_CHARS_PER_TEXT)
        return _corpus_to_boxes(corpus)

    @friendly
    def on_map(t, lab, m, d, progress=gr.Progress()):
        return embed_map(hub, t, lab, m, d, progress=progress)

    @friendly
    def on_map_view(t, lab, m, d, c, n, q, kk):
        return map_view(hub, t, lab, m, d, c, n, q, kk)

    @friendly
    def on_neighbours(t, q, kk, progress=gr.Progress()):
        progress(0.1, desc="embedding the query (and any texts not embedded yet)")
        return neighbours(hub, t, q, kk)

    @friendly
    def on_similarity(t, progress=gr.Progress()):
        progress(0.1, desc="embedding the texts")
        return similarity(hub, t)

    @friendly
    def on_copy(t):
        lines = [line.strip() for line in (t or "").splitlines() if line.strip()]
        return "\n".join(lines[:MAX_HEATMAP_TEXTS])

    @friendly
    def on_context(w, s, progress=gr.Progress()):
        progress(0.1, desc="running the sentences through MiniLM's six layers")
        sentences = parse_texts(s, what="sentences", limit=12, minimum=2)
        result = contextual_vectors(hub, w, sentences)
        return {**result.as_dict(), "sentences": sentences}

    view_inputs = [texts, labels, method, dims, colour, n_clusters, query, k]
    view_outputs = [plot, trust, map_note, table]
    load_corpus.click(on_load_corpus, corpus, [texts, labels, source_note], api_name="embeddings_load_corpus",
                      **LIGHT_WORK)
    upload.change(on_upload, upload, [text_col, label_col, source_note], api_name="embeddings_upload_columns", **LIGHT_WORK)
    load_file.click(on_load_file, [upload, text_col, label_col], [texts, labels, source_note],
                    api_name="embeddings_load_file", **LIGHT_WORK)
    draw.click(on_map, [texts, labels, method, dims], map_raw, api_name="embed_map", show_progress_on=[plot],
               **MODEL_WORK).success(on_map_view, view_inputs, view_outputs, api_name="embed_map_view", **LIGHT_WORK)
    colour.change(on_map_view, view_inputs, view_outputs, api_name="embed_map_colour", **LIGHT_WORK)
    n_clusters.release(on_map_view, view_inputs, view_outputs, api_name="embed_map_clusters", **LIGHT_WORK)
    search.click(on_neighbours, [texts, query, k], found_raw, api_name="neighbours",
                 show_progress_on=[table], **MODEL_WORK).success(
        on_map_view, view_inputs, view_outputs, api_name="neighbours_view", show_progress_on=[plot], **LIGHT_WORK)
    query.submit(on_neighbours, [texts, query, k], found_raw, api_name="neighbours_submit",
                 show_progress_on=[table], **MODEL_WORK).success(
        on_map_view, view_inputs, view_outputs, api_name="neighbours_submit_view", **LIGHT_WORK)
    heat_copy.click(on_copy, texts, heat_texts, api_name="similarity_copy", **LIGHT_WORK)
    heat_go.click(on_similarity, heat_texts, heat_raw, api_name="similarity", show_progress_on=[heat_plot],
                  **MODEL_WORK).success(friendly(heatmap_view), [heat_texts, heat_raw], heat_plot,
                                        api_name="similarity_view", **LIGHT_WORK)
    ctx_go.click(on_context, [word, ctx_sentences], ctx_raw, api_name="contextual", show_progress_on=[ctx_heat],
                 **MODEL_WORK).success(friendly(context_view), ctx_raw, [ctx_heat, ctx_layers, ctx_explain],
                                       api_name="contextual_view", **LIGHT_WORK)
