"""What the Tokens tab draws, as pure functions of results already computed (no tokenizer runs here)."""

from __future__ import annotations

import html

from playground.lessons.tokens.analysis import Comparison, TokensResult
from playground.lessons.tokens.chat_template import ChatTemplateView
from playground.lessons.tokens.encoding import TokenizedText, piece_parts, stats
from playground.lessons.tokens.lookup import Lookup
from playground.lessons.tokens.round_trip import diff_html, lost_kinds, summary_markdown
from playground.viz.token_chips import Chip, plain_label, render_chips

MAX_CHIPS = 2_000  # drawing more chips makes the page sluggish; counts and ids still cover all
EMPTY = "Type some text or click an example to see its tokens."
SHOW_IDS = "Show ids under the chips"  # the checkbox's label: a chip's id without hovering (touch screens)


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


def stats_markdown(result: TokensResult) -> str:
    tokenized = result.tokenized
    st = stats(tokenized)
    lines = []
    if result.notice:
        lines.append(f"⚠️ **{result.notice}**")
    lines.append(
        f"**{st.n_tokens:,} tokens** for {st.n_chars:,} characters ({st.n_bytes:,} UTF-8 bytes, "
        f"{st.n_words:,} words): **{st.chars_per_token:.2f} characters per token**, "
        f"{st.words_per_token:.2f} words per token."
    )
    lines.append(
        f"Tokenizer `{tokenized.tokenizer}`: {tokenized.family}, vocabulary of {result.vocab_size:,} pieces. "
        "Words are runs of characters between spaces, so a language written without spaces counts "
        "a whole sentence as one word. Hover a chip for its id and where it came from, or tick "
        f"**{SHOW_IDS}** to print every id."
    )
    return "\n\n".join(lines)


def chips_html(result: TokensResult, show_ids: bool) -> str:
    tokenized = result.tokenized
    return render_chips(chips_for(tokenized, MAX_CHIPS), show_ids=bool(show_ids), total=tokenized.n_tokens)


def tokens_view(result: TokensResult | None, show_ids: bool) -> tuple[str, str, str]:
    """(counts, chips, all ids); the empty view when there is no text."""
    if result is None:
        return EMPTY, "", ""
    return stats_markdown(result), chips_html(result, show_ids), ", ".join(map(str, result.tokenized.ids))


def round_trip_view(result: TokensResult | None) -> tuple[str, str]:
    if result is None:
        return "", ""
    rt = result.round_trip
    return summary_markdown(rt, result.tokenized.family), diff_html(rt.text, rt.decoded)


# Token counts come second and are pinned with the rank, so a phone shows them first; the
# widths keep short headers whole (a header squeezed to its text's width breaks mid-word).
COMPARE_HEADERS = ["#", "tokens", "tokenizer", "chars/token", "round trip", "vocab", "family"]
COMPARE_WIDTHS = ["48px", "76px", "196px", "132px", "260px", "88px", "240px"]
COMPARE_PINNED = 2


def compare_table(comparison: Comparison | None) -> list[list]:
    if comparison is None:
        return []
    rows = []
    for rank, row in enumerate(comparison.ranked, 1):
        lost = lost_kinds(row.round_trip)
        cell = "loses: " + ", ".join(lost) if lost else "lossless"
        rows.append([rank, row.n_tokens, row.key, round(row.chars_per_token, 2), cell, row.vocab_size, row.family])
    rows += [["–", "", key, "", f"not available: {why}", "", ""] for key, why in comparison.missing]
    return rows


def chat_view(view: ChatTemplateView) -> tuple[str, str, str]:
    """(what the template costs, its raw output, that output as chips)."""
    parts = ", ".join(f"{role} {n}" for role, n in view.content_tokens.items())
    specials = sorted(set(view.special_pieces()))
    summary = (
        f"**{view.n_template} tokens** for the whole conversation; the messages' own text is "
        f"{view.n_content} tokens ({parts}). **The template adds {view.n_added} tokens**: "
        f"{view.n_special} special tokens ({', '.join(f'`{s}`' for s in specials)}, highlighted) "
        "plus the role names and newlines between them."
    )
    return summary, view.raw, render_chips(chips_for(view.result))


LOOKUP_HEADERS = ["id", "piece (vocabulary entry)", "reads as", "special"]


def lookup_rows(found: Lookup) -> list[list]:
    result = found.result
    rows = []
    for i, token, special in zip(result.ids, result.tokens, result.special):
        prefix, piece, suffix = piece_parts(token, result.family, special)
        rows.append([i, token, prefix + plain_label(piece) + suffix, "yes" if special else ""])
    return rows


def lookup_view(found: Lookup) -> tuple[list[list], str]:
    """(the table, the pieces as chips with their ids, then the ids decoded together)."""
    decoded = html.escape(found.decoded).replace("\n", "↵")
    decoded_md = f'<div style="margin-top:0.5em">Decoded together: <code>{decoded}</code></div>'
    return lookup_rows(found), render_chips(chips_for(found.result), show_ids=True) + decoded_md
