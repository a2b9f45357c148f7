"""The decode loop: one forward pass per new token, with a KV cache, so the prompt is read once.

`distribution` gives the next-token distribution for a sequence of ids; the raw logits are
kept in a small LRU cache, so moving a slider only redoes the cheap reshaping. `decode` streams
steps: it reads the prompt once, then each new token costs one forward pass over that token alone
(its keys and values are appended to the cache). Several rows (the same prompt at different
settings) run as one batch, so comparing three temperatures costs little more than one run.

Two engines compute the logits. EXACT is the model's own transformers forward in float32 (what
the JSON endpoints use, so they match transformers to the last digit). FAST is
`playground.models.fast_llama`: the same architecture with 4-bit weights, about 2.5 times
faster per token on a 2-core CPU; how far its probabilities are from the exact ones is measured once
per process (`fast_agreement`) and shown to the learner.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator

import torch

from playground.lessons import sampling_warpers as W
from playground.models import fast_llama
from playground.models.loaders import LoadedModel
from playground.ui.errors import UserInputError

CONTEXT_WINDOW = 8192  # SmolLM2's max_position_embeddings
MAX_PROMPT_TOKENS = 2048  # this tab's own limit, so a request stays interactive on a 2-core CPU
N_ALTERNATIVES = 5
EXACT, FAST = "32-bit", "4-bit"
WEIGHTS = (FAST, EXACT)
# what the fast engine is compared on: ordinary English, read one token at a time
AGREEMENT_TEXT = (
    "The best thing about rainy days is the sound on the roof. I like cats because they are calm, and "
    "my favourite fruit is a ripe pear. Write a short poem about the sea: waves fold over the sand."
)


@dataclass
class Candidate:
    id: int
    token: str
    logit: float
    prob_raw: float  # the model's own softmax
    prob: float  # after the settings


@dataclass
class Step:
    id: int
    token: str
    prob: float  # in the distribution it was drawn from (after the settings)
    prob_raw: float  # in the model's own distribution
    alternatives: list[Candidate] = field(default_factory=list)  # top by the model's own probability
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


# --- prompts -----------------------------------------------------------------------------------


def encode(tokenizer, prompt: str, chat: bool) -> list[int]:
    """Raw text exactly as `tokenizer(prompt)` encodes it (SmolLM2 adds no BOS), or a chat turn
    wrapped in the model's chat template with the assistant's turn opened."""
    if chat:
        out = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True)
        ids = out["input_ids"] if hasattr(out, "keys") else out
        return [int(i) for i in ids]
    return [int(i) for i in tokenizer(prompt)["input_ids"]]


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


def token_text(tokenizer, token_id: int) -> str:
    return tokenizer.decode([token_id])


# --- the two engines -----------------------------------------------------------------------------


class ExactEngine:
    """The model's own transformers forward with its DynamicCache (any model, any device)."""

    def __init__(self, lm: LoadedModel):
        self.model = lm.model

    def start(self, ids: list[int], rows: int = 1, capacity: int = 0):
        out = self.model(torch.tensor([ids], device=self.model.device), use_cache=True, logits_to_keep=1)
        cache = out.past_key_values
        if rows > 1:
            cache.batch_repeat_interleave(rows)
        return cache, out.logits[:, -1].float().cpu().expand(rows, -1)

    def step(self, cache, ids: list[int]) -> torch.Tensor:
        out = self.model(torch.tensor(ids, device=self.model.device)[:, None], past_key_values=cache, use_cache=True)
        return out.logits[:, -1].float().cpu()


def weights_choice(lm: LoadedModel, weights: str) -> str:
    """The engine that will really run: FAST falls back to EXACT where there is no 4-bit engine."""
    if weights not in WEIGHTS:
        raise UserInputError(f"Weights must be one of {', '.join(WEIGHTS)}.")
    if weights == FAST and fast_llama.unsupported_reason(lm) is not None:
        return EXACT
    return weights


