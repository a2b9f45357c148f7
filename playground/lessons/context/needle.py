"""Does the model use its context? A needle-in-a-haystack probe.

We hide one made-up fact, the needle ("The secret password for the blue door is pelican."), in
filler text, the haystack, and then ask for it. The haystack is plain prose cut from the docstrings
of a fixed list of standard-library modules, so it ships with Python and says nothing about doors
or passwords; the password is a word drawn by `seed` from a fixed list of ordinary words, so the
model cannot guess it from the filler or from what it already knows. The only way to answer is to
find the needle.

Each cell of the grid is one prompt: a total length in tokens and a depth, the share of the
haystack's tokens that come before the needle (0 = the very start, 1 = just before the question).
The prompt is SmolLM2's own chat template with one user turn (the haystack with the needle put at
the sentence boundary nearest the depth, a blank line, then the question), the assistant's turn
opened, and the start of the assistant's answer already written: "The secret password for the blue
door is". What we score is the continuation " pelican" (the word with its leading space, as the
tokenizer cuts it; one token or a few). So the prompt's length counts that written start too, and
`length` is met within a few tokens by trimming the haystack (whole sentences only), with the
answer's tokens fitting inside `length` as well.

The score is `answer_prob`: the probability the model gives the answer right after the prompt,
read off one forward pass over prompt + answer (teacher forcing, no sampling): the product, over
the answer's tokens, of the model's softmax probability of each token given the prompt and the
answer tokens before it. Near 1 means the model found the needle; near 0 means it did not.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import random
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import torch

from playground.checks import UserInputError
from playground.lru import BoundedLRU

DEFAULT_LENGTHS: tuple[int, ...] = (512, 1024, 2048, 4096)
DEFAULT_DEPTHS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
MIN_LENGTH = 64  # the chat template, the needle, the question and the answer's start take about 61
MAX_LENGTHS = 8
MAX_DEPTHS = 11

NEEDLE = "The secret password for the blue door is {word}."
QUESTION = "What is the secret password for the blue door?"
ANSWER_START = "The secret password for the blue door is"  # written into the assistant's turn
WORDS: tuple[str, ...] = (
    "pelican", "saffron", "lantern", "walrus", "tangerine", "meadow", "violin", "cinnamon",
    "harbor", "glacier", "tulip", "falcon", "pumpkin", "velvet", "orchard", "canyon",
    "lobster", "thimble", "hazelnut", "juniper", "pebble", "otter", "kettle", "dandelion",
)

# The filler's sources, in a fixed order; their docstrings change only with the Python version.
MODULES: tuple[str, ...] = (
    "json", "re", "collections", "textwrap", "string", "csv", "calendar", "heapq", "bisect",
    "fractions", "decimal", "statistics", "random", "difflib", "shutil", "functools", "itertools",
    "argparse", "logging", "pathlib", "datetime", "enum", "dataclasses", "unittest",
)

# A filler sentence that mentions the needle's words would be a distractor (or give the answer away).
_BANNED = re.compile(r"\b(?:" + "|".join(WORDS + ("password", "door", "secret")) + r")\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_FIT_SLACK = 4  # stop filling once the haystack is this close to its budget

cache: BoundedLRU["Cell"] = BoundedLRU(256)


@dataclass(frozen=True)
class Cell:
    """One probe: the requested length and depth, the answer's probability, the prompt's real length
    and the token index where the needle starts."""

    length: int
    depth: float
    answer_prob: float
    tokens: int
    needle_at: int


# ---------------------------------------------------------------- the filler


def _docstrings(name: str) -> list[str]:
    """The module's docstring, then those of its public classes and functions, by name."""
    module = importlib.import_module(name)
    docs = [inspect.getdoc(module) or ""]
    names = sorted(getattr(module, "__all__", None) or (n for n in dir(module) if not n.startswith("_")))
    for attr in names:
        obj = getattr(module, attr, None)
        # Only what the module defines itself, so a re-exported name is not counted twice.
        if (inspect.isclass(obj) or inspect.isroutine(obj)) and getattr(obj, "__module__", None) == module.__name__:
            docs.append(inspect.getdoc(obj) or "")
    return docs


def _prose(doc: str) -> Iterator[str]:
    """The paragraphs of a docstring that read as prose, each joined onto one line.

    Code, doctests, tables, lists and signatures are dropped: a paragraph must be unindented
    sentences, start with a capital, end with a full stop, and be mostly letters."""
    for para in re.split(r"\n\s*\n", doc):
        lines = para.split("\n")
        if any(line[:1].isspace() or line.lstrip().startswith((">>>", "...", "-", "*", "+", "|", "=")) for line in lines):
            continue
        text = " ".join(line.strip() for line in lines).replace("`", "")
        if "  " in text or not text.endswith(".") or not text[:1].isupper() or len(text.split()) < 8:
            continue
        visible = [c for c in text if not c.isspace()]
        if sum(c.isalpha() for c in visible) / len(visible) < 0.85:
            continue
        yield text


