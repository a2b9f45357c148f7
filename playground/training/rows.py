"""A training set as JSONL rows, checked one by one, and split into train / validation / test.

A row is one of
    {"messages": [{"role": "user", "content": ...}, {"role": "assistant", "content": ...}, ...]}
    {"prompt": ..., "completion": ...}        (strings, or lists of messages as trl writes them)
    {"text": ...}                             (raw text, for continued pretraining)
with an optional "split": "train", "validation" or "test". Test rows are the held-out prompts the
model answers before and after training; they never train it nor decide the best step. Without
test rows the last 10% of the rows are held out; without validation rows, the last 10% of what is
left. Every problem is a `UserInputError` that names the row (its line in the file) and what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from playground.checks import UserInputError

MAX_ROWS = 2000
MAX_CHARS = 5_000_000  # the whole pasted or uploaded text
MAX_ROW_CHARS = 20_000
ROLES = ("system", "user", "assistant")
SPLITS = ("train", "validation", "test")
CHAT, RAW = "chat", "raw"

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets" / "finetune"


@dataclass(frozen=True)
class Row:
    number: int  # the line in the JSONL text, from 1
    split: str  # "train", "validation", "test", or "" when the row does not say
    messages: tuple[tuple[str, str], ...] = ()  # (role, content) per turn; chat rows
    text: str = ""  # raw rows

    @property
    def kind(self) -> str:
        return CHAT if self.messages else RAW

    def chat(self) -> list[dict[str, str]]:
        """The turns as the chat template wants them."""
        return [{"role": r, "content": c} for r, c in self.messages]

    def prompt(self) -> list[dict[str, str]]:
        """The turns before the last assistant answer: what the model is asked."""
        turns = self.chat()
        last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=len(turns))
        return turns[:last]

    def question(self) -> str:
        """The last user turn of the prompt (what a learner reads as "the prompt")."""
        users = [t["content"] for t in self.prompt() if t["role"] == "user"]
        return users[-1] if users else ""

    def reference(self) -> str:
        """The row's own answer (the last assistant turn), or "" when it has none."""
        answers = [c for r, c in self.messages if r == "assistant"]
        return answers[-1] if answers else ""


@dataclass
class Splits:
    kind: str  # CHAT or RAW
    train: list[Row]
    validation: list[Row]
    test: list[Row]
    notes: list[str] = field(default_factory=list)  # what was decided for the learner (held out, taken ...)

    def counts(self) -> str:
        return f"{len(self.train)} train, {len(self.validation)} validation, {len(self.test)} test rows"