def engine(lm: LoadedModel, weights: str):
    return fast_llama.engine_for(lm) if weights_choice(lm, weights) == FAST else ExactEngine(lm)


_agreement_lock = threading.Lock()


@dataclass
class FastCheck:
    """The 4-bit engine measured against the 32-bit model, once per process."""

    agreement: fast_llama.Agreement
    exact_step_ms: float  # the model's own forward, one cached step


CHECK_KEY = "fast_llama_check"  # where the measurement is kept, in the LoadedModel's extras


def fast_measured(lm: LoadedModel) -> bool:
    """Whether the 4-bit engine is built and measured already (else the first use takes a second or two)."""
    return CHECK_KEY in lm.extras


def fast_agreement(lm: LoadedModel) -> FastCheck:
    """How close and how fast the 4-bit engine is, on AGREEMENT_TEXT, measured on first use."""
    with _agreement_lock:
        found = lm.extras.get(CHECK_KEY)
        if found is None:
            ids = encode(lm.tokenizer, AGREEMENT_TEXT, False)
            agreement = fast_llama.agreement(lm.model, fast_llama.engine_for(lm), ids)
            exact = ExactEngine(lm)
            with torch.inference_mode():
                cache, _ = exact.start(ids[:8])
                began = time.perf_counter()
                for token in ids[8:16]:
                    exact.step(cache, [token])
            found = FastCheck(agreement, (time.perf_counter() - began) * 1000 / len(ids[8:16]))
            lm.extras[CHECK_KEY] = found
        return found


def weights_note(lm: LoadedModel, weights: str) -> str:
    """One sentence on which weights produced the numbers, with the measured gap for 4-bit."""
    if weights == FAST and weights_choice(lm, weights) == EXACT:
        return (f"**Weights:** the 4-bit engine is not used here ({fast_llama.unsupported_reason(lm)}), "
                f"so these numbers come from the model's own weights.")
    if weights == EXACT:
        return "**Weights:** 32-bit floats, the model's own forward: the same numbers transformers gives."
    check = fast_agreement(lm)
    a = check.agreement
    return (f"**Weights:** 4-bit (the groups of 32 the GGUF file ships). Measured on this machine at first use: "
            f"a 4-bit step took {a.step_ms:.0f} ms and a 32-bit step {check.exact_step_ms:.0f} ms; on a "
            f"{a.positions}-token text {a.sentence()}.")


# --- kept logits ---------------------------------------------------------------------------------