@functools.lru_cache(maxsize=1)
def filler_pool() -> tuple[tuple[str, ...], ...]:
    """Every prose paragraph of the modules' docstrings, as a tuple of sentences, in a fixed order."""
    seen: set[str] = set()
    pool = []
    for name in MODULES:
        for doc in _docstrings(name):
            for para in _prose(doc):
                if para in seen:
                    continue
                seen.add(para)
                sentences = tuple(s for s in _SENTENCE_END.split(para) if not _BANNED.search(s))
                if sentences:
                    pool.append(sentences)
    return tuple(pool)


def needle_word(seed: int) -> str:
    """The password for this seed."""
    return _rng_word_order(seed)[0]


def _rng_word_order(seed: int) -> tuple[str, list[tuple[str, ...]]]:
    rng = random.Random(seed)
    word = rng.choice(WORDS)
    order = list(filler_pool())
    rng.shuffle(order)
    return word, order


def _stream(order: list[tuple[str, ...]]) -> Iterator[tuple[str, bool]]:
    """(sentence, starts a paragraph), the shuffled paragraphs over and over (long prompts need more
    text than the pool holds)."""
    while True:
        for para in order:
            for i, sentence in enumerate(para):
                yield sentence, i == 0


# ---------------------------------------------------------------- the prompt

Unit = tuple[str, bool]  # a sentence of the haystack and whether it starts a paragraph


def _haystack_text(units: list[Unit]) -> str:
    parts = []
    for i, (sentence, starts) in enumerate(units):
        parts.append(sentence if i == 0 else ("\n\n" if starts else " ") + sentence)
    return "".join(parts)


def _with_needle(units: list[Unit], counts: list[int], depth: float, needle: str) -> list[Unit]:
    """The needle put at the sentence boundary whose share of the haystack's tokens before it is
    nearest `depth` (ties to the earlier boundary)."""
    before, total = [0], sum(counts)
    for n in counts:
        before.append(before[-1] + n)
    at = min(range(len(before)), key=lambda i: (abs(before[i] - depth * total), i))
    # It joins the paragraph before it; at the very start it opens the first one.
    return units[:at] + [(needle, at == 0)] + units[at:]


def _count(tokenizer: Any, unit: Unit) -> int:
    sentence, starts = unit
    return len(tokenizer.encode(("\n\n" if starts else " ") + sentence, add_special_tokens=False))


def _render(tokenizer: Any, haystack: str, needle: str) -> tuple[list[int], int]:
    """The prompt's ids (template, user turn, assistant's turn opened, the answer's start) and the
    token index where the needle starts."""
    messages = [{"role": "user", "content": haystack + "\n\n" + QUESTION}]
    ids = [int(i) for i in tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]]
    # Where the needle starts: the rendered text's character offsets, token by token.
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    if list(enc["input_ids"]) != ids:  # the template's text must tokenise to the template's ids
        raise RuntimeError("the chat template's text does not tokenise to its own ids")
    char = text.index(needle)
    needle_at = next(i for i, (_, end) in enumerate(enc["offset_mapping"]) if end > char)
    return ids + tokenizer.encode(ANSWER_START, add_special_tokens=False), needle_at


def build_prompt(tokenizer: Any, length: int, depth: float, seed: int) -> tuple[list[int], list[int], int]:
    """(prompt ids, answer ids, needle token position) for one cell.

    The prompt is at most `length - len(answer ids)` tokens, and within a few tokens of it (for a
    `length` below about 64 there is no room for filler and the prompt is longer)."""
    word, order = _rng_word_order(seed)
    needle = NEEDLE.format(word=word)
    answer_ids = tokenizer.encode(" " + word, add_special_tokens=False)
    target = length - len(answer_ids)  # the longest prompt that leaves room for the answer

    overhead = len(_render(tokenizer, needle, needle)[0])  # everything but the filler
    units: list[Unit] = []
    counts: list[int] = []
    stream = _stream(order)
    looked = 0
    limit = 4 * sum(len(p) for p in order)  # guards against a budget nothing fits

    def fill(budget: int) -> None:
        # Whole sentences, in order; one too long for what is left is skipped, so short ones can
        # close the gap.
        nonlocal looked
        while budget > _FIT_SLACK and looked < limit:
            unit = next(stream)
            looked += 1
            n = _count(tokenizer, unit)
            if n <= budget:
                units.append(unit)
                counts.append(n)
                budget -= n

    fill(target - overhead)
    # The counts are per sentence; the rendered prompt can differ by a token or two at the joins.
    for _ in range(8):
        ids, needle_at = _render(tokenizer, _haystack_text(_with_needle(units, counts, depth, needle)), needle)
        slack = target - len(ids)
        if slack < 0 and units:
            units.pop()
            counts.pop()
        elif slack > _FIT_SLACK and looked < limit:
            fill(slack)
        else:
            break
    return ids, answer_ids, needle_at


