"""Predict, then reveal: is a sentence supported? The learner says whether the support checker
(support.py) will find one passage of the knowledge base that states the sentence; the reveal runs
the checker on every passage of the current base, each on its own, and grades the guess (1 or 0),
with the support score, how far it is from the line, the passage it came closest to, and the rule
that decided."""

from __future__ import annotations

from collections.abc import Sequence

from playground.checks import UserInputError, check_text
from playground.lessons.grounding import support as sup
from playground.scoring import Verdict

SUPPORTED, NOT_SUPPORTED = "Supported", "Not supported"
CHOICES = (SUPPORTED, NOT_SUPPORTED)
MAX_SENTENCE_CHARS = 400
DEFAULT_SENTENCE = "Mount Corvel rises to 1,214 metres above sea level."  # a passage's words, with a wrong number


def check_sentence(sentence: object) -> str:
    text, _ = check_text(sentence, max_chars=10**6, what="sentence")
    text = " ".join(text.split())
    if len(text) > MAX_SENTENCE_CHARS:
        raise UserInputError(f"The sentence is {len(text):,} characters long; keep it under {MAX_SENTENCE_CHARS}: "
                             "one claim, one sentence.")
    return text


def reasons(s: sup.SentenceSupport) -> str:
    """Why the checker decided so, in its own rules' words."""
    if s.passage < 0:
        return "The knowledge base has no passages."
    if not s.claims:
        return "The sentence claims nothing a passage could state."
    why = s.failed_rules()
    if s.score < sup.SUPPORT_THRESHOLD:
        why.append(f"too few of its words are in that passage ({s.score:.2f} < {sup.SUPPORT_THRESHOLD:.2f})")
    return ("Not supported: " + "; ".join(why) + "." if why else
            f"Supported: every number and name is there, and {s.score:.2f} ≥ {sup.SUPPORT_THRESHOLD:.2f} of its "
            "weighted words.")


def check_one(sentence: str, passages: Sequence[str]) -> sup.SentenceSupport:
    """The tab's checker on one sentence against every passage of the base (word rarity from the whole base)."""
    return sup.check_support([sentence], passages, "", sup.corpus_for(passages))[0]


def grade_support(guess: object, sentence: object, passages: Sequence[str]) -> Verdict:
    """Grade a supported / not-supported guess for a sentence against the checker on the knowledge base."""
    if guess not in CHOICES:
        raise UserInputError(f"Make your guess first: {SUPPORTED} or {NOT_SUPPORTED}.")
    text = check_sentence(sentence)
    if not passages:
        raise UserInputError("The knowledge base is empty: add passages (one per line) first.")
    s = check_one(text, passages)
    answer = SUPPORTED if s.supported else NOT_SUPPORTED
    margin = s.score - sup.SUPPORT_THRESHOLD
    detail = (f"Support score {s.score:.2f}, {abs(margin):.2f} {'above' if margin >= 0 else 'below'} the line of "
              f"{sup.SUPPORT_THRESHOLD:.2f}. {reasons(s)}")
    if s.passage >= 0:
        shown = passages[s.passage]
        shown = shown if len(shown) <= 300 else shown[:299] + "…"
        detail += f" {'Its' if s.supported else 'The closest'} passage (number {s.passage + 1} of {len(passages)}): “{shown}”"
        if s.missing:
            detail += f" Missing from it: {', '.join(s.missing)}."
    return Verdict(
        lesson="grounding",
        question=f"Does one passage of the knowledge base support “{text}”?",
        guess=str(guess),
        answer=answer,
        closeness=1.0 if guess == answer else 0.0,
        detail=detail,
    )
