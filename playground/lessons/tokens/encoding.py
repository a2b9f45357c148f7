"""The Tokens lesson's maths: cut text into token ids, with where each token came from.

Three tokenizer families, one result shape:

- **Hugging Face tokenizers** (SmolLM2's byte-level BPE, MiniLM's WordPiece, any hub model):
  ids, pieces and character offsets come from the tokenizer's own Rust encoder
  (`backend_tokenizer.encode(text, add_special_tokens=False)`), the same call
  `tokenizer(text, add_special_tokens=False)` makes.
- **CLIP's `SimpleTokenizer`** (open_clip): it first cleans the text (ftfy, HTML unescaping,
  whitespace collapsed, lower-cased) and cuts the *cleaned* text. We run its own steps
  (`clean_fn`, `pat`, `bpe`, `encoder`) and map every cleaned character back to the stretch of
  the original input it came from (see `align_cleaned`), so offsets point into what was typed.

Offsets, precisely: `[start, end)` are character (code point) offsets into the input.
A token's span covers every character at least one of whose UTF-8 bytes the token holds. When a
byte-level tokenizer splits one character's bytes over several tokens (an emoji is 4 bytes), each
of those tokens' spans covers that whole character, so their spans overlap. WordPiece `##`
pieces cover the characters after the word's start (the `##` is not in the text); a WordPiece
token's text is the lower-cased, accent-stripped form of its span.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from playground.lm.text import byte_decoder

FAMILY_BYTE_BPE = "byte-level BPE"
FAMILY_WORDPIECE = "WordPiece"
FAMILY_CLIP = "CLIP BPE (lower-cased, cleaned)"
FAMILY_SP_BPE = "BPE (SentencePiece style)"
FAMILY_UNIGRAM = "Unigram (SentencePiece)"
FAMILY_OTHER = "other"

_SP_BYTE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")  # SentencePiece byte-fallback pieces


@dataclass
class TokenizedText:
    tokenizer: str  # catalog key
    family: str
    text: str  # the input that was cut (after any length cut)
    ids: list[int]
    tokens: list[str]  # the tokenizer's own vocabulary strings ("Ġhello", "##ing", "hello</w>")
    offsets: list[tuple[int, int]]
    special: list[bool] = field(default_factory=list)

    @property
    def n_tokens(self) -> int:
        return len(self.ids)

    def as_json(self) -> dict:
        """Exactly the `tokenize` API's JSON shape (each (start, end) pair becomes a JSON array)."""
        return {
            "tokenizer": self.tokenizer,
            "ids": self.ids,
            "tokens": self.tokens,
            "offsets": self.offsets,
            "n_chars": len(self.text),
            "n_tokens": len(self.ids),
        }


# --- which family -------------------------------------------------------------------------------


def is_clip(tok: Any) -> bool:
    return hasattr(tok, "bpe") and hasattr(tok, "byte_encoder") and hasattr(tok, "clean_fn")


def family_of(tok: Any) -> str:
    if is_clip(tok):
        return FAMILY_CLIP
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        return FAMILY_OTHER
    model = type(backend.model).__name__
    if model == "WordPiece":
        return FAMILY_WORDPIECE
    if model == "BPE":
        bytelevel = "ByteLevel" in f"{backend.pre_tokenizer} {backend.decoder}"
        return FAMILY_BYTE_BPE if bytelevel else FAMILY_SP_BPE
    if model == "Unigram":
        return FAMILY_UNIGRAM
    return FAMILY_OTHER


def special_ids(tok: Any) -> frozenset[int]:
    """Ids the tokenizer marks special (HF: all_special_ids plus added tokens flagged special)."""
    ids = set(getattr(tok, "all_special_ids", []) or [])
    for i, added in (getattr(tok, "added_tokens_decoder", None) or {}).items():
        if getattr(added, "special", False):
            ids.add(int(i))
    return frozenset(ids)


def vocab_size(tok: Any) -> int:
    if is_clip(tok):
        return len(tok.encoder)
    return len(tok)


# --- encoding -----------------------------------------------------------------------------------


def encode(tok: Any, key: str, text: str) -> TokenizedText:
    """Ids, pieces and offsets for `text`, without special tokens added around it."""
    if is_clip(tok):
        ids, tokens, offsets = _encode_clip(tok, text)
    else:
        ids, tokens, offsets = _encode_hf(tok, text)
    specials = special_ids(tok)
    return TokenizedText(key, family_of(tok), text, ids, tokens, offsets, [i in specials for i in ids])


def _encode_hf(tok: Any, text: str) -> tuple[list[int], list[str], list[tuple[int, int]]]:
    backend = _plain_backend(tok)
    if backend is not None:
        enc = backend.encode(text, add_special_tokens=False)
        return enc.ids, enc.tokens, enc.offsets  # offsets: a list of (start, end) tuples
    # A slow (pure Python) tokenizer: ids from its own call; offsets only if it can give them.
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    return ids, tok.convert_ids_to_tokens(ids), [tuple(o) for o in enc["offset_mapping"]]


