"""Data lab: take a messy training set apart, clean it step by step, grow it with self-instruct, export it.

The maths is in `records` (validation), `lengths`, `duplicates`, `filters`, `pipeline` (the whole pass),
`synthetic` (self-instruct) and `export`; this module holds the text, the layout and the wiring.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import gradio as gr

from playground.checks import UserInputError, check_float, check_int
from playground.data.tables import file_as_jsonl
from playground.lessons.curation import filters as F
from playground.lessons.curation import pipeline as P
from playground.lessons.curation import synthetic as S
from playground.lessons.curation import views
from playground.lessons.curation.export import FORM_LABS, export
from playground.lessons.curation.records import MAX_ROWS
from playground.models import ModelHub
from playground.training.rows import MAX_ROWS as TRAINING_ROWS
from playground.training.rows import builtin_jsonl
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.queues import DATA_WORK, LIGHT_WORK, MODEL_WORK

TITLE = "Data lab"
ASSETS = Path(__file__).resolve().parents[3] / "assets" / "curation"
BUILTINS = {"messy": "A messy chat set written for this lab (planted problems)",
            "tutor": "The Fine-tuning lab's tutor set (clean)"}
BOX_CHARS = 1_000_000  # an upload larger than this stays on the server; the box shows its first rows
PREVIEW_ROWS = 40
METHOD_CHOICES = [("exact", "exact"), ("MinHash", "near"), ("embeddings", "semantic")]
SETTING_EXAMPLES = [[0.7, 0.9, 1024], [0.5, 0.9, 1024], [0.9, 0.9, 1024], [0.7, 0.75, 1024], [0.7, 0.9, 256]]
SETTING_LABELS = ["The defaults", "MinHash threshold 0.5: more pairs, some false", "MinHash 0.9: the typos slip through",
                  "Embeddings at 0.75: rows that only share a topic merge", "Max length 256 tokens"]


def builtin_text(name: str) -> str:
    if name == "messy":
        return (ASSETS / "messy.jsonl").read_text(encoding="utf-8")
    if name == "tutor":
        return builtin_jsonl("tutor")
    raise UserInputError(f"Unknown built-in set {name!r}; pick one of {', '.join(BUILTINS)}.")


# --- handlers ------------------------------------------------------------------------------------------


@friendly
def pick_builtin(name: str):
    return builtin_text(name), None, f"The built-in set: {BUILTINS[name]}."


@friendly
def upload_file(path):
    if not path:
        raise UserInputError("Upload a .jsonl, .csv or .parquet file.")
    text = file_as_jsonl(path, MAX_ROWS)
    lines = text.splitlines()
    name = Path(path).name
    if len(text) <= BOX_CHARS:
        return text, None, f"Loaded '{name}': {len(lines):,} lines, shown in the box (edit them freely)."
    return ("\n".join(lines[:PREVIEW_ROWS]), text,
            f"Loaded '{name}': {len(lines):,} lines, {len(text) / 1e6:.1f} MB, kept on the server; the box shows the "
            f"first {PREVIEW_ROWS}. **Analyse** reads the whole file; editing the box switches to what the box says.")


@friendly
def box_edited():
    return None, "Using the text in the box."


def _settings(mh, sem, max_tokens, perms, shingle) -> P.Settings:
    return P.check_settings(mh, sem, max_tokens, perms, shingle)


@friendly
def analyse(hub: ModelHub, text, uploaded, mh, perms, shingle, sem, max_tokens, enabled, methods,
            progress=gr.Progress()):
    c = P.curate(hub, uploaded or text, _settings(mh, sem, max_tokens, perms, shingle), progress=progress)
    return (c, *redraw(c, enabled, methods), views.invalid_rows(c), views.lengths_figure(c), views.roles_figure(c),
            views.extremes(c), views.duplicates_html(c), views.s_curve_figure(c))


@friendly
def redraw(c: P.Curation | None, enabled, methods):
    if c is None:
        return "Press **Analyse** first.", ""
    enabled, methods = tuple(enabled or ()), tuple(methods or ())
    return views.summary_md(c, enabled, methods), views.filters_html(c, enabled)


@friendly
def grow(hub: ModelHub, seeds_text, n, seed, mh, perms, shingle, sem, max_tokens, progress=gr.Progress()):
    n = check_int(n, low=1, high=S.MAX_NEW, what="The number of new tasks")
    seed = check_int(seed, low=0, high=2**31 - 1, what="The seed")
    s = S.self_instruct(hub, seeds_text, n, seed, _settings(mh, sem, max_tokens, perms, shingle), progress=progress)
    return s, views.synthetic_md(s), views.synthetic_html(s)


@friendly
def export_files(c: P.Curation | None, s: S.Synthetic | None, enabled, methods, redact, share, seed, add_synthetic):
    if c is None:
        raise UserInputError("Press **Analyse** first: the export is the analysed set, cleaned.")
    share = check_float(share, low=0.0, high=0.5, what="The validation share")
    seed = check_int(seed, low=0, high=2**31 - 1, what="The seed")
    extra = []
    if add_synthetic and s is not None:
        records = s.curation.records
        extra = [records[i] for i in s.survivors()]
    out = export(c, enabled=tuple(enabled or ()), methods=tuple(methods or ()), redact_pii=bool(redact),
                 validation_share=share, seed=seed, synthetic=extra)
    folder = Path(tempfile.mkdtemp(prefix="playground-data-export-"))
    (folder / "cleaned.jsonl").write_text(out.jsonl, encoding="utf-8")
    (folder / "report.json").write_text(json.dumps(out.report, indent=1, ensure_ascii=False), encoding="utf-8")
    note = (f" Upload `cleaned.jsonl` in the **{FORM_LABS[c.parsed.form]}** to train on it"
            + (f" (it trains on up to {TRAINING_ROWS:,} rows: take a sample)." if out.report["exported"] > TRAINING_ROWS
               else ".")
            + ("" if add_synthetic or s is None else " (The synthetic rows were left out: tick the box to add them.)"))
    return out.summary_md() + note, [str(folder / "cleaned.jsonl"), str(folder / "report.json")]


class Api:
    """The public endpoint, bound to the hub (a method, so Gradio reads its type hints)."""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def curate(self, jsonl: str, minhash_threshold: float, semantic_threshold: float, max_tokens: int) -> dict:
        """Validate, deduplicate three ways and filter a JSONL dataset; rows count from 0 in input order."""
        settings = P.check_settings(minhash_threshold, semantic_threshold, max_tokens)
        return P.curate(self.hub, jsonl, settings).as_json()


# --- the tab -------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "A model learns whatever its data says, including the mistakes: the same answer a hundred times, a phone "
        "number, \"As an AI language model\", an answer cut off mid-sentence. Curation finds those rows and removes "
        "them on purpose, one rule at a time, and every rule has a cost you can see. Below, a messy set with planted "
        "problems is validated, measured, deduplicated three ways and filtered; a small model then grows it by "
        "writing new tasks itself (self-instruct), and the cleaned set is exported for the training labs.",
        [
            "Exact matching only catches copies; MinHash also catches typos and swapped words, but never a "
            "paraphrase; embeddings catch paraphrases, but a typo can drop their cosine a long way, and at a low "
            "threshold they merge rows that only share a topic.",
            "The S-curve: MinHash's threshold is soft. Pairs just below it are sometimes caught, pairs just above "
            "sometimes missed; more permutations make the curve steeper.",
            "Each filter is a plain rule with false alarms of its own: look at its examples before trusting it "
            "(a 16-digit tracking number is not a card number unless it passes the Luhn check).",
        ],
        [
            "Press **Analyse**, then open *Duplicates*: find a pair that only the embeddings caught, and one that "
            "only MinHash caught.",
            "Click the example *Embeddings at 0.75* and analyse again: which new clusters are not duplicates at all?",
            "Under *Grow it*, press **Write new tasks**: how many of the model's tasks survive the filters, and why do "
            "the others fail?",
        ],
    )
    with gr.Row():
        pick = gr.Dropdown([(v, k) for k, v in BUILTINS.items()], value="messy", label="Built-in set")
        upload = gr.File(label=f"Or upload JSONL, CSV or Parquet (chat, prompt/completion or preference; up to "
                               f"{MAX_ROWS:,} rows, 50 MB)", file_types=[".jsonl", ".csv", ".parquet", ".tsv", ".json"],
                         type="filepath", height=90)
    source_md = gr.Markdown(f"The built-in set: {BUILTINS['messy']}.")
    box = gr.Code(builtin_text("messy"), language="json", label="The dataset (JSONL, one row per line; rows count from 0)",
                  lines=8, max_lines=14)
    uploaded = gr.State(None)  # a large upload's full text, kept on the server
    with gr.Row():
        mh = gr.Slider(0.3, 0.95, value=P.DEFAULTS["minhash_threshold"], step=0.05, label="MinHash threshold (Jaccard)")
        perms = gr.Slider(16, 256, value=P.DEFAULTS["num_perm"], step=16, label="MinHash permutations")
        shingle = gr.Slider(2, 10, value=P.DEFAULTS["shingle"], step=1, label="Shingle size (characters)")
    with gr.Row():
        sem = gr.Slider(0.5, 0.99, value=P.DEFAULTS["semantic_threshold"], step=0.01, label="Semantic threshold (cosine)")
        max_tokens = gr.Slider(64, 8192, value=P.DEFAULTS["max_tokens"], step=64, label="Training max length (tokens)")
        analyse_btn = gr.Button("Analyse", variant="primary")
    gr.Examples(SETTING_EXAMPLES, [mh, sem, max_tokens], example_labels=SETTING_LABELS)
    with gr.Row():
        enabled = gr.CheckboxGroup([(n.replace("_", " "), n) for n in F.FILTERS + F.TAB_ONLY], value=list(F.FILTERS) + ["language"],
                                   label="Filters that remove rows")
        methods = gr.CheckboxGroup(METHOD_CHOICES, value=list(P.METHODS), label="Deduplication that removes rows")
    summary = gr.Markdown(elem_id="data-summary")
    kept = gr.State(None)
    with gr.Tabs():
        with gr.Tab("Validate"):
            invalid = gr.Dataframe(headers=["row", "why it is invalid"], datatype=["str", "str"], wrap=True,
                                   label="Invalid rows")
        with gr.Tab("Look"):
            with gr.Row():
                lengths = gr.Plot(label="Token lengths")
                roles = gr.Plot(label="Roles")
            extremes = gr.Dataframe(headers=["", "row", "tokens", "text"], wrap=True, label="Longest and shortest rows")
        with gr.Tab("Duplicates"):
            curve = gr.Plot(label="S-curve")
            dups = gr.HTML()
        with gr.Tab("Filters"):
            filters = gr.HTML()
        with gr.Tab("Grow it (self-instruct)"):
            gr.Markdown("SmolLM2 reads the seed tasks as a numbered list and writes the next one, several times in one "
                        "sampled batch; then it answers each new task. The new rows go through the same filters and "
                        "deduplication as the dataset, with the seeds first, so copies of a seed are caught.")
            seeds = gr.Code(S.builtin_seeds(), language="json", label="Seed tasks (JSONL chat rows)", lines=6, max_lines=10)
            with gr.Row():
                n_new = gr.Slider(1, S.MAX_NEW, value=8, step=1, label="New tasks")
                g_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                grow_btn = gr.Button("Write new tasks", variant="primary")
            grown = gr.State(None)
            grow_md = gr.Markdown()
            grow_html = gr.HTML()
        with gr.Tab("Export"):
            with gr.Row():
                redact = gr.Checkbox(False, label="Keep rows whose only problem is personal data, redacted")
                add_synth = gr.Checkbox(True, label="Add the synthetic rows that survived")
            with gr.Row():
                share = gr.Slider(0.0, 0.5, value=0.1, step=0.05, label="Validation share")
                e_seed = gr.Number(0, precision=0, minimum=0, label="Split seed")
                export_btn = gr.Button("Export", variant="primary")
            export_md = gr.Markdown()
            files = gr.File(label="cleaned.jsonl and report.json", file_count="multiple", interactive=False)

    pick.change(pick_builtin, pick, [box, uploaded, source_md], api_name="data_builtin", **LIGHT_WORK)
    upload.upload(upload_file, upload, [box, uploaded, source_md], api_name="data_upload", **LIGHT_WORK)
    box.input(box_edited, None, [uploaded, source_md], api_name="data_box_edited", **LIGHT_WORK)
    opened = first_view_trigger()  # the first view: the messy set analysed with the default settings
    gr.on([analyse_btn.click, opened.change], gpu_bound(analyse, hub),
          [box, uploaded, mh, perms, shingle, sem, max_tokens, enabled, methods],
          [kept, summary, filters, invalid, lengths, roles, extremes, dups, curve], api_name="data_analyse", **DATA_WORK)
    for name, choice in (("filters", enabled), ("methods", methods)):
        choice.change(redraw, [kept, enabled, methods], [summary, filters], api_name=f"data_{name}", **LIGHT_WORK)
    grow_btn.click(gpu_bound(grow, hub), [seeds, n_new, g_seed, mh, perms, shingle, sem, max_tokens],
                   [grown, grow_md, grow_html], api_name="data_grow", **MODEL_WORK)
    export_btn.click(export_files, [kept, grown, enabled, methods, redact, share, e_seed, add_synth],
                     [export_md, files], api_name="data_export", **LIGHT_WORK)
    gr.api(Api(hub).curate, api_name="curate", **DATA_WORK)
    # the dataset itself is too long for a link (and a built-in is one click): a link carries the settings
    return LessonPage(inputs={"minhash": mh, "permutations": perms, "shingle": shingle, "semantic": sem,
                              "max_tokens": max_tokens, "filters": enabled, "methods": methods, "new_tasks": n_new,
                              "seed": g_seed}, opened=opened)
