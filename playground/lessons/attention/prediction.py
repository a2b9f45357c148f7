"""Predict, then reveal: which head does a job? The learner names a layer and a head before the
probe runs; the probe's own scores (probe.py) rank every head, and the guess is graded by where
it ranks: 1 for the strongest head, 1/2 for the runner-up, 1/r for the r-th."""

from __future__ import annotations

import numpy as np

from playground.checks import UserInputError
from playground.lessons.attention.probe import ProbeResult, top_heads
from playground.scoring import Verdict, rank_closeness

PREVIOUS, INDUCTION = "previous-token head", "induction head"
JOBS = (PREVIOUS, INDUCTION)
# what the probe's score of each job measures
MEANS = {PREVIOUS: "its mean weight on the token just before", INDUCTION: "its mean weight, in the second copy, "
         "on the token that followed the earlier copy"}


def job_scores(res: ProbeResult, job: str) -> np.ndarray:
    """The probe's (layers, heads) score for a job."""
    return res.previous if job == PREVIOUS else res.induction


def parse_head_guess(job: object, layer: object, head: object) -> tuple[str, int, int]:
    """The guessed job, layer and head, or a message; checked before the probe runs."""
    if job not in JOBS:
        raise UserInputError(f"Pick the job to guess: {' or '.join(JOBS)}.")
    if layer in (None, "") or head in (None, ""):
        raise UserInputError("Type your guess first: a layer and a head (both count from 0).")
    try:
        lay, hd = float(layer), float(head)
    except (TypeError, ValueError):
        raise UserInputError("The layer and the head must be whole numbers, counting from 0.") from None
    if not (lay.is_integer() and hd.is_integer()) or lay < 0 or hd < 0:
        raise UserInputError("The layer and the head must be whole numbers, counting from 0.")
    return str(job), int(lay), int(hd)


def rank_of(scores: np.ndarray, layer: int, head: int) -> int:
    """1 + the number of heads that score strictly higher (ties share the better rank)."""
    return 1 + int((scores > scores[layer, head]).sum())


def grade_head(res: ProbeResult, job: str, layer: object, head: object, model: str) -> Verdict:
    """Grade a guessed (layer, head) for a job against the probe's ranking of every head."""
    job, lay, hd = parse_head_guess(job, layer, head)
    scores = job_scores(res, job)
    n_layers, n_heads = scores.shape
    if lay >= n_layers or hd >= n_heads:
        raise UserInputError(f"{model} has layers 0–{n_layers - 1} and heads 0–{n_heads - 1} in each layer; "
                             f"layer {lay}, head {hd} is not one of them.")
    rank = rank_of(scores, lay, hd)
    mine = float(scores[lay, hd])
    if rank == 1:  # the best (or tied for it): the runner-up is the best of the others
        bl, bh, best = lay, hd, mine
        rl, rh, runner = next(t for t in top_heads(scores, 2) if t[:2] != (lay, hd))
        detail = (f"Layer {lay}, head {hd} is the strongest {job} of all {scores.size} heads, with a score of "
                  f"{mine:.3f} ({MEANS[job]}); the runner-up is layer {rl}, head {rh} at {runner:.3f}, "
                  f"{mine - runner:.3f} lower.")
    else:
        bl, bh, best = top_heads(scores, 1)[0]
        detail = (f"Layer {lay}, head {hd} ranks {rank} of {scores.size} heads with a score of {mine:.3f} "
                  f"({MEANS[job]}); the strongest {job} is layer {bl}, head {bh} at {best:.3f}.")
    return Verdict(
        lesson="attention",
        question=f"Which head of {model} is the strongest {job}?",
        guess=f"layer {lay}, head {hd}",
        answer=f"layer {bl}, head {bh}",
        closeness=rank_closeness(rank),
        detail=detail,
    )