_PLAIN: dict[int, tuple[Any, Any]] = {}
_PLAIN_LOCK = threading.Lock()


def _plain_backend(tok: Any) -> Any:
    """A private copy of the tokenizer's Rust encoder with padding and truncation switched off.

    A tokenizer file may carry padding / truncation settings (MiniLM's pads to 128), which
    `tokenizer(text)` switches off for each call by changing the shared encoder. We keep our own
    copy instead of touching the one every tab shares.
    """
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        return None
    kept = _PLAIN.get(id(backend))
    if kept is not None and kept[0] is backend:
        return kept[1]
    from tokenizers import Tokenizer

    with _PLAIN_LOCK:
        plain = Tokenizer.from_str(backend.to_str())
        plain.no_padding()
        plain.no_truncation()
        _PLAIN[id(backend)] = (backend, plain)
    return plain


def _encode_clip(tok: Any, text: str) -> tuple[list[int], list[str], list[tuple[int, int]]]:
    """open_clip's `SimpleTokenizer.encode`, step by step, keeping where each piece came from."""
    cleaned = tok.clean_fn(text)
    words = _word_map(text, cleaned)
    if words is None:  # the cleaning split or joined words: align character by character
        words = ([0], [align_cleaned(text, cleaned)])
    word_starts, word_maps = words
    pieces_of = _clip_word_cache(tok)
    ids: list[int] = []
    tokens: list[str] = []
    offsets: list[tuple[int, int]] = []
    k, n_words = 0, len(word_starts)
    next_start = word_starts[1] if n_words > 1 else len(cleaned) + 1
    for match in tok.pat.finditer(cleaned):  # encode() uses re.findall with the same pattern
        at = match.start()
        word = match.group()
        found = pieces_of.get(word)
        if found is None:
            found = pieces_of.add(word)
        pieces, piece_ids, spans = found
        tokens += pieces
        ids += piece_ids
        # A match never crosses whitespace, so it lies inside one word of the cleaned text.
        if at >= next_start:
            while k + 1 < n_words and word_starts[k + 1] <= at:
                k += 1
            next_start = word_starts[k + 1] if k + 1 < n_words else len(cleaned) + 1
        shift = word_maps[k]
        if isinstance(shift, int):  # the word only moved (lower-casing, spaces): shift its spans
            base = at + shift
            offsets += [(base + a, base + b) for a, b in spans]
        else:  # the cleaning rewrote characters here; spans never go backwards, so the first and
            # last character of a piece bound it
            w0 = word_starts[k]
            for a, b in spans:
                first = shift[at + a - w0][0]
                offsets.append((first, max(first, shift[at + b - 1 - w0][1])))
    return ids, tokens, offsets


class _ClipWords:
    """Per tokenizer: each word's BPE pieces, ids, and the character span of each piece within the
    word, so a word met again costs one dict lookup (open_clip's own encode caches its BPE too)."""

    MAX_WORDS = 100_000

    def __init__(self, tok: Any):
        self.tok = tok
        self.words: dict[str, tuple[list[str], list[int], list[tuple[int, int]]]] = {}
        self.get = self.words.get

    def add(self, word: str) -> tuple[list[str], list[int], list[tuple[int, int]]]:
        tok = self.tok
        raw = word.encode("utf-8")
        pieces = tok.bpe("".join([tok.byte_encoder[b] for b in raw])).split(" ")
        if len(raw) == len(word):  # ASCII: one character per byte
            char_of_byte: Any = range(len(word))
        else:  # which character of `word` holds each byte
            char_of_byte = [ci for ci, ch in enumerate(word) for _ in range(len(ch.encode("utf-8")))]
        spans, byte_pos = [], 0
        for piece in pieces:
            n_bytes = len(piece) - 4 if piece.endswith("</w>") else len(piece)  # one symbol per byte
            spans.append((char_of_byte[byte_pos], char_of_byte[byte_pos + n_bytes - 1] + 1))
            byte_pos += n_bytes
        found = (pieces, [tok.encoder[p] for p in pieces], spans)
        if len(self.words) >= self.MAX_WORDS:
            self.words.clear()
        self.words[word] = found
        return found


_CLIP_WORDS: dict[int, _ClipWords] = {}


def _clip_word_cache(tok: Any) -> _ClipWords:
    cache = _CLIP_WORDS.get(id(tok))
    if cache is None or cache.tok is not tok:
        cache = _CLIP_WORDS[id(tok)] = _ClipWords(tok)
    return cache


_WORD = re.compile(r"\S+")


