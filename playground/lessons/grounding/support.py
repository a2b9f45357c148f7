"""The support checker: does a retrieved passage state what an answer sentence claims?

It reads the answer itself and ignores the model's citations, because a 135M model cites badly.
For each sentence and each retrieved passage it computes

- cosine: MiniLM cosine similarity of the sentence and the passage (meaning, loosely);
- lexical: the share of the sentence's *new* content words (words and numbers that are not
  stopwords and not already in the question) that the passage contains. Restating the
  question proves nothing; the new words are the claim. A sentence that only restates the
  question is judged on all its content words.

score = (cosine + lexical) / 2, and the sentence's passage is the one with the highest score.
A sentence is supported when score >= SUPPORT_THRESHOLD and every number in it appears in that
passage (a wrong number is the commonest invented detail, and a cosine barely notices it).

The threshold is measured, not guessed: `calibrate()` scores the labelled sentences in
assets/grounding/support_calibration.json (13 true statements, 15 false claims: wrong numbers,
swapped names, an invented description, and three real answers SmolLM2 gave in the evaluation)
and picks the threshold with the best balanced accuracy, at the midpoint of the gap. Measured
on that set: supported sentences score 0.53 to 0.96; unsupported ones whose numbers match score
0.16 to 0.49, except the model's "The flag of Quillmere is designed by the Quillish people."
(0.56: "Quillish" is in a passage, so half its new words match) which the checker wrongly
accepts; two with a wrong number score 0.57 and 0.75 and are caught by the numbers rule.
The threshold is 0.51: 27 of 28 right (balanced accuracy 0.97). The margin is narrow, and a
claim built from words the passages do use can pass: this is a checker for a lesson, not a
fact-checker. tests/test_grounding.py re-measures it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.lessons.grounding.retrieval import ASSETS, embed, embed_query, words

SUPPORT_THRESHOLD = 0.51
CALIBRATION_FILE: Path = ASSETS / "support_calibration.json"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_LEADING_CITATIONS = re.compile(r"^((?:\[\d{1,2}\]\s*[.,;]?\s*)+)(.*)$", re.S)
_CITATION = re.compile(r"\s*\[\d{1,2}\]")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


@dataclass
class SentenceSupport:
    text: str  # as the model wrote it, citations included
    supported: bool
    score: float
    passage: int  # index into the passages it was checked against; -1 when there were none
    cosine: float
    lexical: float
    missing: list[str]  # the sentence's claim words the best passage lacks
    numbers_ok: bool


def split_sentences(text: str) -> list[str]:
    """Sentences; a citation written after the full stop ("... capital. [1] It ...") belongs to
    the sentence before it."""
    parts = [p.strip() for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    out: list[str] = []
    for p in parts:
        m = _LEADING_CITATIONS.match(p)
        if out and m:
            out[-1] = f"{out[-1]} {m.group(1).strip()}"
            p = m.group(2).strip()
        if p:
            out.append(p)
    return out


def claim_words(sentence: str, question: str = "") -> list[str]:
    """The sentence's content words that the question does not already contain."""
    own = list(dict.fromkeys(words(_CITATION.sub("", sentence))))
    asked = set(words(question))
    new = [w for w in own if w not in asked]
    return new or own


def check_support(
    st_model, sentences: list[str], passages: list[str], question: str = "", threshold: float = SUPPORT_THRESHOLD
) -> list[SentenceSupport]:
    if not sentences:
        return []
    if not passages:
        return [SentenceSupport(s, False, 0.0, -1, 0.0, 0.0, claim_words(s, question), False) for s in sentences]
    pvecs = embed(st_model, passages)
    pwords = [set(words(p)) for p in passages]
    out = []
    for s in sentences:
        clean = _CITATION.sub("", s).strip()
        cos = pvecs @ embed_query(st_model, clean) if clean else np.zeros(len(passages))
        claims = claim_words(s, question)
        lex = np.array([sum(w in pw for w in claims) / len(claims) if claims else 0.0 for pw in pwords])
        score = (cos + lex) / 2
        best = int(np.argmax(score))
        numbers = [w for w in claims if _NUMBER.match(w)]
        numbers_ok = all(n in pwords[best] for n in numbers)
        out.append(
            SentenceSupport(
                text=s,
                supported=bool(score[best] >= threshold and numbers_ok),
                score=float(score[best]),
                passage=best,
                cosine=float(cos[best]),
                lexical=float(lex[best]),
                missing=[w for w in claims if w not in pwords[best]],
                numbers_ok=numbers_ok,
            )
        )
    return out


def load_calibration() -> list[dict]:
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["items"]


def calibration_scores(st_model, kb: list[str], retrieve_fn) -> list[tuple[float, bool, bool]]:
    """(score, numbers_ok, labelled supported) for every calibration sentence.
    retrieve_fn(question) -> the passages to check against."""
    rows = []
    for item in load_calibration():
        [c] = check_support(st_model, [item["sentence"]], retrieve_fn(item["question"]), item["question"], threshold=2.0)
        rows.append((c.score, c.numbers_ok, bool(item["supported"])))
    return rows


def calibrate(rows: list[tuple[float, bool, bool]]) -> tuple[float, float]:
    """(threshold, balanced accuracy): the midpoint between adjacent scores that best separates
    supported from unsupported (numbers must match either way); ties go to the widest gap."""
    scores = sorted({r[0] for r in rows})
    candidates = [(a + b) / 2 for a, b in zip(scores, scores[1:])] or scores
    best = (-1.0, 0.0, 0.0)
    for i, t in enumerate(candidates):
        gap = scores[i + 1] - scores[i] if i + 1 < len(scores) else 0.0
        acc = balanced_accuracy(rows, t)
        if (acc, gap) > best[:2]:
            best = (acc, gap, t)
    return best[2], best[0]


def balanced_accuracy(rows: list[tuple[float, bool, bool]], threshold: float) -> float:
    pos = [s >= threshold and ok for s, ok, y in rows if y]
    neg = [not (s >= threshold and ok) for s, ok, y in rows if not y]
    return (sum(pos) / max(1, len(pos)) + sum(neg) / max(1, len(neg))) / 2
