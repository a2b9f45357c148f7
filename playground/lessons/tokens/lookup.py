"""The way back: token ids to the vocabulary pieces they stand for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from playground.checks import UserInputError
from playground.lessons.tokens.encoding import TokenizedText, family_of, is_clip, special_ids

MAX_LOOKUP_IDS = 200


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


@dataclass(frozen=True)
class Lookup:
    result: TokenizedText  # the ids as tokens (no text, so no offsets)
    decoded: str  # the ids decoded together


def lookup(tok: Any, key: str, ids: list[int]) -> Lookup:
    """Each id's vocabulary entry, whether it is special, and the ids decoded together."""
    family = family_of(tok)
    tokens = [tok.decoder[i] for i in ids] if is_clip(tok) else tok.convert_ids_to_tokens(ids)
    specials = special_ids(tok)
    flags = [i in specials for i in ids]
    result = TokenizedText(key, family, "", ids, tokens, [(0, 0)] * len(ids), flags)
    return Lookup(result, tok.decode(ids))