def _word_map(original: str, cleaned: str) -> tuple[list[int], list[int | list[tuple[int, int]]]] | None:
    """Pair the input's words with the cleaned text's words (the cleaning joins them with single
    spaces). Returns where each cleaned word starts and, per word, either how far it moved left
    (the common case: it was only lower-cased) or, where ftfy / HTML unescaping / lower-casing
    changed its characters, each character's span from `_align_block`. None when the cleaning
    split or joined words ('a&nbsp;b' becomes two), so the counts differ."""
    originals = [(m.start(), m.group()) for m in _WORD.finditer(original)]
    cleans = cleaned.split(" ") if cleaned else []
    if len(originals) != len(cleans):
        return None
    starts: list[int] = []
    maps: list[int | list[tuple[int, int]]] = []
    at = 0
    for (s, word), clean in zip(originals, cleans):
        low = word.lower()
        maps.append(s - at if low == clean and len(low) == len(word) else _align_block(word, clean, s))
        starts.append(at)
        at += len(clean) + 1
    return starts, maps


def align_cleaned(original: str, cleaned: str) -> list[tuple[int, int]]:
    """For each character of `cleaned`, the `[start, end)` stretch of `original` it came from.

    CLIP's cleaning collapses whitespace runs into one space, strips the ends, lower-cases, and
    lets ftfy / HTML unescaping rewrite some characters ('&amp;' -> '&', curly quotes -> straight,
    full-width -> ASCII, NFC). We walk both strings together: equal characters (after lowering)
    map one to one, a cleaned space maps to the whole whitespace run it replaced. Where the two
    disagree, we compare the two words there with difflib: matching characters still map one to
    one, and each rewritten character maps to the whole stretch of the original it replaced.
    """
    spans: list[tuple[int, int]] = []
    i, j, n, m = 0, 0, len(original), len(cleaned)
    while j < m:
        c = cleaned[j]
        if c == " " and i < n and original[i].isspace():
            start = i
            while i < n and original[i].isspace():
                i += 1
            spans.append((start, i))
            j += 1
            continue
        while i < n and original[i].isspace() and c != " ":  # leading whitespace the cleaning dropped
            i += 1
        if i < n:
            low = original[i].lower()
            if cleaned.startswith(low, j):
                spans.extend([(i, i + 1)] * len(low))
                i += 1
                j += len(low)
                continue
        # Disagreement: align the words here (up to the next whitespace on each side).
        i_end = i
        while i_end < n and not original[i_end].isspace():
            i_end += 1
        # (j + 1: a space the cleaning made where the input had none, e.g. '&nbsp;', joins the block)
        j_end = cleaned.find(" ", j + 1)
        j_end = m if j_end < 0 else j_end
        if i_end == i:  # nothing left in the original to explain it: point at where we are
            spans.extend([(min(i, n), min(i, n))] * (j_end - j))
            j = j_end
            continue
        spans.extend(_align_block(original[i:i_end], cleaned[j:j_end], i))
        i, j = i_end, j_end
    return spans


def _align_block(orig: str, clean: str, base: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(None, [c.lower() for c in orig], list(clean), autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "delete":
            continue
        if op == "equal" or (op == "replace" and a1 - a0 == b1 - b0):
            out.extend((base + a0 + k, base + a0 + k + 1) for k in range(b1 - b0))
        elif op == "replace":
            out.extend([(base + a0, base + a1)] * (b1 - b0))
        else:  # insert: characters the cleaning added; they come from the character before
            anchor = max(a0 - 1, 0)
            out.extend([(base + anchor, base + min(anchor + 1, len(orig)))] * (b1 - b0))
    return out


# --- what each piece is, as bytes or text ---------------------------------------------------------


def piece_parts(token: str, family: str, special: bool) -> tuple[str, str | bytes, str]:
    """(prefix marker, the piece as text or bytes, suffix marker) for drawing one token."""
    if special:
        return "", token, ""
    if family in (FAMILY_BYTE_BPE, FAMILY_CLIP):
        suffix = ""
        if family == FAMILY_CLIP and token.endswith("</w>"):
            token, suffix = token[:-4], "</w>"
        table = byte_decoder()
        if all(ch in table for ch in token):
            return "", bytes(table[ch] for ch in token), suffix
        return "", token, suffix
    if family == FAMILY_WORDPIECE and token.startswith("##"):
        return "##", token[2:], ""
    if family in (FAMILY_SP_BPE, FAMILY_UNIGRAM):
        byte = _SP_BYTE.match(token)
        if byte:
            return "", bytes([int(byte.group(1), 16)]), ""
        return "", token.replace("▁", " "), ""
    return "", token, ""


def piece_bytes(token: str, family: str) -> bytes | None:
    """The UTF-8 bytes a byte-level / CLIP piece stands for (None for other families)."""
    if family not in (FAMILY_BYTE_BPE, FAMILY_CLIP):
        return None
    _, piece, _ = piece_parts(token, family, special=False)
    return piece if isinstance(piece, bytes) else None


# --- counts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextStats:
    n_tokens: int
    n_chars: int
    n_bytes: int
    n_words: int

    @property
    def chars_per_token(self) -> float:
        return self.n_chars / self.n_tokens if self.n_tokens else 0.0

    @property
    def words_per_token(self) -> float:
        return self.n_words / self.n_tokens if self.n_tokens else 0.0


def stats(result: TokenizedText) -> TextStats:
    text = result.text
    return TextStats(result.n_tokens, len(text), len(text.encode("utf-8")), len(text.split()))
