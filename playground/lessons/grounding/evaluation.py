"""Scoring for the Grounding lesson's evaluation panel: built-in questions with gold answers.

The rule (documented in the tab): an answer is correct when, lower-cased and with thousands
commas removed ("1,412" -> "1412"), it contains one of the gold spellings as whole words.
For a question the knowledge base cannot answer (no gold), the right answer is to abstain, or
to say so ("I don't know", "not mentioned", ...). An abstained grounded answer to a question
that has a gold answer is wrong. It is a crude rule that a wordy but right answer still passes
and a right fact in other words fails; it is the same rule for both columns.

The grounded side abstains by two rules, and the evaluation scores both, so the trade-off shows:
the retrieval rule (the top retrieval score is below the threshold) alone, and with the support
rule added (no sentence of the answer has a main claim a passage states), which is what the tab
does. Both are recomputed from the stored answers without running the model again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from playground.lessons.grounding.retrieval import ASSETS

QUESTIONS_FILE = ASSETS / "questions.json"

UNKNOWN_MARKERS = (
    "don't know", "do not know", "not mentioned", "no information", "not contain", "doesn't contain",
    "does not mention", "doesn't mention", "not specified", "not provided", "not say", "cannot answer",
    "can't answer", "not stated", "unknown",
)  # fmt: skip


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    gold: tuple[str, ...]  # empty: the knowledge base does not say
    passage: int | None  # 0-based line of the gold passage in the built-in knowledge base


@dataclass
class EvalRow:
    question: str
    gold: tuple[str, ...]
    closed_answer: str
    grounded_answer: str  # generated whatever the threshold; abstention is applied when scoring
    top_score: float
    gold_retrieved: bool | None  # gold passage among the retrieved ones (None: no gold passage)
    closed_supported: int  # sentences of the closed-book answer the passages support
    closed_sentences: int
    grounded_supported: int
    grounded_sentences: int
    grounded_backed: bool  # some sentence's main claim stands on a passage (the support rule passes)

    def abstains(self, threshold: float, support_rule: bool = True) -> bool:
        return self.top_score < threshold or (support_rule and not self.grounded_backed)


def load_questions() -> list[EvalQuestion]:
    rows = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))["questions"]
    return [EvalQuestion(r["question"], tuple(r["gold"]), r["passage"]) for r in rows]


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return re.sub(r"\s+", " ", text)


def says_unknown(answer: str) -> bool:
    a = normalise(answer)
    return any(m in a for m in UNKNOWN_MARKERS)


def is_correct(answer: str, gold: tuple[str, ...], abstained: bool = False) -> bool:
    if not gold:
        return abstained or says_unknown(answer)
    if abstained:
        return False
    a = normalise(answer)
    return any(re.search(rf"(?<!\w){re.escape(normalise(g))}(?!\w)", a) for g in gold)


@dataclass
class Summary:
    threshold: float
    support_rule: bool  # the support rule was applied as well as the retrieval threshold
    n: int
    closed_accuracy: float
    grounded_accuracy: float
    coverage: float  # share of questions the grounded side answered (did not abstain)
    answerable: int  # questions with a gold answer
    answerable_right: int  # of those, answered with the gold fact
    unanswerable: int
    unanswerable_abstained: int  # of those, abstained or said it did not know
    wrong_answers: int  # grounded answers given that are wrong: what abstention is for
    closed_support: float | None  # share of closed-book sentences the passages support
    grounded_support: float | None  # same, over the grounded answers that were given
    retrieval_recall: float | None  # gold passage retrieved, over questions that have one


def summarise(rows: list[EvalRow], threshold: float, support_rule: bool = True) -> Summary:
    n = len(rows)
    closed = [is_correct(r.closed_answer, r.gold) for r in rows]
    answered = [not r.abstains(threshold, support_rule) for r in rows]
    grounded = [is_correct(r.grounded_answer, r.gold, abstained=not a) for r, a in zip(rows, answered)]
    cs, cn = sum(r.closed_supported for r in rows), sum(r.closed_sentences for r in rows)
    gs = sum(r.grounded_supported for r, a in zip(rows, answered) if a)
    gn = sum(r.grounded_sentences for r, a in zip(rows, answered) if a)
    recall = [r.gold_retrieved for r in rows if r.gold_retrieved is not None]
    return Summary(
        threshold=threshold,
        support_rule=support_rule,
        n=n,
        closed_accuracy=sum(closed) / n if n else 0.0,
        grounded_accuracy=sum(grounded) / n if n else 0.0,
        coverage=sum(answered) / n if n else 0.0,
        answerable=sum(bool(r.gold) for r in rows),
        answerable_right=sum(ok for r, ok in zip(rows, grounded) if r.gold),
        unanswerable=sum(not r.gold for r in rows),
        unanswerable_abstained=sum(ok for r, ok in zip(rows, grounded) if not r.gold),
        wrong_answers=sum(a and not ok for a, ok in zip(answered, grounded)),
        closed_support=cs / cn if cn else None,
        grounded_support=gs / gn if gn else None,
        retrieval_recall=sum(recall) / len(recall) if recall else None,
    )


def tradeoff(rows: list[EvalRow], thresholds: np.ndarray, support_rule: bool = True) -> dict[str, list[float]]:
    """Grounded accuracy and coverage at each threshold (from stored answers, no model calls)."""
    acc, cov = [], []
    for t in thresholds:
        s = summarise(rows, float(t), support_rule)
        acc.append(s.grounded_accuracy)
        cov.append(s.coverage)
    return {"threshold": [float(t) for t in thresholds], "accuracy": acc, "coverage": cov}


def coverage_curve(top_scores: list[float], thresholds: np.ndarray) -> list[float]:
    """Coverage needs only the retrieval scores, so it can be drawn live before any evaluation."""
    s = np.asarray(top_scores)
    return [float((s >= t).mean()) if s.size else 0.0 for t in thresholds]
