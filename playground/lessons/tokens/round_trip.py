"""What a tokenizer loses: decode(encode(text)) against the input.

Two views, both computed:
- a word-level diff of the input and the decoded text (difflib on whitespace-separated words:
  a character-level diff of 20,000 characters takes a minute, words take a tenth of a second);
- a token-by-token account: each token's piece against the stretch of input it came from
  (its offsets), sorted into lower-cased, accents dropped, unknown (`[UNK]`) and rewritten,
  plus input characters no token covers at all.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from playground.lessons.tokens.encoding import (
    FAMILY_BYTE_BPE,
    FAMILY_CLIP,
    FAMILY_WORDPIECE,
    TokenizedText,
    piece_parts,
)

_WORD = re.compile(r"\S+")


@dataclass
class RoundTrip:
    text: str
    decoded: str
    lossless: bool
    changes: Counter = field(default_factory=Counter)  # category -> number of tokens
    examples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # category -> (input, piece)
    uncovered: str = ""  # input characters that no token covers (whitespace excluded)
    whitespace_changed: bool = False


def decode(tok: Any, ids: list[int]) -> str:
    """The tokenizer's own decode (open_clip and Hugging Face both call it `decode`)."""
    return tok.decode(ids)


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def _piece_text(token: str, family: str) -> str | None:
    """The text a piece stands for, or None when it is only part of a character."""
    _, piece, _ = piece_parts(token, family, special=False)
    if isinstance(piece, bytes):
        try:
            return piece.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return piece


def classify(original: str, piece: str) -> str | None:
    """Why a piece differs from the input it came from, or None when it does not."""
    if piece == original:
        return None
    low = original.lower()
    if piece == low:
        return "lower-cased"
    if piece == strip_accents(original):
        return "accents dropped"
    if piece == strip_accents(low):
        return "lower-cased and accents dropped"
    return "rewritten"


def round_trip(tok: Any, result: TokenizedText, unk_id: int | None) -> RoundTrip:
    text = result.text
    decoded = decode(tok, result.ids)
    rt = RoundTrip(text, decoded, decoded == text)
    covered = bytearray(len(text))
    for token_id, token, (s, e), special in zip(result.ids, result.tokens, result.offsets, result.special):
        covered[s:e] = b"\x01" * (e - s)
        original = text[s:e]
        if unk_id is not None and token_id == unk_id:
            category, shown = "unknown", token
        elif special or result.family == FAMILY_BYTE_BPE:
            continue  # byte-level pieces are the input's own bytes; specials were typed as such
        else:
            shown = _piece_text(token, result.family)
            if shown is None:
                continue
            if result.family == FAMILY_CLIP:
                shown = shown.strip()
            category = classify(original, shown)
            if category is None:
                continue
        rt.changes[category] += 1
        examples = rt.examples.setdefault(category, [])
        if len(examples) < 5 and (original, shown) not in examples:
            examples.append((original, shown))
    rt.uncovered = "".join(ch for ch, c in zip(text, covered) if not c and not ch.isspace())
    rt.whitespace_changed = re.findall(r"\s+", text) != re.findall(r"\s+", decoded)
    return rt


# Each kind of loss once, in this order; a token both lower-cased and stripped of its accents
# counts under both kinds.
LOST_KINDS = ("[UNK]", "lower-cased", "accents dropped", "rewritten", "characters dropped", "spacing")
_KINDS_OF = {
    "unknown": ("[UNK]",),
    "lower-cased": ("lower-cased",),
    "accents dropped": ("accents dropped",),
    "lower-cased and accents dropped": ("lower-cased", "accents dropped"),
    "rewritten": ("rewritten",),
}


def lost_kinds(rt: RoundTrip) -> tuple[str, ...]:
    """What decode(encode(text)) loses, each kind named once (empty when lossless)."""
    if rt.lossless:
        return ()
    found = {kind for category in rt.changes for kind in _KINDS_OF[category]}
    if rt.uncovered:
        found.add("characters dropped")
    if rt.whitespace_changed or not found:  # nothing else differs, so the spacing does
        found.add("spacing")
    return tuple(kind for kind in LOST_KINDS if kind in found)


def summary_markdown(rt: RoundTrip, family: str) -> str:
    if rt.lossless:
        return "**Lossless:** decode(encode(text)) gives back exactly your text, character for character."
    lines = ["**Not lossless:** decode(encode(text)) differs from your text."]
    labels = {
        "unknown": "tokens are `[UNK]` (the tokenizer has no piece for this; the text is gone)",
        "lower-cased": "tokens were lower-cased",
        "accents dropped": "tokens lost their accents",
        "lower-cased and accents dropped": "tokens were lower-cased and lost their accents",
        "rewritten": "tokens were rewritten by the tokenizer's clean-up (quotes, widths, ligatures, ...)",
    }
    for category in labels:
        n = rt.changes.get(category, 0)
        if n:
            shown = ", ".join(f"`{_md(a)}` → `{_md(b)}`" for a, b in rt.examples.get(category, []))
            lines.append(f"- {n:,} {labels[category]}: {shown}")
    if rt.uncovered:
        sample = rt.uncovered[:40]
        lines.append(f"- {len(rt.uncovered):,} characters belong to no token at all (dropped): `{_md(sample)}`")
    if rt.whitespace_changed:
        lines.append("- spacing changed: runs of spaces, tabs and newlines do not come back as typed")
    if family == FAMILY_WORDPIECE:
        lines.append("- WordPiece also joins `##` pieces and re-spaces punctuation when decoding")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("`", "'").replace("\n", "↵")


def diff_html(text: str, decoded: str) -> str:
    """Input and decoded text side by side, words that differ marked on both sides."""
    a_words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    b_words = [(m.start(), m.end()) for m in _WORD.finditer(decoded)]
    matcher = difflib.SequenceMatcher(
        None, [text[s:e] for s, e in a_words], [decoded[s:e] for s, e in b_words], autojunk=False
    )
    a_marked, b_marked = [], []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "equal":
            a_marked.extend(range(a0, a1))
            b_marked.extend(range(b0, b1))
    left = _marked(text, a_words, set(a_marked), "rt-lost")
    right = _marked(decoded, b_words, set(b_marked), "rt-new")
    style = (
        "<style>.rt-grid{display:grid;grid-template-columns:1fr 1fr;gap:0.8em}"
        ".rt-box{white-space:pre-wrap;word-break:break-word;font-family:var(--font-mono,monospace);font-size:0.9em;"
        "border:1px solid var(--border-color-primary,#ccc);border-radius:6px;padding:0.5em;max-height:24em;overflow:auto}"
        ".rt-lost{background:hsla(0,85%,60%,0.3);border-radius:3px}"
        ".rt-new{background:hsla(130,70%,45%,0.3);border-radius:3px}</style>"
    )
    return (
        f'{style}<div class="rt-grid"><div><b>Your text</b> (marked: words that did not come back)'
        f'<div class="rt-box">{left}</div></div><div><b>decode(encode(text))</b> (marked: what came back instead)'
        f'<div class="rt-box">{right}</div></div></div>'
    )


def _marked(text: str, words: list[tuple[int, int]], marked: set[int], cls: str) -> str:
    out, pos = [], 0
    for k, (s, e) in enumerate(words):
        out.append(html.escape(text[pos:s]))
        word = html.escape(text[s:e])
        out.append(f'<span class="{cls}">{word}</span>' if k in marked else word)
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)
