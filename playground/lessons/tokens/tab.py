"""Tokens lesson: how text becomes token ids, across tokenizer families.

A model never sees words, only token ids. The learner types text and sees it cut into chips
(with the id of each), counts and ratios, the same text through every other tokenizer ranked by
token count, what decode(encode(text)) loses, the chat template a conversation really becomes,
and the way back from an id to its piece. The cutting itself is in `tokens_core.py`; what is
lost in `tokens_loss.py`; the chat template in `tokens_chat.py`; the chips in
`playground/viz/token_chips.py`.
"""

from __future__ import annotations

import html
import re
from typing import Any

import gradio as gr

from playground.lessons.tokens.chat_template import chat_template_view, has_chat_template, messages_from
from playground.lessons.tokens.encoding import (
    FAMILY_BYTE_BPE,
    FAMILY_CLIP,
    TokenizedText,
    encode,
    family_of,
    is_clip,
    piece_parts,
    special_ids,
    stats,
    vocab_size,
)
from playground.lessons.tokens.round_trip import diff_html, round_trip, summary_markdown
from playground.models import ModelHub
from playground.models.catalog import Kind
from playground.models.hub import ModelUnavailable
from playground.checks import UserInputError, check_text
from playground.ui.errors import friendly
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK
from playground.viz.token_chips import Chip, plain_label, render_chips

TITLE = "Tokens"

MAX_CHARS = 20_000  # stays interactive; longer text is cut with a notice
MAX_CHIPS = 2_000  # drawing more chips makes the page sluggish; counts and ids still cover all
MAX_LOOKUP_IDS = 200
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

CHAT_DEFAULTS = (
    "You are a concise assistant.",
    "What is a token?",
    "A token is a piece of text the model reads as one unit.",
)


# --- pure functions: text and a tokenizer in, plain data out --------------------------------------


def tokenizer_for(hub: ModelHub, key: str) -> Any:
    """The tokenizer of catalog entry `key`, or a UserInputError / ModelUnavailable that says why not."""
    if not isinstance(key, str) or key not in hub.keys():
        raise UserInputError(f"Unknown tokenizer '{key}'. Choose one of: {', '.join(hub.keys())}.")
    try:
        return hub.tokenizer(key)
    except ModelUnavailable:
        raise
    except Exception as exc:  # e.g. a configured hub model whose tokenizer files are broken
        raise UserInputError(f"The tokenizer of '{key}' could not be loaded ({type(exc).__name__}: {exc}).") from exc


def tokenize(hub: ModelHub, text: object, key: str) -> tuple[TokenizedText, str | None]:
    """Check the text, cut it, and say what was cut off (the notice) if it was too long."""
    clean, notice = check_text(text, max_chars=MAX_CHARS)
    tok = tokenizer_for(hub, key)
    return encode(tok, key, clean), notice


def unk_id(tok: Any, family: str) -> int | None:
    """The unknown-token id, where the tokenizer can produce one (byte-level BPE never does)."""
    if family in (FAMILY_BYTE_BPE, FAMILY_CLIP):
        return None
    return getattr(tok, "unk_token_id", None)


def chips_for(result: TokenizedText, limit: int | None = None) -> list[Chip]:
    text = result.text
    chips = []
    rows = zip(result.ids, result.tokens, result.offsets, result.special)
    for k, (token_id, token, (s, e), special) in enumerate(rows):
        if limit is not None and k >= limit:
            break
        prefix, piece, suffix = piece_parts(token, result.family, special)
        title = f"id {token_id} · piece {token!r} · characters {s}–{e}: {text[s:e]!r}"
        chips.append(Chip(piece, token_id, title, special, prefix, suffix))
    return chips


def stats_markdown(result: TokenizedText, tok: Any, notice: str | None) -> str:
    st = stats(result)
    lines = []
    if notice:
        lines.append(f"⚠️ **{notice}**")
    lines.append(
        f"**{st.n_tokens:,} tokens** for {st.n_chars:,} characters ({st.n_bytes:,} UTF-8 bytes, "
        f"{st.n_words:,} words): **{st.chars_per_token:.2f} characters per token**, "
        f"{st.words_per_token:.2f} words per token."
    )
    lines.append(
        f"Tokenizer `{result.tokenizer}`: {result.family}, vocabulary of {vocab_size(tok):,} pieces. "
        "Words are runs of characters between spaces, so a language written without spaces counts "
        "a whole sentence as one word. Hover a chip for its id and where it came from."
    )
    return "\n\n".join(lines)


COMPARE_HEADERS = ["rank", "tokenizer", "family", "tokens", "characters / token", "vocabulary", "round trip"]


