"""The next-token distribution and the Sampling lesson's steps, on the shared decode loop.

`distribution` gives the next-token distribution for a sequence of ids; the raw logits are
kept in a small LRU cache, so moving a slider only redoes the cheap reshaping. `decode` streams
steps through `playground.lm.decode`: the prompt is read once, then each new token costs one
forward pass over that token alone. Several rows (the same prompt at different settings) run as
one batch, so comparing three temperatures costs little more than one run. Which weights give
the logits (32-bit or 4-bit) is `playground.lm.engines`' business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import torch

from playground.checks import UserInputError
from playground.lessons.sampling import warpers as W
from playground.lm import decode as lm_decode
from playground.lm.engines import EXACT, engine, weights_choice
from playground.lm.text import token_bytes, token_text
from playground.lru import BoundedLRU
from playground.models.loaders import LoadedModel

CONTEXT_WINDOW = 8192  # SmolLM2's max_position_embeddings
MAX_PROMPT_TOKENS = 2048  # this tab's own limit, so a request stays interactive on a 2-core CPU
N_ALTERNATIVES = 5


@dataclass
class Candidate:
    id: int
    token: str  # decoded alone: a token holding part of a character comes out as '\ufffd'
    logit: float
    prob_raw: float  # the model's own softmax
    prob: float  # after the settings
    piece: bytes | None = None  # its raw bytes (byte-level BPE), so a view can show a split character

    def as_json(self) -> dict:
        return {"id": self.id, "token": self.token, "logit": self.logit, "prob_raw": self.prob_raw, "prob": self.prob}


@dataclass
class Step:
    id: int
    token: str
    prob: float  # in the distribution it was drawn from (after the settings)
    prob_raw: float  # in the model's own distribution
    alternatives: list[Candidate] = field(default_factory=list)  # top by the model's own probability
    piece: bytes | None = None  # its raw bytes, as in Candidate
    rank: int = 1  # its place in the model's own ranking (1 = the most probable token)
    forced: bool = False  # picked by the learner (a branch), not drawn
    # whole-vocabulary summaries, filled for the chart only (the decode loop skips the cost)
    entropy_raw: float = float("nan")
    entropy: float = float("nan")
    kept: int = 0  # how many tokens the settings left in the running
    removed_raw: float = 0.0  # the model's own probability held by the tokens the settings removed


@dataclass
class Distribution:
    candidates: list[Candidate]
    entropy_raw: float
    entropy: float
    kept: int
    removed_raw: float
    drawn: Step  # what this seed would draw at this step
    drawn_logit: float  # its raw logit, for the chart when it is not among the candidates

    def as_json(self) -> dict:
        """The `next_token` API's answer."""
        return {
            "candidates": [c.as_json() for c in self.candidates],
            "entropy_raw": self.entropy_raw,
            "entropy": self.entropy,
        }

    def drawn_candidate(self) -> Candidate:
        """The drawn token as a candidate, for a chart whose top bars may not include it."""
        d = self.drawn
        return Candidate(d.id, d.token, self.drawn_logit, d.prob_raw, d.prob, d.piece)


def check_length(n_prompt: int, max_new_tokens: int = 0) -> None:
    if n_prompt == 0:
        raise UserInputError("The prompt encodes to no tokens at all. Type some text.")
    if n_prompt + max_new_tokens > CONTEXT_WINDOW:
        raise UserInputError(
            f"The prompt is {n_prompt:,} tokens; with {max_new_tokens} new tokens that is past the model's "
            f"context window of {CONTEXT_WINDOW:,} tokens. Shorten it."
        )
    if n_prompt > MAX_PROMPT_TOKENS:
        raise UserInputError(
            f"The prompt is {n_prompt:,} tokens. This tab stops at {MAX_PROMPT_TOKENS:,} (the model reads up "
            f"to {CONTEXT_WINDOW:,}, but on this CPU that would take too long to stay interactive). Shorten it."
        )


# --- kept logits ---------------------------------------------------------------------------------


# the last logits per (model, weights, ids): each entry is one float32 vocabulary vector, 192 KiB for SmolLM2
LOGITS: BoundedLRU[torch.Tensor] = BoundedLRU(64)


def next_logits(lm: LoadedModel, ids: list[int], weights: str = EXACT) -> torch.Tensor:
    """The raw next-token logits (vocab,) after `ids`, from the cache or one forward pass."""
    weights = weights_choice(lm, weights)
    key = (lm.key, weights, tuple(ids))
    cached = LOGITS.get(key)
    if cached is not None:
        return cached
    with torch.inference_mode():
        if weights == EXACT:
            out = lm.model(torch.tensor([ids], device=lm.model.device), use_cache=False, logits_to_keep=1)
            logits = out.logits[0, -1].float().cpu()
        else:
            logits = engine(lm, weights).start(ids)[1][0]
    LOGITS.put(key, logits)
    return logits


