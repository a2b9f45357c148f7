"""Token ids back to text, the way every lesson that shows tokens needs it.

Byte-level BPE (GPT-2, SmolLM2, CLIP) writes each of the 256 bytes as one printable stand-in
character (`byte_decoder` maps them back), so a token can hold just part of a character: an emoji
is often three or four tokens, and one of those decoded alone is only '\ufffd'.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte, reversed: stand-in -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:  # unprintable bytes get the characters after 255, in order
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def token_text(tokenizer: Any, token_id: int) -> str:
    """One token decoded on its own (a partial character comes out as '\ufffd')."""
    return tokenizer.decode([token_id])


def token_piece(tokenizer: Any, token_id: int) -> str:
    """One token's text on its own; where it holds only part of a character, its stray bytes stay
    as surrogate escapes (not '\ufffd'), which `viz.token_chips` draws as hex boxes: `<F0 9F>`."""
    piece = token_bytes(tokenizer, token_id)
    if piece is None:
        return tokenizer.decode([token_id])
    return piece.decode("utf-8", errors="surrogateescape")


def token_bytes(tokenizer: Any, token_id: int) -> bytes | None:
    """The raw bytes of a byte-level BPE token, or None for any other kind of token."""
    raw = tokenizer.convert_ids_to_tokens(int(token_id))
    table = byte_decoder()
    if not raw or not all(c in table for c in raw):
        return None
    return bytes(table[c] for c in raw)


def token_texts(tokenizer: Any, ids: list[int], skip_special_tokens: bool = True) -> list[str]:
    """Per-token text as the difference of successive decodes, so a character split across
    tokens lands whole on the token that completes it and the texts join into the decoded text."""
    out, prev = [], ""
    for i in range(len(ids)):
        cur = tokenizer.decode(ids[: i + 1], skip_special_tokens=skip_special_tokens)
        out.append(cur[len(prev):] if cur.startswith(prev) else tokenizer.decode([ids[i]], skip_special_tokens=skip_special_tokens))
        prev = cur
    return out
