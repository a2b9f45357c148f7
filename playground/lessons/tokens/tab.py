"""Tokens lesson: how text becomes token ids, across tokenizer families.

A model never sees words, only token ids. The learner types text and sees it cut into chips
(with the id of each), counts and ratios, the same text through every other tokenizer ranked by
token count, what decode(encode(text)) loses, the chat template a conversation really becomes,
and the way back from an id to its piece. The cutting is in `encoding.py`, the tab's results in
`analysis.py`, what is lost in `round_trip.py`, the chat template in `chat_template.py`, id →
piece in `lookup.py`, and what is drawn from the results in `views.py` (the chips themselves in
`playground/viz/token_chips.py`).
"""

from __future__ import annotations

from functools import partial

import gradio as gr

from playground.checks import UserInputError, check_text
from playground.lessons.tokens import prediction as P
from playground.lessons.tokens.analysis import TokensResult, analyse, compare, tokenize, tokenizer_for
from playground.lessons.tokens.chat_template import chat_template_view, has_chat_template, messages_from
from playground.lessons.tokens.encoding import vocab_size
from playground.lessons.tokens.lookup import lookup, parse_ids
from playground.lessons.tokens.views import (
    COMPARE_HEADERS,
    COMPARE_PINNED,
    COMPARE_WIDTHS,
    EMPTY,
    LOOKUP_HEADERS,
    SHOW_IDS,
    chat_view,
    chips_html,
    compare_table,
    lookup_view,
    round_trip_view,
    tokens_view,
)
from playground.models import ModelHub
from playground.models.catalog import Kind
from playground.ui.errors import friendly
from playground.ui.lesson import LessonPage, first_view_trigger, lesson_intro
from playground.ui.predict import predict_box, record
from playground.ui.queues import LIGHT_WORK

TITLE = "Tokens"

DEFAULT_KEY = "smollm2-135m-instruct"
TOKENS_WORK = {"concurrency_id": "tokens", "concurrency_limit": 1}  # light, and in order (see wiring)

EXAMPLES = [
    ("Long capitalised word", "Antidisestablishmentarianism and Supercalifragilisticexpialidocious", DEFAULT_KEY),
    ("A number", "In 2024 there were 8,118,835,999 people; 12345 × 6789 = 83810205.", DEFAULT_KEY),
    ("Indented code", 'def greet(name):\n    if name:\n        return f"Hello, {name}!"\n    return "Hello!"\n', DEFAULT_KEY),
    ("Emoji", "I love pizza 🍕! Family: 👨‍👩‍👧‍👦 Flag: 🇯🇵 Thumbs up: 👍🏽", DEFAULT_KEY),
    ("Chinese", "语言模型把文字切成词元，然后预测下一个词元。", DEFAULT_KEY),
    ("Arabic", "النماذج اللغوية تقسم النص إلى رموز صغيرة.", DEFAULT_KEY),
    ("Hindi", "भाषा मॉडल पाठ को छोटे टुकड़ों में काटते हैं।", DEFAULT_KEY),
    ('" hello" vs "hello"', "hello hello\nhello  hello\nHello HELLO", DEFAULT_KEY),
    ("Accents (WordPiece)", "Café, naïve, Zürich, résumé: CAFÉ NAÏVE!", "all-minilm-l6-v2"),
]

FIRST_TEXT = EXAMPLES[7][1]  # " hello" vs "hello"

CHAT_DEFAULTS = (
    "You are a concise assistant.",
    "What is a token?",
    "A token is a piece of text the model reads as one unit.",
)
HIDE_LABEL = "Hide the counts until I reveal"
HIDDEN = (f"**The counts are hidden while you guess.** Make your guesses under *Predict, then reveal* and click "
          f"Reveal, or untick *{HIDE_LABEL}*.")


# --- handlers (the hub is bound in build_tab) -----------------------------------------------------
# None of them runs a model: cutting text is light work, so no GPU is asked for.


@friendly
def tokenize_json(hub: ModelHub, text: str, key: str) -> dict:
    """The `tokenize` API: {"tokenizer", "ids", "tokens", "offsets", "n_chars", "n_tokens"}."""
    tokenized, _ = tokenize(hub, text, key)
    return tokenized.as_json()


@friendly
def show_tokens(hub: ModelHub, text: str, key: str, show_ids: bool,
                hide: bool = False) -> tuple[TokensResult | None, str, str, str]:
    """The compute step: the result every view reads, and the chips and counts drawn from it.
    An empty box is where every learner starts (and what clearing it gives): the empty view."""
    if not isinstance(text, str) or not text.strip():
        return None, *tokens_view(None, show_ids)
    result = analyse(hub, text, key)
    if hide:  # the learner is guessing the count: nothing on the page may give it away
        return result, HIDDEN, "", ""
    return result, *tokens_view(result, show_ids)


@friendly
def redraw_chips(result: TokensResult | None, show_ids: bool, hide: bool = False) -> str:
    return chips_html(result, show_ids) if result is not None and not hide else ""