def compare_rows(hub: ModelHub, text: str) -> list[list]:
    """Every tokenizer in the catalog on the same text, fewest tokens first."""
    ranked, missing = [], []
    for key in hub.keys():
        try:
            tok = tokenizer_for(hub, key)
        except (ModelUnavailable, UserInputError) as exc:
            missing.append(["–", key, "", "", "", "", f"not available: {exc}"])
            continue
        result = encode(tok, key, text)
        rt = round_trip(tok, result, unk_id(tok, result.family))
        lost = "lossless" if rt.lossless else "loses: " + (", ".join(sorted(rt.changes)) or "spacing")
        per = len(text) / result.n_tokens if result.n_tokens else 0.0
        ranked.append([key, result.family, result.n_tokens, round(per, 2), vocab_size(tok), lost])
    ranked.sort(key=lambda row: row[2])
    return [[i, *row] for i, row in enumerate(ranked, 1)] + missing


LOOKUP_HEADERS = ["id", "piece (vocabulary entry)", "reads as", "special"]


def parse_ids(raw: object, size: int) -> list[int]:
    """'33662, 216 2260' -> [33662, 216, 2260], each checked against the vocabulary size."""
    if not isinstance(raw, str) or not raw.strip():
        raise UserInputError("Type one or more token ids, e.g. 33662, 216.")
    parts = [p for p in re.split(r"[\s,;\[\]]+", raw.strip()) if p]
    if len(parts) > MAX_LOOKUP_IDS:
        raise UserInputError(f"Look up at most {MAX_LOOKUP_IDS} ids at a time (got {len(parts)}).")
    ids = []
    for p in parts:
        if not re.fullmatch(r"\d+", p):
            raise UserInputError(f"'{p}' is not a token id: ids are whole numbers from 0 to {size - 1}.")
        n = int(p)
        if n >= size:
            raise UserInputError(f"There is no token {n}: this tokenizer's ids go from 0 to {size - 1}.")
        ids.append(n)
    return ids


def lookup(tok: Any, key: str, ids: list[int]) -> tuple[list[list], TokenizedText, str]:
    """Each id's vocabulary entry, how it reads, and the ids decoded together."""
    family = family_of(tok)
    tokens = [tok.decoder[i] for i in ids] if is_clip(tok) else tok.convert_ids_to_tokens(ids)
    specials = special_ids(tok)
    flags = [i in specials for i in ids]
    rows = []
    for i, token, special in zip(ids, tokens, flags):
        prefix, piece, suffix = piece_parts(token, family, special)
        rows.append([i, token, prefix + plain_label(piece) + suffix, "yes" if special else ""])
    result = TokenizedText(key, family, "", ids, tokens, [(0, 0)] * len(ids), flags)
    return rows, result, tok.decode(ids)


# --- the tab ---------------------------------------------------------------------------------------


