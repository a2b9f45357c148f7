"""The model's own answer to a poll question, computed for real on SmolLM2 (never typed in by anyone).

Next token: the model's forward on the teacher's text, exactly as `tokenizer(text)` encodes it (no chat
template), in float32 through the shared ExactEngine; its top token, that token's probability, and the
whole distribution kept, so the chart can show what the model believed of each answer the class gave.
A class answer is grouped ignoring surrounding whitespace and case (rooms.normalise); its probability is
the model's probability of every single token that reads the same under that grouping (" mat", "mat",
" Mat" ...), so the class and the model are compared on the same terms. An answer that no single token
spells has none: the model would need more than one step to write it.

Token count: how many tokens SmolLM2's tokenizer makes of the text, raw (SmolLM2 adds no BOS).
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import torch

from playground.checks import UserInputError
from playground.classroom.rooms import NEXT_TOKEN, TOKEN_COUNT, check_kind, check_prompt, next_token_key
from playground.lm.engines import ExactEngine
from playground.lm.prompts import encode
from playground.lm.text import token_bytes, token_text

MODEL = "smollm2-135m-instruct"
MAX_PROMPT_TOKENS = 1024  # one forward pass, kept interactive on a 2-core CPU


def visible(text: str) -> str:
    """Whitespace drawn, so a token's leading space (part of the token) shows: ' mat' -> '␣mat'."""
    return text.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥")


@dataclass(frozen=True)
class ModelAnswer:
    kind: str
    answer: str  # next token: the token's text as decoded (" mat"); token count: the count ("12")
    label: str  # the answer as the class's answers are grouped and shown ("mat"; "12")
    key: str  # its group (rooms.normalise's key)
    probability: float | None = None  # next token: the model's probability of that one token
    token_id: int | None = None
    tokens: tuple[str, ...] = ()  # token count: the text's tokens, each as decoded
    prompt_tokens: int = 0
    # next token: the whole distribution, and the tokenizer's tokens grouped by key (shared, cached per tokenizer)
    probs: np.ndarray | None = field(default=None, repr=False, compare=False)
    groups: Mapping[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def probability_of(self, label: str) -> float | None:
        """The model's probability of a class answer (any single token that groups with it), or None
        where no single token does (or the question is not a next-token one)."""
        if self.probs is None or self.groups is None:
            return None
        ids = self.groups.get(next_token_key(label))
        return None if ids is None else float(self.probs[ids].sum())

    def sentence(self) -> str:
        if self.kind == NEXT_TOKEN:
            space = " (␣ is a space: it belongs to the token)" if self.answer[:1].isspace() else ""
            return (f"SmolLM2's most likely next token is “{visible(self.answer)}”, with probability "
                    f"{self.probability:.1%}{space}.")
        pieces = "|".join(visible(t) for t in self.tokens[:40]) + ("|…" if len(self.tokens) > 40 else "")
        return f"SmolLM2's tokenizer cuts this text into {self.answer} tokens: {pieces}"

    def as_json(self, counts: tuple[tuple[str, int], ...] | list = ()) -> dict:
        """The detail an endpoint adds beside `model_answer`; with the class's counts, the model's
        probability of each answer given (next token; null where no single token spells it)."""
        given = sum(n for _, n in counts)
        same = sum(n for label, n in counts if self.matches(label))
        return {
            "label": self.label,
            "probability": self.probability,
            "token_id": self.token_id,
            "tokens": list(self.tokens),
            "sentence": self.sentence(),
            "class_share": same / given if given else None,  # of the answers given, how many matched the model
            "answer_probabilities": [[label, self.probability_of(label)] for label, _ in counts]
            if self.kind == NEXT_TOKEN else [],
        }

    def matches(self, label: str) -> bool:
        """Whether a class answer (as counted) is the model's answer, grouped the same way."""
        return (next_token_key(label) if self.kind == NEXT_TOKEN else label) == self.key


# --- the two kinds ------------------------------------------------------------------------------------------

_groups: "weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]]" = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()


def token_groups(tokenizer: Any) -> Mapping[str, np.ndarray]:
    """Every token id of the vocabulary by its group key (decoded alone, whitespace and case ignored),
    built once per tokenizer (about half a second for SmolLM2's 49,152 tokens)."""
    with _groups_lock:
        found = _groups.get(tokenizer)
        if found is None:
            texts = tokenizer.batch_decode([[i] for i in range(len(tokenizer))])
            lists: dict[str, list[int]] = {}
            for i, text in enumerate(texts):
                key = next_token_key(text)
                if key:  # a whitespace-only token no student can type
                    lists.setdefault(key, []).append(i)
            found = {key: np.asarray(ids, dtype=np.int64) for key, ids in lists.items()}
            _groups[tokenizer] = found
        return found


def next_token(hub: Any, prompt: str) -> ModelAnswer:
    ids = encode(hub.tokenizer(MODEL), prompt, False)  # checked before the model loads
    if len(ids) > MAX_PROMPT_TOKENS:
        raise UserInputError(f"The text is {len(ids):,} tokens long; a next-token poll takes at most "
                             f"{MAX_PROMPT_TOKENS:,}. Shorten it.")
    lm = hub.get(MODEL)
    with torch.inference_mode():
        _, logits = ExactEngine(lm).start(ids)
    probs = torch.softmax(logits[0].double(), dim=-1).float().numpy()
    top = int(probs.argmax())
    text = token_text(lm.tokenizer, top)
    label = text.strip() or visible(text)
    return ModelAnswer(NEXT_TOKEN, text, label, next_token_key(text), float(probs[top]), top, (), len(ids), probs)


def token_count(hub: Any, prompt: str) -> ModelAnswer:
    tokenizer = hub.tokenizer(MODEL)
    ids = encode(tokenizer, prompt, False)
    n = str(len(ids))
    return ModelAnswer(TOKEN_COUNT, n, n, n, tokens=tuple(piece(tokenizer, i) for i in ids), prompt_tokens=len(ids))


def piece(tokenizer: Any, token_id: int) -> str:
    """One token's text; a token holding only part of a character shows its bytes, <F0 9F>, as the token
    chips do (an emoji is often two or more tokens)."""
    raw = token_bytes(tokenizer, token_id)
    if raw is None:
        return token_text(tokenizer, token_id)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "<" + " ".join(f"{b:02X}" for b in raw) + ">"


def model_run(hub: Any, kind: str, prompt: str) -> ModelAnswer:
    """The model's answer to a question of this kind on this text (checks both first), without the
    vocabulary's groups: this is the part that runs the model (in a ZeroGPU worker on a Space, whence it
    is pickled back, so it carries only its own numbers)."""
    kind, prompt = check_kind(kind), check_prompt(prompt)
    return next_token(hub, prompt) if kind == NEXT_TOKEN else token_count(hub, prompt)


def with_groups(hub: Any, answer: ModelAnswer) -> ModelAnswer:
    """The answer able to say what the model believed of the class's answers (the shared groups attached)."""
    if answer.kind != NEXT_TOKEN:
        return answer
    return dataclasses.replace(answer, groups=token_groups(hub.tokenizer(MODEL)))


def compute(hub: Any, kind: str, prompt: str) -> ModelAnswer:
    """model_run, then with_groups: the whole answer, in this process."""
    return with_groups(hub, model_run(hub, kind, prompt))
