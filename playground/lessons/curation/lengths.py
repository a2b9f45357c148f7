"""How long each row is for the model: tokens after the chat template, the count training pays for."""

from __future__ import annotations

from typing import Any, Callable

from playground.lessons.curation.records import Record

CHUNK = 2000  # rows rendered and tokenized per batch (the fast tokenizer runs a batch in Rust)


def token_lengths(tokenizer: Any, records: list[Record],
                  progress: Callable[..., None] | None = None) -> list[int]:
    """len(apply_chat_template(row, tokenize=True)) for each row (a preference row: its prompt and the chosen
    answer), computed as the template's text tokenized in batches, which gives the same ids."""
    out: list[int] = []
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        texts = [tokenizer.apply_chat_template(r.messages(), tokenize=False) for r in chunk]
        out += [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        if progress is not None:
            progress(min(1.0, (start + len(chunk)) / max(len(records), 1)),
                     desc=f"Token lengths: {start + len(chunk):,} of {len(records):,} rows")
    return out