def _turns(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise UserInputError(f"{where} must be a non-empty list of {{\"role\": ..., \"content\": ...}} objects.")
    out = []
    for i, turn in enumerate(value, 1):
        if not isinstance(turn, dict) or "role" not in turn or "content" not in turn:
            raise UserInputError(f"{where}, turn {i}: each turn needs a \"role\" and a \"content\".")
        role, content = turn["role"], turn["content"]
        if role not in ROLES:
            raise UserInputError(f"{where}, turn {i}: the role {role!r} is not one of {', '.join(ROLES)}.")
        if not isinstance(content, str) or not content.strip():
            raise UserInputError(f"{where}, turn {i}: the {role}'s content must be non-empty text.")
        out.append((role, content))
    return tuple(out)


def parse_row(obj: object, number: int) -> Row:
    """One decoded JSON line as a Row, or a UserInputError that names the row."""
    where = f"Row {number}"
    if not isinstance(obj, dict):
        raise UserInputError(f"{where} is not a JSON object ({{...}}): got {type(obj).__name__}.")
    split = obj.get("split", "")
    if split not in ("", *SPLITS):
        raise UserInputError(f"{where}: \"split\" must be one of {', '.join(SPLITS)} (got {split!r}).")
    if "messages" in obj:
        turns = _turns(obj["messages"], f"{where}: \"messages\"")
    elif "prompt" in obj or "completion" in obj:
        if "prompt" not in obj or "completion" not in obj:
            raise UserInputError(f"{where} has {'a prompt' if 'prompt' in obj else 'a completion'} but no "
                                 f"{'completion' if 'prompt' in obj else 'prompt'}; give both.")
        prompt, completion = obj["prompt"], obj["completion"]
        if isinstance(prompt, str) and isinstance(completion, str):
            if not prompt.strip() or not completion.strip():
                raise UserInputError(f"{where}: the prompt and the completion must both be non-empty text.")
            turns = (("user", prompt), ("assistant", completion))
        else:
            turns = _turns(prompt, f"{where}: \"prompt\"") + _turns(completion, f"{where}: \"completion\"")
    elif "text" in obj:
        text = obj["text"]
        if not isinstance(text, str) or not text.strip():
            raise UserInputError(f"{where}: \"text\" must be non-empty text.")
        return Row(number, split, text=text)
    else:
        keys = ", ".join(sorted(map(str, obj))) or "none"
        raise UserInputError(f"{where} has no \"messages\", \"prompt\"/\"completion\" or \"text\" (its keys: {keys}).")
    if split != "test" and not any(role == "assistant" for role, _ in turns):
        raise UserInputError(f"{where} has no assistant turn, so there is nothing to learn from it "
                             "(only \"split\": \"test\" rows may be questions alone).")
    if turns[0][0] == "assistant":
        raise UserInputError(f"{where} starts with the assistant; start with a user (or system) turn.")
    row = Row(number, split, messages=turns)
    if split == "test" and (not row.prompt() or row.prompt()[-1]["role"] != "user"):
        raise UserInputError(f"{where} is a test row, so it must ask something: a user turn before its answer.")
    return row


def json_lines(text: object, max_rows: int = MAX_ROWS, what: str = "dataset") -> list[tuple[int, object]]:
    """(line number, decoded JSON) for every non-blank line of `text`, within the limits, or a
    UserInputError that names the line. Every JSONL reader of the labs starts here."""
    if not isinstance(text, str) or not text.strip():
        raise UserInputError(f"The {what} is empty. Pick a built-in set, or paste or upload JSONL, one example per line.")
    if len(text) > MAX_CHARS:
        raise UserInputError(f"The {what} is {len(text):,} characters; the lab reads up to {MAX_CHARS:,}.")
    out: list[tuple[int, object]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(out) == max_rows:
            raise UserInputError(f"The {what} has more than {max_rows:,} rows (row {number} is one too many); "
                                 f"the lab trains on up to {max_rows:,}.")
        if len(line) > MAX_ROW_CHARS:
            raise UserInputError(f"Row {number} is {len(line):,} characters; a row may have up to {MAX_ROW_CHARS:,}.")
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise UserInputError(f"Row {number} is not valid JSON: {exc.msg} at character {exc.pos + 1}.") from None
    if not out:
        raise UserInputError(f"The {what} has no rows, only blank lines.")
    return out


def parse_jsonl(text: object, max_rows: int = MAX_ROWS) -> list[Row]:
    """Every non-blank line of `text` as a Row, in order, all of one kind (chat or raw)."""
    rows: list[Row] = []
    for number, obj in json_lines(text, max_rows):
        row = parse_row(obj, number)
        if rows and row.kind != rows[0].kind:
            raise UserInputError(
                f"Row {number} is {'raw text' if row.kind == RAW else 'a chat example'} but row {rows[0].number} is "
                f"{'raw text' if rows[0].kind == RAW else 'a chat example'}: use one kind per dataset.")
        rows.append(row)
    return rows


def _tail(items: list, fraction: float = 0.1) -> int:
    return max(1, math.ceil(len(items) * fraction))


def three_splits(items: list, what: str = "row") -> tuple[list, list, list, list[str]]:
    """(train, validation, test, notes) of items with a `.split`, as they say, filling in what they
    leave out: without test items the last 10% are held out, without validation items the last 10%
    of what is left."""
    test = [r for r in items if r.split == "test"]
    validation = [r for r in items if r.split == "validation"]
    rest = [r for r in items if r.split not in ("test", "validation")]
    notes = []
    needed = 1 + (not test) + (not validation)
    if len(rest) < needed:
        raise UserInputError(
            f"The dataset has {len(items)} {what}(s); it needs at least one to train on, one for validation and one "
            f"held out for testing (give them a \"split\", or add {what}s).")
    if not test:
        n = _tail(rest)
        rest, test = rest[:-n], rest[-n:]
        notes.append(f"No {what} says \"split\": \"test\", so the last {n} {what}(s) are held out for testing.")
    if not validation:
        n = _tail(rest)
        rest, validation = rest[:-n], rest[-n:]
        notes.append(f"No {what} says \"split\": \"validation\", so the last {n} training {what}(s) are the "
                     "validation set.")
    return rest, validation, test, notes


def split_rows(rows: list[Row]) -> Splits:
    """Train / validation / test as the rows say, filling in what they leave out."""
    train, validation, test, notes = three_splits(rows)
    return Splits(rows[0].kind, train, validation, test, notes)


# --- the built-in sets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltinSet:
    key: str
    title: str  # what the picker shows
    file: str  # under the lab's assets folder (assets/finetune for this module's sets)
    teaches: str  # one sentence: the behaviour a learner should see appear


BUILTINS: dict[str, BuiltinSet] = {
    b.key: b
    for b in (
        BuiltinSet("tutor", "Language tutor: one correction, one example", "tutor.jsonl",
                   "a friendly English tutor that answers every sentence with exactly one correction and one example"),
        BuiltinSet("json", "Answers in a fixed JSON format", "json_answers.jsonl",
                   "every answer as one JSON object with the keys \"answer\" and \"confidence\""),
        BuiltinSet("bullets", "Always three bullet points", "three_bullets.jsonl",
                   "every answer as exactly three short bullet points"),
        BuiltinSet("beekeeping", "Raw text: a beekeeping handbook (continued pretraining)", "beekeeping.jsonl",
                   "plain next-token training on domain text: beekeeping gets easier to predict"),
    )
}
GENERAL_TEXT = "general.jsonl"  # everyday text no built-in set trains on: where forgetting shows


def builtin_jsonl(key: str) -> str:
    if key not in BUILTINS:
        raise UserInputError(f"Unknown built-in dataset {key!r}; pick one of {', '.join(BUILTINS)}.")
    return (ASSETS / BUILTINS[key].file).read_text(encoding="utf-8")


def general_text() -> list[str]:
    """Everyday paragraphs (raw text) that continued pretraining is checked against."""
    return [r.text for r in parse_jsonl((ASSETS / GENERAL_TEXT).read_text(encoding="utf-8"))]


def read_upload(path: str) -> str:
    """An uploaded JSONL file as text, or a UserInputError for a file too big or not UTF-8."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError:
        raise UserInputError(f"The uploaded file '{file.name}' could not be found; please upload it again.") from None
    if size > MAX_CHARS:
        raise UserInputError(f"'{file.name}' is {size / 1e6:.1f} MB; the lab reads up to {MAX_CHARS / 1e6:.0f} MB.")
    try:
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserInputError(f"'{file.name}' is not UTF-8 text (byte {exc.start:,} cannot be read). "
                             "Save it as UTF-8 and upload it again.") from None
