"""Predict, then reveal: a learner commits a guess before the model shows its answer, sees how close it was, and
keeps a running score for the session (all tabs together).

A lesson supplies the question, the guess component, and a pure function that computes the answer and grades
the guess into a `Verdict` (closeness 0 … 1, and a sentence in the lesson's own numbers). This module holds the
layout every tab uses, the per-session score and the reveal's text. `Verdict` itself lives in the gradio-free
`playground.scoring` (so a lesson's pure module can build one) and is re-exported here.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from typing import Sequence

import gradio as gr
from gradio.components import Component

from playground.lru import BoundedLRU
from playground.scoring import EXACT, Verdict

__all__ = ["EXACT", "SCORES", "PredictBox", "Verdict", "predict_box", "record", "reveal_md"]

MAX_SESSIONS = 5_000  # a score per open page; the oldest pages' scores go first


@dataclass
class Tally:
    tries: int = 0
    spot_on: int = 0
    points: float = 0.0  # the sum of closeness
    by_lesson: dict[str, int] = field(default_factory=dict)

    def add(self, verdict: Verdict) -> None:
        self.tries += 1
        self.spot_on += verdict.closeness >= EXACT
        self.points += max(0.0, min(1.0, verdict.closeness))
        self.by_lesson[verdict.lesson] = self.by_lesson.get(verdict.lesson, 0) + 1


class Scores:
    """Every page's running score, by Gradio session (a page's own, never another's), bounded."""

    def __init__(self, max_sessions: int = MAX_SESSIONS):
        self._tallies: BoundedLRU[Tally] = BoundedLRU(max_sessions)
        self._lock = threading.Lock()

    def add(self, session: str, verdict: Verdict) -> Tally:
        with self._lock:
            tally = self._tallies.get(session) or Tally()
            tally.add(verdict)
            self._tallies.put(session, tally)
            return tally

    def tally(self, session: str) -> Tally:
        return self._tallies.get(session) or Tally()


SCORES = Scores()


def session_of(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "anonymous"


def verdict_md(verdict: Verdict) -> str:
    """One graded guess: the answer, the guess beside it, how close."""
    # words, not emoji: a machine without an emoji font would draw empty boxes
    mark = "Spot on." if verdict.closeness >= EXACT else ("Close." if verdict.closeness >= 0.5 else "Not this time.")
    esc = html.escape
    return (f"**{mark}** You said **{esc(verdict.guess)}**; the answer is **{esc(verdict.answer)}**. "
            f"{verdict.detail} (closeness {verdict.closeness:.2f} of 1)")


def score_md(tally: Tally) -> str:
    return (f"*Your score this session: {tally.points:.1f} points from {tally.tries} "
            f"guess{'es' if tally.tries != 1 else ''}, {tally.spot_on} spot on.*")


def reveal_md(verdict: Verdict | Sequence[Verdict], tally: Tally) -> str:
    """The reveal: each verdict (a box may ask two questions), then the session's running score."""
    verdicts = [verdict] if isinstance(verdict, Verdict) else list(verdict)
    return "\n\n".join([*(verdict_md(v) for v in verdicts), score_md(tally)])


def record(verdict: Verdict | Sequence[Verdict], request: gr.Request | None) -> str:
    """Add the verdict (or each of several, one reveal) to this page's score and return the reveal's Markdown."""
    verdicts = [verdict] if isinstance(verdict, Verdict) else list(verdict)
    if not verdicts:
        raise ValueError("record() needs at least one verdict")
    for v in verdicts:
        tally = SCORES.add(session_of(request), v)
    return reveal_md(verdicts, tally)


@dataclass
class PredictBox:
    guess: Component
    reveal: gr.Button | None  # None with button=None: another of the tab's events reveals (a training run's end)
    result: gr.Markdown
    guesses: tuple[Component, ...] = ()  # every guess component, `guess` first (a box may ask two questions)


def predict_box(question: str, guess: Component, *more: Component,
                button: str | None = "Reveal the answer") -> PredictBox:
    """The shared layout: an accordion with the question, the learner's guess, a reveal button and the verdict.
    Call it inside the tab's layout with unrendered guess components (`render=False`): one, or several side by
    side for a question in two parts (then record() the reveal's verdicts together)."""
    with gr.Accordion("Predict, then reveal", open=True, elem_classes=["predict-box"]):
        gr.Markdown(question)
        with gr.Row():
            for component in (guess, *more):
                component.render()
            reveal = gr.Button(button, variant="secondary", scale=0, min_width=160) if button else None
        result = gr.Markdown()
    return PredictBox(guess, reveal, result, (guess, *more))
