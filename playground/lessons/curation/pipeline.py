"""The whole curation pass over a dataset: validate, measure, deduplicate three ways, filter, keep.

`curate` returns a `Curation`; what the tab draws and what the `curate` endpoint returns are views of it.
Groups and flags are computed over every valid row, each method on its own, so a learner sees what each
one catches; `kept` then keeps the valid rows that no enabled filter flags and that are not a later row of
any duplicate group (the first row of each group stays).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from playground.checks import UserInputError, check_float, check_int
from playground.lessons.curation import duplicates as D
from playground.lessons.curation import filters as F
from playground.lessons.curation.lengths import token_lengths
from playground.lessons.curation.records import Parsed, Record, parse
from playground.models.embedding_cache import embed_texts

MODEL = "smollm2-135m-instruct"  # whose chat template and tokenizer measure the rows
ENCODER = "all-minilm-l6-v2"
CONTEXT_WINDOW = 8192  # SmolLM2-135M-Instruct's max_position_embeddings (a test checks it against the config)
MAX_SEMANTIC_ROWS = 20_000  # embedding more takes minutes on 2 cores; above it semantic dedup is skipped, and said
DEFAULTS = {"minhash_threshold": 0.7, "semantic_threshold": 0.9, "max_tokens": 1024, "num_perm": 128, "shingle": 5}
METHODS = ("exact", "near", "semantic")


@dataclass
class Settings:
    minhash_threshold: float = DEFAULTS["minhash_threshold"]
    semantic_threshold: float = DEFAULTS["semantic_threshold"]
    max_tokens: int = DEFAULTS["max_tokens"]
    num_perm: int = DEFAULTS["num_perm"]
    shingle: int = DEFAULTS["shingle"]


def check_settings(minhash_threshold: object, semantic_threshold: object, max_tokens: object,
                   num_perm: object = DEFAULTS["num_perm"], shingle: object = DEFAULTS["shingle"]) -> Settings:
    return Settings(
        check_float(minhash_threshold, low=0.05, high=0.99, what="The MinHash threshold"),
        check_float(semantic_threshold, low=0.3, high=0.999, what="The semantic threshold"),
        check_int(max_tokens, low=16, high=CONTEXT_WINDOW * 4, what="The max length in tokens"),
        check_int(num_perm, low=16, high=512, what="The number of MinHash permutations"),
        check_int(shingle, low=1, high=20, what="The shingle size"),
    )


@dataclass
class Curation:
    parsed: Parsed
    settings: Settings
    lengths: dict[int, int]  # row -> tokens after the chat template
    exact: list[list[int]]
    near: D.NearResult
    semantic: D.SemanticResult | None  # None when the set is too large to embed here (see notes)
    flags: dict[str, list[int]]  # every filter in F.FILTERS + F.TAB_ONLY -> rows, in order
    why: dict[tuple[str, int], str] = field(default_factory=dict)  # (filter, row) -> what it found
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> dict[int, Record]:
        return {r.index: r for r in self.parsed.records}

    def groups(self, method: str) -> list[list[int]]:
        if method == "exact":
            return self.exact
        if method == "near":
            return self.near.groups
        return self.semantic.groups if self.semantic else []

    def removed(self, enabled: tuple[str, ...] = F.FILTERS, methods: tuple[str, ...] = METHODS) -> dict[int, list[str]]:
        """row -> the reasons it is not kept (invalid, filters, "duplicate of row n (method)")."""
        out: dict[int, list[str]] = {i: [f"invalid: {why}"] for i, why in self.parsed.invalid}
        for name in enabled:
            for i in self.flags.get(name, []):
                out.setdefault(i, []).append(name)
        for method in methods:
            for group in self.groups(method):
                for i in group[1:]:
                    out.setdefault(i, []).append(f"{method} duplicate of row {group[0]}")
        return out

    def kept(self, enabled: tuple[str, ...] = F.FILTERS, methods: tuple[str, ...] = METHODS) -> list[int]:
        removed = self.removed(enabled, methods)
        return [r.index for r in self.parsed.records if r.index not in removed]

    def as_json(self) -> dict:
        return {
            "rows": self.parsed.rows,
            "form": self.parsed.form,
            "invalid": [{"row": i, "error": why} for i, why in self.parsed.invalid],
            "exact_duplicates": self.exact,
            "near_duplicates": self.near.groups,
            "semantic_duplicates": self.groups("semantic"),
            "flagged": {name: self.flags[name] for name in F.FILTERS},
            "kept": self.kept(),
        }


def flag(records: list[Record], lengths: dict[int, int], max_tokens: int) -> tuple[dict[str, list[int]], dict]:
    """Each filter's rows, and what it found in each (for the examples the tab shows)."""
    flags: dict[str, list[int]] = {name: [] for name in F.FILTERS + F.TAB_ONLY}
    why: dict[tuple[str, int], str] = {}

    def hit(name: str, i: int, detail: str) -> None:
        flags[name].append(i)
        why[(name, i)] = detail

    for r in records:
        i, answers = r.index, r.answers()
        if lengths.get(i, 0) > max_tokens:
            hit("too_long", i, f"{lengths[i]:,} tokens")
        if any(not a.strip() for a in answers) or any(not q.strip() for q in r.questions()):
            hit("empty", i, "an empty " + ("answer" if any(not a.strip() for a in answers) else "question"))
        found = F.personal_data(r.text())
        if found:
            hit("pii", i, ", ".join(sorted({f.kind for f in found})))
        phrase = next((p for p in map(F.boilerplate, answers) if p), None)
        if phrase:
            hit("boilerplate", i, f"“{phrase}”")
        share = next((s for s in map(F.repetition, answers) if s), None)
        if share:
            hit("repetition", i, f"{share:.0%} of its 4-word sequences repeat")
        if any(F.truncated(a) for a in answers):
            hit("truncated", i, f"ends “…{answers[-1].rstrip()[-30:]}”")
        if any(F.not_english(a) for a in answers):
            hit("language", i, "almost no common English words")
    return flags, why


