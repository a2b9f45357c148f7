"""What the loss sees: a row rendered through the chat template, and which of its tokens carry loss.

Instruction tuning usually trains on the assistant's answers only: the prompt is given at inference,
so there is nothing to gain from learning to predict it. trl's `assistant_only_loss` finds the
answers through `{% generation %}` markers in the chat template; SmolLM2's template has none (and
trl has no patched copy of it), so the answers are found here from the template's own rendering:
render the turns before an answer with the assistant header opened, render them again with the
answer, and the difference (without the trailing newline) is the answer and its end-of-turn token,
exactly what the model must learn to write and where to stop. The token ids and the labels
(`-100` on every token that carries no loss) then go to the trainer as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from playground.training.rows import CHAT, Row

IGNORE = -100  # the label transformers' cross-entropy skips


@dataclass
class Rendered:
    text: str  # what the tokenizer read
    ids: list[int]
    offsets: list[tuple[int, int]]  # each token's characters in `text`
    carries_loss: list[bool]  # per token: is it a label (is it predicted and paid for)?
    spans: list[tuple[int, int]]  # the assistant answers, as character ranges of `text`
    cut: int = 0  # tokens dropped from the end by the length limit

    @property
    def labels(self) -> list[int]:
        return [i if keep else IGNORE for i, keep in zip(self.ids, self.carries_loss)]

    @property
    def n_loss(self) -> int:
        return sum(self.carries_loss)


def _render(tokenizer: Any, turns: list[dict[str, str]], opened: bool = False) -> str:
    return tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=opened)


def assistant_spans(tokenizer: Any, turns: list[dict[str, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character range of every assistant answer in it (the
    answer's text and the end-of-turn token after it, not the header before it)."""
    text = _render(tokenizer, turns)
    spans = []
    for i, turn in enumerate(turns):
        if turn["role"] != "assistant":
            continue
        head, upto = _render(tokenizer, turns[:i], opened=True), _render(tokenizer, turns[: i + 1])
        if not (text.startswith(upto) and upto.startswith(head)):
            raise ValueError("this chat template does not render a conversation as its turns one after another")
        spans.append((len(head), len(upto.rstrip())))
    return text, spans


def render(tokenizer: Any, row: Row, assistant_only: bool = True, max_length: int | None = None) -> Rendered:
    """The row as token ids with, per token, whether it carries loss. Chat rows carry loss on the
    assistant answers (`assistant_only`) or on every token; raw text carries it everywhere and ends
    with the end-of-text token, as trl does for plain language modelling. The first token never
    carries loss: nothing comes before it to predict it from."""
    if row.kind == CHAT:
        text, spans = assistant_spans(tokenizer, row.chat())
    else:
        text = row.text + tokenizer.eos_token
        spans = [(0, len(text))]
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = [int(i) for i in enc["input_ids"]], [tuple(o) for o in enc["offset_mapping"]]
    if assistant_only or row.kind != CHAT:
        # like transformers' assistant mask: a token carries loss when any of its characters is in an answer
        carries = [any(start < b and a < end for a, b in spans) for start, end in offsets]
    else:
        carries = [True] * len(ids)
    if carries:
        carries[0] = False
    cut = 0
    if max_length is not None and len(ids) > max_length:
        cut = len(ids) - max_length
        ids, offsets, carries = ids[:max_length], offsets[:max_length], carries[:max_length]
    return Rendered(text, ids, offsets, carries, spans, cut)


def token_losses(model: Any, ids: list[int], labels: list[int]) -> torch.Tensor:
    """The cross-entropy the model pays for each token (T,), in nats; NaN where the label is -100.
    Their mean is the model's own `loss` for these labels."""
    device = next(model.parameters()).device
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids], device=device)).logits[0].float()  # (T, vocab)
    out = torch.full((len(ids),), float("nan"))
    if len(ids) > 1:
        out[1:] = F.cross_entropy(logits[:-1], torch.tensor(ids[1:], device=device), reduction="none").cpu()
    out[torch.tensor(labels) == IGNORE] = float("nan")
    return out


def mean_loss(losses: torch.Tensor) -> float:
    return float(losses.nanmean())
