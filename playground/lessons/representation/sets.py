"""The lab's data: labelled texts ({"text", "label"}) and pairs of texts that belong together
({"anchor", "positive"}), built in or pasted as JSONL, checked row by row."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from playground.checks import UserInputError
from playground.training.rows import json_lines

ASSETS = Path(__file__).resolve().parents[3] / "assets" / "representation"
BUILTIN_SETS = {"tickets": "Support tickets by department", "reviews": "Product reviews by sentiment"}
DESCRIPTIONS = {
    "tickets": {"billing": "A question about an invoice, a charge, a refund or a payment.",
                "technical": "A problem with the app or website not working: an error, a crash, a bug.",
                "shipping": "A question about a delivery, a parcel, tracking or a late order.",
                "account": "A request about logging in, a password, a profile or closing an account."},
    "reviews": {"positive": "The reviewer liked it and is happy.",
                "negative": "The reviewer disliked it and is unhappy.",
                "neutral": "The reviewer is neither happy nor unhappy: mixed or matter-of-fact."},
}
MAX_TEXTS = 1000
MAX_PAIRS = 1000
MAX_CHARS = 1000  # per text: MiniLM reads 256 tokens at most anyway
TEST_SHARE = 0.3


@dataclass(frozen=True)
class Example:
    text: str
    label: str


def _text(value: object, where: str, field: str = "text") -> str:
    if not isinstance(value, str):
        raise UserInputError(f"{where} needs \"{field}\" as a string.")
    value = value.strip()
    if not value:
        raise UserInputError(f"{where} has an empty \"{field}\".")
    if len(value) > MAX_CHARS:
        raise UserInputError(f"{where}: \"{field}\" is {len(value):,} characters; the lab takes up to {MAX_CHARS:,}.")
    return value


def parse_examples(jsonl: object, what: str = "training set") -> list[Example]:
    """{"text", "label"} rows, or a UserInputError naming the first bad one."""
    out = []
    for number, obj in json_lines(jsonl, MAX_TEXTS, what):
        where = f"Row {number} of the {what}"
        if not isinstance(obj, dict):
            raise UserInputError(f"{where} is not a JSON object with \"text\" and \"label\".")
        label = obj.get("label")
        if isinstance(label, (int, float)) and not isinstance(label, bool):
            label = str(label)
        out.append(Example(_text(obj.get("text"), where), _text(label, where, "label")))
    return out


def check_split(train: list[Example], test: list[Example]) -> list[str]:
    """The labels (in first-seen order of the training set), after the checks a comparison needs."""
    labels = list(dict.fromkeys(e.label for e in train))
    if len(labels) < 2:
        raise UserInputError(f"The training set has one class only ({labels[0]!r}): a classifier needs at least two.")
    unseen = sorted({e.label for e in test} - set(labels))
    if unseen:
        raise UserInputError(f"The test set has the label {unseen[0]!r}, which the training set never shows.")
    return labels


def examples_jsonl(examples: list[Example]) -> str:
    return "\n".join(json.dumps({"text": e.text, "label": e.label}, ensure_ascii=False) for e in examples)


def builtin_split(name: str, seed: int = 0) -> tuple[list[Example], list[Example]]:
    """A built-in set split into train and test, stratified: the same share of each label in each."""
    if name not in BUILTIN_SETS:
        raise UserInputError(f"Unknown built-in set {name!r}: pick one of {', '.join(BUILTIN_SETS)}.")
    rows = parse_examples((ASSETS / f"{name}.jsonl").read_text(encoding="utf-8"), "built-in set")
    rng = random.Random(seed)
    train, test = [], []
    for label in dict.fromkeys(e.label for e in rows):
        group = [e for e in rows if e.label == label]
        rng.shuffle(group)
        k = round(len(group) * TEST_SHARE)
        test += group[:k]
        train += group[k:]
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


def few_per_class(train: list[Example], n: int) -> list[Example]:
    """The first n training examples of each label (0: all), in training order."""
    if n <= 0:
        return list(train)
    seen: dict[str, int] = {}
    out = []
    for e in train:
        if seen.get(e.label, 0) < n:
            seen[e.label] = seen.get(e.label, 0) + 1
            out.append(e)
    return out


def parse_descriptions(text: object, labels: list[str]) -> dict[str, str]:
    """Label -> the sentence zero-shot methods compare with; a missing or empty one is the label itself."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return {label: label for label in labels}
    try:
        given = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise UserInputError(f"The label descriptions are not valid JSON: {exc.msg} at character {exc.pos + 1}.") from None
    if not isinstance(given, dict):
        raise UserInputError("The label descriptions must be a JSON object: {\"label\": \"a sentence\", ...}.")
    extra = sorted(set(given) - set(labels))
    if extra:
        raise UserInputError(f"The descriptions name {extra[0]!r}, which is not a label of the training set.")
    return {label: (str(given.get(label) or "").strip() or label) for label in labels}


# --- pairs for embedding training -----------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    anchor: str
    positive: str


def parse_pairs(jsonl: object) -> tuple[list[Pair], list[Pair], list[str]]:
    """(train, test, notes): rows with "split": "test" are held out, or else the last 10%."""
    train, test = [], []
    seen: dict[tuple[str, str], int] = {}
    for number, obj in json_lines(jsonl, MAX_PAIRS, "pairs"):
        where = f"Row {number} of the pairs"
        if not isinstance(obj, dict):
            raise UserInputError(f"{where} is not a JSON object with \"anchor\" and \"positive\".")
        p = Pair(_text(obj.get("anchor"), where, "anchor"), _text(obj.get("positive"), where, "positive"))
        if (p.anchor, p.positive) in seen:
            raise UserInputError(f"{where} repeats row {seen[(p.anchor, p.positive)]}: the same pair twice would be "
                                 "its own in-batch negative. Remove the duplicate.")
        seen[(p.anchor, p.positive)] = number
        (test if obj.get("split") == "test" else train).append(p)
    notes = []
    if not test:
        k = max(2, len(train) // 10)
        train, test = train[:-k], train[-k:]
        notes.append(f"No rows marked \"split\": \"test\": the last {k} pairs are held out.")
    if len(train) < 4:
        raise UserInputError(f"{len(train)} training pairs: the lab needs at least 4 (each batch's other pairs are "
                             "its negatives).")
    if len(test) < 2:
        raise UserInputError("Retrieval needs at least 2 held-out pairs.")
    return train, test, notes


def builtin_pairs() -> str:
    return (ASSETS / "pairs.jsonl").read_text(encoding="utf-8")
