"""A dataset's rows read one by one: which form the dataset is in, and which rows break it.

Unlike the training labs' loaders, nothing here stops at the first bad row: a broken line, a wrong
role name or a missing key makes that row *invalid* (listed with the reason) and the others go on.
Empty answers are not invalid here: they are a quality problem the filters flag.

Rows are numbered from 0 in input order; a row is one non-blank line of JSONL.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from playground.checks import UserInputError

CHAT, PROMPT_COMPLETION, PREFERENCE = "chat", "prompt_completion", "preference"
FORMS = {CHAT: "chat (\"messages\")", PROMPT_COMPLETION: "prompt / completion",
         PREFERENCE: "preference (prompt / chosen / rejected)"}
ROLES = ("system", "user", "assistant")
MAX_ROWS = 100_000
MAX_CHARS = 60_000_000  # the whole dataset as text: a 50 MB upload (and its JSON quoting) fits
MAX_ROW_CHARS = 100_000  # far over SmolLM2's 8,192-token window, so such rows can still be seen and flagged


@dataclass(frozen=True)
class Record:
    """One valid row, in a form every later step reads the same way."""

    index: int  # from 0, in input order
    turns: tuple[tuple[str, str], ...]  # (role, content): for preference rows, the prompt then the chosen answer
    rejected: str = ""  # preference rows only

    def answers(self) -> list[str]:
        """What the model is trained to say (the assistant turns; a preference row's chosen answer)."""
        return [c for r, c in self.turns if r == "assistant"]

    def questions(self) -> list[str]:
        return [c for r, c in self.turns if r == "user"]

    def text(self) -> str:
        """Everything the row says, in one string: what deduplication compares."""
        return " ".join([c for _, c in self.turns] + ([self.rejected] if self.rejected else []))

    def messages(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.turns]


@dataclass
class Parsed:
    rows: int  # every non-blank line
    form: str  # CHAT, PROMPT_COMPLETION or PREFERENCE
    records: list[Record]  # the valid rows, in order
    invalid: list[tuple[int, str]]  # (row, why)


def _form_of(obj: dict) -> str | None:
    if "messages" in obj:
        return CHAT
    if "chosen" in obj or "rejected" in obj:
        return PREFERENCE
    if "prompt" in obj or "completion" in obj:
        return PROMPT_COMPLETION
    return None


def _turn_list(value: object, what: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{what} must be a non-empty list of {{\"role\", \"content\"}} turns")
    out = []
    for i, turn in enumerate(value, 1):
        if not isinstance(turn, dict):
            raise ValueError(f"{what}, turn {i} is not an object")
        if "role" not in turn or "content" not in turn:
            keys = ", ".join(map(str, turn)) or "none"
            raise ValueError(f"{what}, turn {i} has no \"role\" and \"content\" (its keys: {keys})")
        if turn["role"] not in ROLES:
            raise ValueError(f"{what}, turn {i}: the role {turn['role']!r} is not one of {', '.join(ROLES)}")
        if not isinstance(turn["content"], str):
            raise ValueError(f"{what}, turn {i}: the content is not text")
        out.append((turn["role"], turn["content"]))
    return tuple(out)


def _text_or_turns(value: object, what: str, role: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        return ((role, value),)
    return _turn_list(value, what)


def _record(obj: dict, form: str, index: int) -> Record:
    if form == CHAT:
        turns = _turn_list(obj["messages"], "\"messages\"")
    else:
        missing = [k for k in (("prompt", "completion") if form == PROMPT_COMPLETION else ("prompt", "chosen", "rejected"))
                   if k not in obj]
        if missing:
            raise ValueError(f"the row has no {' or '.join(repr(k) for k in missing)}")
        prompt = _text_or_turns(obj["prompt"], "\"prompt\"", "user")
        answer_key = "completion" if form == PROMPT_COMPLETION else "chosen"
        answer = _text_or_turns(obj[answer_key], f"\"{answer_key}\"", "assistant")
        turns = prompt + answer
    rejected = ""
    if form == PREFERENCE:
        rej = _text_or_turns(obj["rejected"], "\"rejected\"", "assistant")
        rejected = " ".join(c for r, c in rej if r == "assistant")
    if not any(r == "user" for r, _ in turns):
        raise ValueError("the row has no user turn: nothing asks the question")
    if not any(r == "assistant" for r, _ in turns):
        raise ValueError("the row has no assistant turn: there is no answer to learn from")
    first = next(r for r, _ in turns if r != "system")
    if first != "user":
        raise ValueError("the conversation starts with the assistant; it must start with a user (or system) turn")
    return Record(index, turns, rejected)


def parse(text: object, max_rows: int = MAX_ROWS) -> Parsed:
    """Every non-blank line of JSONL `text`: the dataset's form (the one most rows have) and, per row,
    a Record or the reason it is invalid. Only a dataset that cannot be read at all raises."""
    if not isinstance(text, str) or not text.strip():
        raise UserInputError("The dataset is empty. Load the built-in messy set, or paste or upload JSONL "
                             "(one example per line), CSV or Parquet.")
    if len(text) > MAX_CHARS:
        raise UserInputError(f"The dataset is {len(text):,} characters; the lab reads up to {MAX_CHARS:,}.")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > max_rows:
        raise UserInputError(f"The dataset has {len(lines):,} rows; the lab reads up to {max_rows:,}. "
                             "Take a sample of it (the first rows, or every n-th).")
    objects: list[object] = []
    invalid: dict[int, str] = {}
    for i, line in enumerate(lines):
        if len(line) > MAX_ROW_CHARS:
            invalid[i] = f"the row is {len(line):,} characters; a row may have up to {MAX_ROW_CHARS:,}"
            objects.append(None)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            invalid[i] = f"not valid JSON: {exc.msg} at character {exc.pos + 1}"
            obj = None
        else:
            if not isinstance(obj, dict):
                invalid[i] = f"a JSON {type(obj).__name__}, not an object {{...}}"
                obj = None
        objects.append(obj)
    forms = Counter(f for f in (_form_of(o) for o in objects if o is not None) if f)
    if not forms:
        raise UserInputError("No row looks like a training example: each needs \"messages\" (chat), "
                             "\"prompt\" and \"completion\", or \"prompt\", \"chosen\" and \"rejected\" (preference).")
    form = forms.most_common(1)[0][0]
    records = []
    for i, obj in enumerate(objects):
        if obj is None:
            continue
        own = _form_of(obj)
        if own is None:
            keys = ", ".join(sorted(map(str, obj))) or "none"
            invalid[i] = f"not a {FORMS[form]} row (its keys: {keys})"
        elif own != form:
            invalid[i] = f"a {FORMS[own]} row in a {FORMS[form]} dataset"
        else:
            try:
                records.append(_record(obj, form, i))
            except ValueError as exc:
                invalid[i] = str(exc)
    return Parsed(len(lines), form, records, sorted(invalid.items()))