# ---------------------------------------------------------------- the score


def answer_prob(model: Any, prompt_ids: list[int], answer_ids: list[int]) -> float:
    """p(answer | prompt): the product of the model's softmax probability of each answer token given
    the prompt and the answer tokens before it, from one forward pass over prompt + answer."""
    if not prompt_ids or not answer_ids:
        raise ValueError("answer_prob needs a prompt and an answer")
    device = next(model.parameters()).device
    ids = torch.tensor([list(prompt_ids) + list(answer_ids)], device=device)
    keep = len(answer_ids) + 1
    with torch.inference_mode():
        # Only the last `keep` positions get logits (a (T, 49152) matrix would be ~800 MB at 4,096
        # tokens); the first len(answer) of them predict the answer tokens.
        logits = model(input_ids=ids, logits_to_keep=keep, use_cache=False).logits[0, :-1].float()
        logp = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(answer_ids, device=device)[:, None])[:, 0]
    return math.exp(float(logp.double().sum()))  # sum of logs: no underflow for a long answer


def _model_key(model: Any) -> str:
    return getattr(model, "name_or_path", "") or model.config._name_or_path


def probe(
    model: Any,
    tokenizer: Any,
    lengths: Iterable[int] = DEFAULT_LENGTHS,
    depths: Iterable[float] = DEFAULT_DEPTHS,
    seed: int = 0,
    on_cell: Callable[[int, int, Cell], None] | None = None,
) -> list[Cell]:
    """Every (length, depth) cell, lengths outer and depths inner; `on_cell(done, total, cell)` after
    each. Cells already computed for this model and seed come from `cache`. Validate the grid with
    `check_grid` first."""
    lengths, depths = [int(n) for n in lengths], [float(d) for d in depths]
    total, cells = len(lengths) * len(depths), []
    for length in lengths:
        for depth in depths:
            def compute(length: int = length, depth: float = depth) -> Cell:
                prompt_ids, answer_ids, needle_at = build_prompt(tokenizer, length, depth, seed)
                return Cell(length, depth, answer_prob(model, prompt_ids, answer_ids), len(prompt_ids), needle_at)

            cell = cache.get_or_compute((_model_key(model), length, depth, int(seed)), compute)
            cells.append(cell)
            if on_cell is not None:
                on_cell(len(cells), total, cell)
    return cells


# ---------------------------------------------------------------- the learner's grid


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        x = float(value)  # gradio may send numbers as floats or strings
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def check_grid(lengths: Iterable[object], depths: Iterable[object], window: int) -> tuple[list[int], list[float]]:
    """The grid as sorted lists without duplicates, or a UserInputError that says what is wrong:
    lengths are whole numbers of tokens from 64 to `window` (at most 8 of them), depths numbers from
    0 to 1 (at most 11)."""
    # A lone value (or a string from a text box) is one entry, not a sequence of characters.
    lengths = [lengths] if isinstance(lengths, (str, int, float)) else list(lengths or [])
    depths = [depths] if isinstance(depths, (str, int, float)) else list(depths or [])
    if not lengths:
        raise UserInputError("Choose at least one context length.")
    if not depths:
        raise UserInputError("Choose at least one depth for the needle.")
    good_lengths = set()
    for value in lengths:
        x = _number(value)
        if x is None or x != int(x):
            raise UserInputError(f"A context length must be a whole number of tokens; {value!r} is not.")
        if not MIN_LENGTH <= x <= window:
            raise UserInputError(
                f"A context length must be between {MIN_LENGTH} and {window:,} tokens (this model's "
                f"context window); {int(x):,} is not.")
        good_lengths.add(int(x))
    good_depths = set()
    for value in depths:
        x = _number(value)
        if x is None:
            raise UserInputError(f"A depth must be a number from 0 (the start) to 1 (the end); {value!r} is not.")
        if not 0.0 <= x <= 1.0:
            raise UserInputError(f"A depth must be from 0 (the start) to 1 (the end); {x:g} is not.")
        good_depths.add(x + 0.0)  # -0.0 and 0.0 are one depth
    if len(good_lengths) > MAX_LENGTHS:
        raise UserInputError(f"Choose at most {MAX_LENGTHS} context lengths (got {len(good_lengths)}).")
    if len(good_depths) > MAX_DEPTHS:
        raise UserInputError(f"Choose at most {MAX_DEPTHS} depths (got {len(good_depths)}).")
    return sorted(good_lengths), sorted(good_depths)