def build_tab(hub: ModelHub) -> None:
    lesson_intro(
        "A language model never sees letters or words: it sees a list of numbers, **token ids**. A "
        "tokenizer cuts text into pieces from a fixed vocabulary and gives each piece its id. "
        "Different tokenizers cut the same text differently, and that decides how much text fits in "
        "the model's context, what a request costs, and how well it copes with numbers, code and "
        "languages other than English.",
        [
            "In SmolLM2 a leading space belongs to the next word: `␣hello` and `hello` are different "
            "tokens with different ids (hover a chip to see its id).",
            "Common English words are one token; rare words, numbers, code and other scripts break "
            "into many. SmolLM2 writes every digit as its own token.",
            "Byte-level BPE never fails: it falls back to raw bytes (the dashed hex boxes), so an "
            "emoji can cost several tokens. WordPiece has no piece for it and writes `[UNK]`: the text is gone.",
        ],
        [
            "Click the ' hello' vs 'hello' example and hover the chips: how many different ids does 'hello' get?",
            "Click Hindi, then the emoji example, and read the table under the chips: how many times "
            "more tokens does the worst tokenizer need than the best?",
            "Click 'Accents (WordPiece)' and look at 'What is lost': which letters did WordPiece change?",
        ],
    )
    keys = hub.keys()
    with gr.Row():
        with gr.Column(scale=3):
            text = gr.Textbox(
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
            show_ids = gr.Checkbox(False, label="Show ids under the chips")
            run = gr.Button("Tokenize", variant="primary")
    gr.Examples(
        [[t, k] for _, t, k in EXAMPLES],
        [text, key],
        example_labels=[label for label, _, _ in EXAMPLES],
        label="Examples that teach something",
        api_name="tokens_load_example",
    )
    stats_md = gr.Markdown("Type some text or click an example to see its tokens.")
    chips = gr.HTML(label="Tokens")
    with gr.Accordion("All token ids (copy some into the lookup at the bottom)", open=False):
        ids_box = gr.Textbox(label="Token ids", lines=3, max_lines=8, buttons=["copy"])
    payload = gr.JSON(visible=False)  # the `tokenize` API's answer

    gr.Markdown("### The same text through every tokenizer")
    compare = gr.Dataframe(headers=COMPARE_HEADERS, interactive=False, wrap=True, label="Fewest tokens first")

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

    # --- handlers ------------------------------------------------------------------------------

    @friendly
    def tokenize_text(text: str, key: str) -> dict:
        result, _ = tokenize(hub, text, key)
        return result.payload()

    @friendly
    def show_tokens(text: str, key: str, show: bool) -> tuple[str, str, str]:
        result, notice = tokenize(hub, text, key)
        tok = tokenizer_for(hub, key)
        chips_html = render_chips(chips_for(result, MAX_CHIPS), show_ids=bool(show), total=result.n_tokens)
        return stats_markdown(result, tok, notice), chips_html, ", ".join(map(str, result.ids))

    @friendly
    def compare_tokenizers(text: str) -> list[list]:
        clean, _ = check_text(text, max_chars=MAX_CHARS)
        return compare_rows(hub, clean)

    @friendly
    def what_is_lost(text: str, key: str) -> tuple[str, str]:
        result, _ = tokenize(hub, text, key)
        tok = tokenizer_for(hub, key)
        rt = round_trip(tok, result, unk_id(tok, result.family))
        return summary_markdown(rt, result.family), diff_html(rt.text, rt.decoded)

    @friendly
    def chat_template(key: str, system: str, user: str, assistant: str) -> tuple[str, str, str]:
        tok = tokenizer_for(hub, key)
        if not has_chat_template(tok):
            raise UserInputError(f"'{key}' has no chat template: it was not trained as a chat model.")
        messages = messages_from(system, user, assistant)
        if not messages:
            raise UserInputError("Write at least one message (system, user or assistant).")
        for m in messages:
            check_text(m["content"], max_chars=2_000, what=f"{m['role']} message")
        view = chat_template_view(tok, key, messages)
        parts = ", ".join(f"{role} {n}" for role, n in view.content_tokens.items())
        specials = sorted(set(view.special_pieces()))
        summary = (
            f"**{view.n_template} tokens** for the whole conversation; the messages' own text is "
            f"{view.n_content} tokens ({parts}). **The template adds {view.n_added} tokens**: "
            f"{view.n_special} special tokens ({', '.join(f'`{s}`' for s in specials)}, highlighted) "
            "plus the role names and newlines between them."
        )
        return summary, view.raw, render_chips(chips_for(view.result))

    @friendly
    def id_to_piece(ids_text: str, key: str) -> tuple[list[list], str]:
        tok = tokenizer_for(hub, key)
        ids = parse_ids(ids_text, vocab_size(tok))
        rows, result, decoded = lookup(tok, key, ids)
        decoded_md = f'<div style="margin-top:0.5em">Decoded together: <code>{_escape(decoded)}</code></div>'
        return rows, render_chips(chips_for(result), show_ids=True) + decoded_md

    # --- wiring --------------------------------------------------------------------------------
    # Cutting text takes milliseconds and runs no model, so it never waits behind a model in
    # another tab. Its own queue of one keeps the steps in order: with several running at once, a
    # slow step of an earlier edit (the first CLIP load) could finish last and show stale counts.
    triggers = [run.click, text.submit, text.change, key.change, show_ids.change]
    event = gr.on(triggers, tokenize_text, [text, key], payload, api_name="tokenize", trigger_mode="always_last", **TOKENS_WORK)
    event = event.success(show_tokens, [text, key, show_ids], [stats_md, chips, ids_box], api_name="tokens_view", **TOKENS_WORK)
    event = event.success(compare_tokenizers, [text], compare, api_name="tokens_compare", **TOKENS_WORK)
    event.success(what_is_lost, [text, key], [loss_md, loss_html], api_name="tokens_round_trip", **TOKENS_WORK)

    gr.on(
        [chat_run.click, system.submit, user.submit, assistant.submit, chat_key.change],
        chat_template,
        [chat_key, system, user, assistant],
        [chat_md, chat_raw, chat_chips],
        api_name="tokens_chat_template",
        **LIGHT_WORK,
    )
    gr.on(
        [lookup_run.click, lookup_in.submit],
        id_to_piece,
        [lookup_in, key],
        [lookup_table, lookup_chips],
        api_name="tokens_id_to_piece",
        **LIGHT_WORK,
    )


def _escape(text: str) -> str:
    return html.escape(text).replace("\n", "↵")