class LogitsCache:
    """The last logits per token sequence, least recently used dropped first (bounded memory:
    each entry is one float32 vocabulary vector, 192 KiB for SmolLM2)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._data: OrderedDict[tuple, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> torch.Tensor | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self._data.move_to_end(key)
            return value

    def put(self, key: tuple, logits: torch.Tensor) -> None:
        with self._lock:
            self._data[key] = logits
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


LOGITS = LogitsCache()


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


def is_cached(lm: LoadedModel, ids: list[int], weights: str = EXACT) -> bool:
    return LOGITS.get((lm.key, weights_choice(lm, weights), tuple(ids))) is not None


# --- one step of reshaping -------------------------------------------------------------------------


def reshape(logits: torch.Tensor, seen: list[int] | torch.Tensor, s: W.Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """(raw probabilities, probabilities after the settings) for one (vocab,) logit vector."""
    row = logits[None, :]
    seen_t = seen if isinstance(seen, torch.Tensor) else torch.tensor(seen, dtype=torch.long)
    shaped = W.warp(W.repetition_penalty(row, [seen_t], s.repetition_penalty), s)
    return torch.softmax(row, dim=-1)[0], torch.softmax(shaped, dim=-1)[0]


def make_step(
    tokenizer, logits: torch.Tensor, seen, s: W.Settings, seed: int, step: int,
    forced: int | None = None, n_top: int = N_ALTERNATIVES, detail: bool = False,
) -> Step:
    """Reshape, draw (or take the learner's pick) and record the step with its top alternatives."""
    p_raw, p = reshape(logits, seen, s)
    token_id = forced if forced is not None else W.draw(p, s, W.step_generator(seed, step))
    top = torch.topk(logits, n_top).indices.tolist()
    alts = [Candidate(i, token_text(tokenizer, i), float(logits[i]), float(p_raw[i]), float(p[i])) for i in top]
    step = Step(
        id=token_id,
        token=token_text(tokenizer, token_id),
        prob=float(p[token_id]),
        prob_raw=float(p_raw[token_id]),
        alternatives=alts,
        forced=forced is not None,
    )
    if detail:
        step.entropy_raw, step.entropy = float(W.entropy_bits(p_raw)), float(W.entropy_bits(p))
        step.kept, step.removed_raw = int((p > 0).sum()), float(p_raw[p == 0].sum())
    return step


def distribution(
    lm: LoadedModel, ids: list[int], s: W.Settings, seed: int = 0, step: int = 0, n_top: int = 50,
    weights: str = EXACT,
) -> Distribution:
    """The next-token distribution after `ids`: the `n_top` most probable tokens under the raw
    softmax (in that order), both entropies, and the token this seed would draw."""
    logits = next_logits(lm, ids, weights)
    drawn = make_step(lm.tokenizer, logits, ids, s, seed, step, n_top=n_top, detail=True)
    return Distribution(drawn.alternatives, drawn.entropy_raw, drawn.entropy, drawn.kept, drawn.removed_raw, drawn)


# --- the decode loop -------------------------------------------------------------------------------


def stop_ids(lm: LoadedModel) -> set[int]:
    eos = lm.model.generation_config.eos_token_id
    if eos is None:
        eos = lm.tokenizer.eos_token_id
    return set(eos if isinstance(eos, list) else [eos])


def decode(
    lm: LoadedModel,
    prefix: list[int],
    settings: list[W.Settings],
    seed: int,
    max_new_tokens: int,
    first_step: int = 0,
    forced: int | None = None,
    weights: str = EXACT,
) -> Iterator[list[Step | None]]:
    """Yield, for each new position, one Step per row (None once a row has stopped at end-of-text).

    The prefix is read once; then one forward pass per position feeds the batch's new tokens
    through the KV cache. `forced` replaces the first draw of every row (a branch). Step i of a
    run is drawn with generator (seed, first_step + i), so runs are reproducible and clicking
    Step n times draws what a streamed run of n tokens draws. Reading n tokens at once and one at
    a time round differently: in 32-bit the logits agree to ~1e-5; in 4-bit the bf16 activations
    let probabilities differ by up to about a percent, so a near-tie can go the other way.
    """
    tok = lm.tokenizer
    rows = len(settings)
    stops = stop_ids(lm)
    weights = weights_choice(lm, weights)
    eng = engine(lm, weights)
    with torch.inference_mode():
        cache, logits = eng.start(prefix, rows, capacity=len(prefix) + max_new_tokens)
        LOGITS.put((lm.key, weights, tuple(prefix)), logits[0])
        seen = [torch.tensor(prefix, dtype=torch.long) for _ in range(rows)]
        done = [False] * rows
        for i in range(max_new_tokens):
            steps: list[Step | None] = []
            for r, s in enumerate(settings):
                if done[r]:
                    steps.append(None)
                    continue
                step = make_step(tok, logits[r], seen[r], s, seed, first_step + i, forced if i == 0 else None)
                steps.append(step)
            yield steps
            next_ids = []
            for r, step in enumerate(steps):
                token = step.id if step is not None else next(iter(stops))  # stopped rows just idle
                next_ids.append(token)
                if step is not None:
                    seen[r] = torch.cat([seen[r], torch.tensor([token])])
                    done[r] = token in stops
            if all(done) or i == max_new_tokens - 1:
                return
            logits = eng.step(cache, next_ids)