@friendly
def compare_tokenizers(hub: ModelHub, result: TokensResult | None, hide: bool = False) -> list[list]:
    return compare_table(compare(hub, result.tokenized.text) if result is not None and not hide else None)


@friendly
def what_is_lost(result: TokensResult | None) -> tuple[str, str]:
    return round_trip_view(result)


@friendly
def chat_template(hub: ModelHub, key: str, system: str, user: str, assistant: str) -> tuple[str, str, str]:
    tok = tokenizer_for(hub, key)
    if not has_chat_template(tok):
        raise UserInputError(f"'{key}' has no chat template: it was not trained as a chat model.")
    messages = messages_from(system, user, assistant)
    if not messages:
        raise UserInputError("Write at least one message (system, user or assistant).")
    for m in messages:
        check_text(m["content"], max_chars=2_000, what=f"{m['role']} message")
    return chat_view(chat_template_view(tok, key, messages))


@friendly
def id_to_piece(hub: ModelHub, ids_text: str, key: str) -> tuple[list[list], str]:
    tok = tokenizer_for(hub, key)
    return lookup_view(lookup(tok, key, parse_ids(ids_text, vocab_size(tok))))


class Predict:
    """Predict, then reveal, bound to the hub (a method, not a partial, so Gradio passes it the request)."""

    def __init__(self, hub: ModelHub):
        self.hub = hub

    @friendly
    def reveal(self, text: str, key: str, show_ids: bool, count, fewest, request: gr.Request) -> tuple:
        """The counts and the comparison for the current text (shown again), and the guesses graded against them."""
        n, pick = P.check_guesses(count, fewest)
        result = analyse(self.hub, text, key)
        comparison = compare(self.hub, result.tokenized.text)
        verdicts = ([P.grade_count(n, result)] if n is not None else []) + (
            [P.grade_fewest(pick, comparison)] if pick is not None else [])
        return (result, *tokens_view(result, show_ids), compare_table(comparison), False, record(verdicts, request))


