"""A graded guess, with no UI: the lessons' pure prediction maths returns a `Verdict`, the UI layer
(playground.ui.predict) keeps the session's score and writes the reveal."""

from __future__ import annotations

from dataclasses import dataclass

EXACT = 0.999  # closeness at or above this counts as "spot on"


@dataclass(frozen=True)
class Verdict:
    """One guess, graded: what was asked, what the learner said, what the model (or the maths) says."""

    lesson: str  # the lesson's key (sampling, tokens ...)
    question: str
    guess: str
    answer: str
    closeness: float  # 1: exactly right … 0: as far off as it gets
    detail: str  # how close, in the lesson's own numbers (rank, probability, tokens off ...)

    @property
    def spot_on(self) -> bool:
        return self.closeness >= EXACT


def count_closeness(guess: float, actual: float) -> float:
    """Closeness of a guessed count: 1 − |guess − actual| / actual, clipped to 0 … 1 (actual 0: exact or nothing)."""
    if actual <= 0:
        return 1.0 if guess == actual else 0.0
    return max(0.0, min(1.0, 1.0 - abs(guess - actual) / actual))


def rank_closeness(rank: int) -> float:
    """Closeness of a guess that came `rank`-th (1 = the answer): 1, 1/2, 1/3 … ."""
    return 1.0 / rank if rank >= 1 else 0.0
