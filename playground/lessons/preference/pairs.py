"""Preference pairs as JSONL: a prompt, the answer people preferred (chosen) and the one they did
not (rejected), checked row by row and split into train / validation / test.

A row is {"prompt": ..., "chosen": ..., "rejected": ...} with strings, or in trl's conversational
form (the prompt a list of system/user turns, each answer a one-turn assistant list), with an
optional "split". Test pairs are held out: their prompts are answered before and after training,
and the pairs are scored again; validation pairs draw the held-out curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playground.checks import UserInputError
from playground.training import rows

MAX_PAIRS = 500
ASSETS = Path(__file__).resolve().parents[3] / "assets" / "preference"


@dataclass(frozen=True)
class Pair:
    number: int  # the line in the JSONL text, from 1
    split: str  # "train", "validation", "test", or ""
    prompt: tuple[tuple[str, str], ...]  # (role, content): system and user turns
    chosen: str
    rejected: str

    def messages(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.prompt]

    def question(self) -> str:
        """The last user turn: what a learner reads as "the prompt"."""
        return [c for r, c in self.prompt if r == "user"][-1]

    def as_trl(self) -> dict[str, list[dict[str, str]]]:
        """trl's conversational preference row."""
        return {"prompt": self.messages(), "chosen": [{"role": "assistant", "content": self.chosen}],
                "rejected": [{"role": "assistant", "content": self.rejected}]}


@dataclass
class PairSplits:
    train: list[Pair]
    validation: list[Pair]
    test: list[Pair]
    notes: list[str] = field(default_factory=list)

    def counts(self) -> str:
        return f"{len(self.train)} train, {len(self.validation)} validation, {len(self.test)} test pairs"


def _prompt(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        if not value.strip():
            raise UserInputError(f"{where}: the prompt is empty.")
        return (("user", value),)
    if not isinstance(value, list) or not value:
        raise UserInputError(f"{where}: \"prompt\" must be text or a list of {{\"role\", \"content\"}} turns.")
    turns = []
    for i, turn in enumerate(value, 1):
        if not isinstance(turn, dict) or turn.get("role") not in ("system", "user", "assistant"):
            raise UserInputError(f"{where}: prompt turn {i} needs a \"role\" (system, user or assistant) and a \"content\".")
        if not isinstance(turn.get("content"), str) or not turn["content"].strip():
            raise UserInputError(f"{where}: prompt turn {i} has no text.")
        turns.append((turn["role"], turn["content"]))
    if turns[-1][0] != "user":
        raise UserInputError(f"{where}: the prompt must end with a user turn (the answers reply to it).")
    return tuple(turns)


def _answer(value: object, name: str, where: str) -> str:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) \
            and value[0].get("role") == "assistant":
        value = value[0].get("content")
    if not isinstance(value, str):
        raise UserInputError(f"{where}: \"{name}\" must be text (or one assistant turn).")
    if not value.strip():
        raise UserInputError(f"{where}: the {name} answer is empty.")
    return value


def parse_pair(obj: object, number: int) -> Pair:
    """One decoded JSON line as a Pair, or a UserInputError that names the row and what is wrong."""
    where = f"Row {number}"
    if not isinstance(obj, dict):
        raise UserInputError(f"{where} is not a JSON object ({{...}}): got {type(obj).__name__}.")
    missing = [k for k in ("prompt", "chosen", "rejected") if k not in obj]
    if missing:
        keys = ", ".join(sorted(map(str, obj))) or "none"
        raise UserInputError(f"{where} has no {', '.join(repr(m) for m in missing)} (its keys: {keys}); a preference "
                             "row needs \"prompt\", \"chosen\" and \"rejected\".")
    split = obj.get("split", "")
    if split not in ("", *rows.SPLITS):
        raise UserInputError(f"{where}: \"split\" must be one of {', '.join(rows.SPLITS)} (got {split!r}).")
    pair = Pair(number, split, _prompt(obj["prompt"], where), _answer(obj["chosen"], "chosen", where),
                _answer(obj["rejected"], "rejected", where))
    if pair.chosen.strip() == pair.rejected.strip():
        raise UserInputError(f"{where}: the chosen and the rejected answers are the same, so the pair prefers nothing.")
    return pair


def parse_pairs(text: object, max_pairs: int = MAX_PAIRS) -> list[Pair]:
    return [parse_pair(obj, number) for number, obj in rows.json_lines(text, max_pairs, what="preference set")]


def split_pairs(pairs: list[Pair]) -> PairSplits:
    train, validation, test, notes = rows.three_splits(pairs, what="pair")
    return PairSplits(train, validation, test, notes)


# --- the built-in sets -------------------------------------------------------------------------------


BuiltinPairs = rows.BuiltinSet  # the same record as the Fine-tuning lab's sets; the files are under ASSETS

BUILTINS: dict[str, BuiltinPairs] = {
    b.key: b
    for b in (
        BuiltinPairs("concise", "Concise vs rambling", "concise.jsonl",
                     "the same facts, said in one or two sentences rather than with filler"),
        BuiltinPairs("refusal", "Polite refusal vs harmful compliance", "refusal.jsonl",
                     "decline harmful requests politely, but still help with harmless ones that only sound edgy"),
        BuiltinPairs("uncertainty", "Admits uncertainty vs confident invention", "uncertainty.jsonl",
                     "say \"I don't know\" to questions nobody could answer, and still answer the ordinary ones"),
        BuiltinPairs("length_trap", "The length trap: chosen is always longer", "length_trap.jsonl",
                     "a biased set: the longer answer always wins, so the model learns length, not quality"),
    )
}


def builtin_jsonl(key: str) -> str:
    if key not in BUILTINS:
        raise UserInputError(f"Unknown built-in preference set {key!r}; pick one of {', '.join(BUILTINS)}.")
    return (ASSETS / BUILTINS[key].file).read_text(encoding="utf-8")