# --- the tab ---------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> LessonPage:
    lesson_intro(
        "A language model never sees letters or words: it sees a list of numbers, **token ids**. A "
        "tokenizer cuts text into pieces from a fixed vocabulary and gives each piece its id. "
        "Different tokenizers cut the same text differently, and that decides how much text fits in "
        "the model's context, what a request costs, and how well it copes with numbers, code and "
        "languages other than English.",
        [
            "In SmolLM2 a leading space belongs to the next word: `␣hello` and `hello` are different "
            f"tokens with different ids (hover a chip, or tick '{SHOW_IDS}', to see them).",
            "Common English words are one token; rare words, numbers, code and other scripts break "
            "into many. SmolLM2 writes every digit as its own token.",
            "Byte-level BPE never fails: it falls back to raw bytes (the dashed hex boxes), so an "
            "emoji can cost several tokens. WordPiece has no piece for it and writes `[UNK]`: the text is gone.",
        ],
        [
            f"Click the ' hello' vs 'hello' example and tick '{SHOW_IDS}': how many different ids does 'hello' get?",
            "Click Hindi, then the emoji example, and read the table under the chips: how many times "
            "more tokens does the worst tokenizer need than the best?",
            "Click 'Accents (WordPiece)' and look at 'What is lost': which letters did WordPiece change?",
        ],
    )
    keys = hub.keys()
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(
                FIRST_TEXT,  # the first view: one word, four ways to write it, four different tokens
                label="Text",
                lines=5,
                max_lines=16,
                placeholder="Type or paste text (up to 20,000 characters), or click an example below.",
            )
        with gr.Column(scale=1, min_width=220):
            # allow_custom_value: an unknown key reaches our handler, which names the known ones
            key = gr.Dropdown(
                keys, value=DEFAULT_KEY if DEFAULT_KEY in keys else keys[0], label="Tokenizer", allow_custom_value=True
            )
            show_ids = gr.Checkbox(False, label=SHOW_IDS)
            run = gr.Button("Tokenize", variant="primary")
    gr.Examples(
        [[t, k] for _, t, k in EXAMPLES],
        [text, key],
        example_labels=[label for label, _, _ in EXAMPLES],
        label="Examples that teach something",
        api_name="tokens_load_example",
    )
    predict = predict_box(
        P.QUESTION,
        gr.Textbox(label="Tokens in the chosen tokenizer", placeholder="a number, e.g. 12", max_length=12, render=False),
        gr.Dropdown(keys, value=None, label="Fewest tokens of all the tokenizers", render=False),
        gr.Checkbox(False, label=HIDE_LABEL, render=False),
    )
    guess_count, guess_fewest, hide = predict.guesses
    stats_md = gr.Markdown(EMPTY)
    chips = gr.HTML(label="Tokens", elem_id="tokens-chips")
    with gr.Accordion("All token ids (copy some into the lookup at the bottom)", open=False):
        ids_box = gr.Textbox(label="Token ids", lines=3, max_lines=8, buttons=["copy"])
    result = gr.State(None)  # the TokensResult every view below reads
    # The `tokenize` API has its own event (its button is never shown), so the views' chain and
    # the API's answer stay separate.
    with gr.Group(visible=False):
        api_btn = gr.Button("tokenize")
        api_out = gr.JSON()

    gr.Markdown("### The same text through every tokenizer")
    compare_out = gr.Dataframe(
        headers=COMPARE_HEADERS, interactive=False, wrap=True, label="Fewest tokens first",
        column_widths=COMPARE_WIDTHS, pinned_columns=COMPARE_PINNED,
    )

    gr.Markdown("### What is lost: decode(encode(text)) next to your text")
    loss_md = gr.Markdown()
    loss_html = gr.HTML()

    gr.Markdown(
        "### The chat template\nA chat model does not see 'messages': it sees one string, laid out in "
        "the exact format it was trained on, with special tokens around each turn. Here is a short "
        "conversation through the model's own `apply_chat_template`."
    )
    with gr.Row():
        chat_keys = [k for k in hub.keys(Kind.CAUSAL_LM)]
        chat_key = gr.Dropdown(chat_keys, value=chat_keys[0] if chat_keys else None, label="Chat model", scale=1)
        system = gr.Textbox(CHAT_DEFAULTS[0], label="system", scale=2)
        user = gr.Textbox(CHAT_DEFAULTS[1], label="user", scale=2)
        assistant = gr.Textbox(CHAT_DEFAULTS[2], label="assistant", scale=2)
    chat_run = gr.Button("Render the conversation")
    chat_md = gr.Markdown()
    chat_raw = gr.Textbox(label="The template's output, as the model reads it", lines=6, max_lines=14, buttons=["copy"])
    chat_chips = gr.HTML()

    gr.Markdown("### The other way: token id → piece (in the tokenizer chosen above)")
    with gr.Row():
        lookup_in = gr.Textbox(label="Token ids", placeholder="e.g. 33662, 216, 2260", scale=3)
        lookup_run = gr.Button("Look up", scale=1)
    lookup_table = gr.Dataframe(headers=LOOKUP_HEADERS, interactive=False, label="Pieces")
    lookup_chips = gr.HTML()

    # --- wiring --------------------------------------------------------------------------------
    # Cutting text takes milliseconds and runs no model, so it never waits behind a model in
    # another tab. Its own queue of one keeps the steps in order: with several running at once, a
    # slow step of an earlier edit (the first CLIP load) could finish last and show stale counts.
    opened = first_view_trigger()  # the first view: the default text cut by the default tokenizer
    triggers = [run.click, text.submit, text.change, key.change, opened.change]
    event = gr.on(
        triggers, partial(show_tokens, hub), [text, key, show_ids, hide], [result, stats_md, chips, ids_box],
        api_name="tokens_view", trigger_mode="always_last", **TOKENS_WORK,
    )
    event = event.success(what_is_lost, [result], [loss_md, loss_html], api_name="tokens_round_trip", **TOKENS_WORK)
    event.success(partial(compare_tokenizers, hub), [result, hide], compare_out, api_name="tokens_compare", **TOKENS_WORK)
    show_ids.change(redraw_chips, [result, show_ids, hide], chips, api_name="tokens_show_ids", **TOKENS_WORK)
    api_btn.click(partial(tokenize_json, hub), [text, key], api_out, api_name="tokenize", **TOKENS_WORK)
    # predict, then reveal: hiding (or showing) the counts redraws them; the reveal shows them and grades the guesses
    hide.input(partial(show_tokens, hub), [text, key, show_ids, hide], [result, stats_md, chips, ids_box],
               api_name="tokens_predict_hide", **TOKENS_WORK).success(
        partial(compare_tokenizers, hub), [result, hide], compare_out, api_name="tokens_predict_hide_compare",
        **TOKENS_WORK)
    gr.on([predict.reveal.click, guess_count.submit], Predict(hub).reveal,
          [text, key, show_ids, guess_count, guess_fewest],
          [result, stats_md, chips, ids_box, compare_out, hide, predict.result], api_name="tokens_predict",
          **TOKENS_WORK)

    gr.on(
        [chat_run.click, system.submit, user.submit, assistant.submit, chat_key.change, opened.change],
        partial(chat_template, hub),
        [chat_key, system, user, assistant],
        [chat_md, chat_raw, chat_chips],
        api_name="tokens_chat_template",
        **LIGHT_WORK,
    )
    gr.on(
        [lookup_run.click, lookup_in.submit],
        partial(id_to_piece, hub),
        [lookup_in, key],
        [lookup_table, lookup_chips],
        api_name="tokens_id_to_piece",
        **LIGHT_WORK,
    )
    return LessonPage(inputs={"text": text, "tokenizer": key, "ids": show_ids}, opened=opened)
