"""Token chips: a row of coloured boxes, one per token, as plain HTML/CSS for `gr.HTML`.

Any tab that shows tokens can use it. Each chip shows its piece with the invisible made visible:
a space is `␣`, a newline `↵` (and the chips break the line there, so code keeps its shape), a
tab `→`, other whitespace and invisible format characters (zero-width joiners, ...) as `U+XXXX`,
and bytes that are only part of a character (byte-level BPE cuts emoji and CJK characters into
bytes) as hex, e.g. `F0 9F`. The id is in the chip's hover text, or shown under it with
`show_ids`. No scripts: Gradio's HTML component runs none, and none are needed.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass
from typing import Sequence

# Adjacent chips must differ; semi-transparent fills read on light and dark themes alike.
_HUES = (210, 30, 130, 280, 0, 180, 55, 320)

STYLE = (
    "<style>"
    ".tc-chips{line-height:2.2;font-family:var(--font-mono,monospace);font-size:1.05em;max-height:30em;overflow-y:auto}"
    ".tc-chip{display:inline-block;margin:1px 1px;padding:0 3px;border-radius:4px;white-space:pre;"
    "border:1px solid transparent;vertical-align:top;line-height:1.5}"
    + "".join(
        f".tc-c{i}{{background:hsla({h},75%,55%,0.22);border-color:hsla({h},75%,45%,0.45)}}"
        for i, h in enumerate(_HUES)
    )
    + ".tc-chip.tc-special{background:hsla(45,95%,50%,0.35);border:2px solid hsla(25,90%,45%,0.9);font-weight:700}"
    ".tc-mark{opacity:0.55}"
    ".tc-byte{font-size:0.8em;padding:0 2px;border:1px dashed currentColor;border-radius:3px;opacity:0.8}"
    ".tc-id{display:block;font-size:0.7em;opacity:0.7;text-align:center;line-height:1.1}"
    ".tc-note{font-style:italic;opacity:0.8;margin-top:0.4em}"
    "</style>"
)

_WHITESPACE_MARKS = {" ": "␣", "\n": "↵", "\t": "→", "\r": "␍"}


@dataclass(frozen=True)
class Chip:
    """One token as it should be drawn.

    `piece` is the token's text, or its raw bytes when the tokenizer works on bytes (bytes that
    are not a whole UTF-8 character are drawn as hex). `prefix` / `suffix` are the tokenizer's
    own markers drawn faintly, e.g. WordPiece's `##` or CLIP's `</w>`.
    """

    piece: str | bytes
    token_id: int
    title: str = ""
    special: bool = False
    prefix: str = ""
    suffix: str = ""


def visible_text(text: str) -> str:
    """HTML for `text` with whitespace and invisible characters drawn as faint markers."""
    out = []
    for ch in text:
        if ch in _WHITESPACE_MARKS:
            out.append(f'<span class="tc-mark">{_WHITESPACE_MARKS[ch]}</span>')
        elif ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp"):
            out.append(f'<span class="tc-mark">U+{ord(ch):04X}</span>')
        else:
            out.append(html.escape(ch))
    return "".join(out)


def _stray_byte_runs(text: str):
    """Yield ("bytes", "F0 9F") for each run of stray bytes of a split character (decoded with
    surrogateescape, they are U+DC80..U+DCFF), and ("char", ch) for every whole character."""
    stray: list[str] = []
    for ch in text:
        if "\udc80" <= ch <= "\udcff":
            stray.append(f"{ord(ch) - 0xDC00:02X}")
            continue
        if stray:
            yield "bytes", " ".join(stray)
            stray = []
        yield "char", ch
    if stray:
        yield "bytes", " ".join(stray)


def visible_bytes(raw: bytes) -> str:
    """Whole UTF-8 characters as text (with markers), stray bytes of a split character as hex."""
    text = raw.decode("utf-8", errors="surrogateescape")
    return "".join(
        f'<span class="tc-byte">{value}</span>' if kind == "bytes" else visible_text(value)
        for kind, value in _stray_byte_runs(text)
    )


def chip_html(chip: Chip, index: int, show_ids: bool = False) -> str:
    body = visible_bytes(chip.piece) if isinstance(chip.piece, bytes) else visible_text(chip.piece)
    if chip.prefix:
        body = f'<span class="tc-mark">{html.escape(chip.prefix)}</span>{body}'
    if chip.suffix:
        body += f'<span class="tc-mark">{html.escape(chip.suffix)}</span>'
    if not body:
        body = '<span class="tc-mark">∅</span>'
    classes = f"tc-chip tc-c{index % len(_HUES)}" + (" tc-special" if chip.special else "")
    title = chip.title or f"id {chip.token_id}"
    ids = f'<span class="tc-id">{chip.token_id}</span>' if show_ids else ""
    return f'<span class="{classes}" title="{html.escape(title, quote=True)}">{body}{ids}</span>'


def _ends_line(chip: Chip) -> bool:
    return chip.piece.endswith(b"\n" if isinstance(chip.piece, bytes) else "\n")


def render_chips(
    chips: Sequence[Chip],
    *,
    show_ids: bool = False,
    max_chips: int | None = None,
    total: int | None = None,
    what: str = "tokens",
) -> str:
    """The chips (at most `max_chips`) as one HTML block. When fewer are drawn than there are
    (`total`, by default `len(chips)`), a visible note says so."""
    shown = chips if max_chips is None else chips[:max_chips]
    total = len(chips) if total is None else total
    parts = [STYLE, '<div class="tc-chips">']
    for i, chip in enumerate(shown):
        parts.append(chip_html(chip, i, show_ids))
        if _ends_line(chip):
            parts.append("<br>")
    parts.append("</div>")
    if len(shown) < total:
        parts.append(
            f'<div class="tc-note">Showing chips for the first {len(shown):,} of {total:,} {what}; '
            "the counts, ids and tables cover all of them.</div>"
        )
    return "".join(parts)


def plain_label(piece: str | bytes) -> str:
    """The same markers as the chips, as plain text (for tables): `␣hello`, `↵`, `<F0 9F>`."""
    if isinstance(piece, bytes):
        text = piece.decode("utf-8", errors="surrogateescape")
    else:
        text = piece
    out = []
    for kind, ch in _stray_byte_runs(text):
        if kind == "bytes":
            out.append(f"<{ch}>")
        elif ch in _WHITESPACE_MARKS:
            out.append(_WHITESPACE_MARKS[ch])
        elif ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp"):
            out.append(f"U+{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)