# --- one step of reshaping -------------------------------------------------------------------------


def reshape(logits: torch.Tensor, seen: list[int] | torch.Tensor, s: W.DecodingSettings) -> tuple[torch.Tensor, torch.Tensor]:
    """(raw probabilities, probabilities after the settings) for one (vocab,) logit vector."""
    row = logits[None, :]
    seen_t = seen if isinstance(seen, torch.Tensor) else torch.tensor(seen, dtype=torch.long)
    shaped = W.warp(W.repetition_penalty(row, [seen_t], s.repetition_penalty), s)
    return torch.softmax(row, dim=-1)[0], torch.softmax(shaped, dim=-1)[0]


def make_step(
    tokenizer, logits: torch.Tensor, seen, s: W.DecodingSettings, seed: int, step: int,
    forced: int | None = None, n_top: int = N_ALTERNATIVES, detail: bool = False,
) -> Step:
    """Reshape, draw (or take the learner's pick) and record the step with its top alternatives."""
    p_raw, p = reshape(logits, seen, s)
    token_id = forced if forced is not None else W.draw(p, s, W.step_generator(seed, step))
    top = torch.topk(logits, n_top).indices.tolist()
    alts = [
        Candidate(i, token_text(tokenizer, i), float(logits[i]), float(p_raw[i]), float(p[i]), token_bytes(tokenizer, i))
        for i in top
    ]
    step = Step(
        id=token_id,
        token=token_text(tokenizer, token_id),
        prob=float(p[token_id]),
        prob_raw=float(p_raw[token_id]),
        alternatives=alts,
        piece=token_bytes(tokenizer, token_id),
        rank=int((p_raw > p_raw[token_id]).sum()) + 1,
        forced=forced is not None,
    )
    if detail:
        step.entropy_raw, step.entropy = float(W.entropy_bits(p_raw)), float(W.entropy_bits(p))
        step.kept, step.removed_raw = int((p > 0).sum()), float(p_raw[p == 0].sum())
    return step


def distribution(
    lm: LoadedModel, ids: list[int], s: W.DecodingSettings, seed: int = 0, step: int = 0, n_top: int = 50,
    weights: str = EXACT,
) -> Distribution:
    """The next-token distribution after `ids`: the `n_top` most probable tokens under the raw
    softmax (in that order), both entropies, and the token this seed would draw."""
    logits = next_logits(lm, ids, weights)
    drawn = make_step(lm.tokenizer, logits, ids, s, seed, step, n_top=n_top, detail=True)
    return Distribution(drawn.alternatives, drawn.entropy_raw, drawn.entropy, drawn.kept, drawn.removed_raw, drawn,
                        float(logits[drawn.id]))


# --- the decode loop -------------------------------------------------------------------------------


def decode(
    lm: LoadedModel,
    prefix: list[int],
    settings: list[W.DecodingSettings],
    seed: int,
    max_new_tokens: int,
    first_step: int = 0,
    forced: int | None = None,
    weights: str = EXACT,
) -> Iterator[list[Step | None]]:
    """Yield, for each new position, one Step per row (None once a row has stopped at end-of-text).

    Row r is reshaped by settings[r]. `forced` replaces the first draw of every row (a branch).
    Step i of a run is drawn with generator (seed, first_step + i), so runs are reproducible and
    clicking Step n times draws what a streamed run of n tokens draws. Reading n tokens at once
    and one at a time round differently: in 32-bit the logits agree to ~1e-5; in 4-bit the bf16
    activations let probabilities differ by up to about a percent, so a near-tie can go the
    other way.
    """
    weights = weights_choice(lm, weights)

    def pick(row: int, position: int, logits: torch.Tensor, seen: torch.Tensor) -> Step:
        return make_step(lm.tokenizer, logits, seen, settings[row], seed, first_step + position,
                         forced if position == 0 else None)

    def keep_prompt_logits(logits: torch.Tensor) -> None:
        LOGITS.put((lm.key, weights, tuple(prefix)), logits[0])

    yield from lm_decode.decode(engine(lm, weights), prefix, pick, rows=len(settings), max_new_tokens=max_new_tokens,
                                stops=lm_decode.stop_ids(lm), on_start=keep_prompt_logits)
