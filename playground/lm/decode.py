"""The one decoding loop every lesson that generates text calls (Sampling, Grounding, ...).

Like nanoGPT's `generate`, it is one loop: read the prompt once, then per new position choose
one token per row and feed the chosen tokens back through the KV cache. What differs between
lessons is only how a token is chosen and what is recorded about it, so that is the step
protocol: a `pick(row, position, logits, seen)` callable returning anything with an `.id`.

An `Engine` computes logits. `ExactEngine` (in `engines.py`) is the model's own transformers
forward; `FastLlama` (in `fast_llama.py`) is the same maths with 4-bit weights.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Protocol, TypeVar

import torch

from playground.models.loaders import LoadedModel


class Engine(Protocol):
    def start(self, ids: list[int], rows: int = 1, capacity: int = 0) -> tuple[Any, torch.Tensor]:
        """Read the prompt once; return (cache, next-token logits (rows, vocab))."""

    def step(self, cache: Any, ids: list[int]) -> torch.Tensor:
        """Feed one new token per row; return the next logits (rows, vocab)."""


class Chosen(Protocol):
    id: int


S = TypeVar("S", bound=Chosen)
# pick(row, position, logits (vocab,), seen (ids so far in this row)) -> the step for that row
Pick = Callable[[int, int, torch.Tensor, torch.Tensor], S]


def stop_ids(lm: LoadedModel) -> set[int]:
    """End-of-text / end-of-turn ids: the generation config's (an int or a list) and the tokenizer's."""
    configured = lm.model.generation_config.eos_token_id
    ids = {lm.tokenizer.eos_token_id, *(configured if isinstance(configured, list) else [configured])}
    return {int(i) for i in ids if i is not None}


def decode(
    engine: Engine, prefix: list[int], pick: Pick, *, rows: int, max_new_tokens: int, stops: set[int],
    on_start: Callable[[torch.Tensor], None] | None = None,
) -> Iterator[list[S | None]]:
    """Yield, for each new position, one step per row (None once that row has stopped).

    A row stops after the step that chose a stop id (that step is still yielded, so the caller
    sees why it stopped) or after max_new_tokens."""
    with torch.inference_mode():
        cache, logits = engine.start(prefix, rows, capacity=len(prefix) + max_new_tokens)  # (rows, vocab)
        if on_start is not None:
            on_start(logits)  # e.g. keep the prompt's next-token logits for the chart
        seen = [torch.tensor(prefix, dtype=torch.long) for _ in range(rows)]  # ids so far, per row
        done = [False] * rows
        idle = next(iter(stops)) if stops else 0  # what a stopped row feeds while the others go on
        for position in range(max_new_tokens):
            steps = [None if done[r] else pick(r, position, logits[r], seen[r]) for r in range(rows)]
            yield steps
            chosen = [idle if step is None else int(step.id) for step in steps]  # one token per row
            for r, step in enumerate(steps):
                if step is not None:
                    seen[r] = torch.cat([seen[r], torch.tensor([chosen[r]])])  # the row's context grows
                    done[r] = chosen[r] in stops  # a stop id ends the row
            if all(done) or position == max_new_tokens - 1:
                return
            logits = engine.step(cache, chosen)  # one forward pass over the new tokens alone
