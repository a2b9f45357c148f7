"""The Tokens tab's results: one text through the chosen tokenizer, and through every tokenizer.

`analyse` is the tab's compute step. Its `TokensResult` holds everything the views read: the
text cut into tokens, the vocabulary size, and what decode(encode(text)) loses. `compare` cuts
the same text with every tokenizer in the catalog, fewest tokens first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.checks import UserInputError, check_text
from playground.lessons.tokens.encoding import FAMILY_BYTE_BPE, FAMILY_CLIP, TokenizedText, encode, vocab_size
from playground.lessons.tokens.round_trip import RoundTrip, round_trip
from playground.models import ModelHub
from playground.models.hub import ModelUnavailable

MAX_CHARS = 20_000  # stays interactive; longer text is cut with a notice


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


@dataclass(frozen=True)
class TokensResult:
    """One text cut by one tokenizer, with what the views need besides the tokens."""

    tokenized: TokenizedText
    vocab_size: int
    round_trip: RoundTrip
    notice: str | None = None  # set when the text was cut to MAX_CHARS

    def as_json(self) -> dict:
        """The `tokenize` API's JSON."""
        return self.tokenized.as_json()


def analyse(hub: ModelHub, text: object, key: str) -> TokensResult:
    tokenized, notice = tokenize(hub, text, key)
    tok = tokenizer_for(hub, key)
    rt = round_trip(tok, tokenized, unk_id(tok, tokenized.family))
    return TokensResult(tokenized, vocab_size(tok), rt, notice)


@dataclass(frozen=True)
class TokenizerCount:
    """One tokenizer's row in the comparison."""

    key: str
    family: str
    n_tokens: int
    chars_per_token: float
    vocab_size: int
    round_trip: RoundTrip


@dataclass(frozen=True)
class Comparison:
    ranked: list[TokenizerCount]  # fewest tokens first
    missing: list[tuple[str, str]]  # (key, why its tokenizer is not available)


def compare(hub: ModelHub, text: str) -> Comparison:
    """Every tokenizer in the catalog on the same text."""
    ranked, missing = [], []
    for key in hub.keys():
        try:
            tok = tokenizer_for(hub, key)
        except (ModelUnavailable, UserInputError) as exc:
            missing.append((key, str(exc)))
            continue
        result = encode(tok, key, text)
        rt = round_trip(tok, result, unk_id(tok, result.family))
        per = len(text) / result.n_tokens if result.n_tokens else 0.0
        ranked.append(TokenizerCount(key, result.family, result.n_tokens, per, vocab_size(tok), rt))
    ranked.sort(key=lambda row: row.n_tokens)
    return Comparison(ranked, missing)