def curate(hub, text: object, settings: Settings, progress=None) -> Curation:
    """Validate, measure, deduplicate and filter `text` (JSONL). `progress(fraction, desc=...)` hears each step."""
    def say(fraction: float, desc: str) -> None:
        if progress is not None:
            progress(fraction, desc=desc)

    say(0.0, "Reading the rows")
    parsed = parse(text)
    if not parsed.records:
        raise UserInputError(f"None of the {parsed.rows:,} rows is a valid example; the first problem: row "
                             f"{parsed.invalid[0][0]}: {parsed.invalid[0][1]}.")
    records = parsed.records
    ids = [r.index for r in records]
    texts = [r.text() for r in records]
    notes: list[str] = []

    def part(lo: float, hi: float):  # a sub-step's progress mapped into [lo, hi] of the whole bar
        return None if progress is None else (lambda f, desc="": progress(lo + (hi - lo) * f, desc=desc))

    lengths = dict(zip(ids, token_lengths(hub.tokenizer(MODEL), records, part(0.0, 0.15))))
    say(0.15, "Exact duplicates")
    exact = D.exact_groups(texts, ids)
    near = D.near_groups(texts, ids, settings.minhash_threshold, settings.num_perm, settings.shingle,
                         part(0.15, 0.55))
    semantic = None
    if len(records) > MAX_SEMANTIC_ROWS:
        notes.append(f"Semantic deduplication skipped: {len(records):,} rows is over the {MAX_SEMANTIC_ROWS:,} this "
                     "machine embeds in a reasonable time. Exact and MinHash deduplication ran on every row.")
    else:
        say(0.55, "Embedding the rows with MiniLM")
        vectors = embed_texts(hub, texts, ENCODER, progress=part(0.55, 0.95))
        say(0.95, "Semantic duplicates")
        semantic = D.semantic_groups(np.asarray(vectors), ids, settings.semantic_threshold)
    flags, why = flag(records, lengths, settings.max_tokens)
    say(1.0, "Done")
    return Curation(parsed, settings, lengths, exact, near, semantic, flags, why, notes)
