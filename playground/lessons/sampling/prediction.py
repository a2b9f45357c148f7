"""Predict, then reveal: the learner guesses the next token before the chart shows it.

The guess is a word as a learner types it ("cats" or " cats"); it is matched to one token of the
vocabulary the way the learner means it (below), and graded by where that token stands in the
model's own next-token distribution (the raw softmax the chart's bars show): its rank and its
probability next to the top token's. The decoding settings do not change the answer (the model's
favourite), only whether the guessed token could still be drawn, which the detail says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from playground.checks import UserInputError, check_text
from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import warpers as W
from playground.lm.engines import EXACT
from playground.lm.text import token_text
from playground.models.loaders import LoadedModel
from playground.scoring import Verdict

LESSON = "sampling"
QUESTION = ("**Which token will the model rate most likely next?** Type a word (or a piece of one) before you "
            "look at the chart, then reveal: the bars come up, and your guess is graded by its rank and "
            "probability in the model's own distribution.")
MAX_GUESS_CHARS = 100
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "«": "»"}
NOT_TOP = 0.99  # a guess that is not the top token never counts as spot on, however close its probability


@dataclass(frozen=True)
class MatchedToken:
    """The learner's guess as the one token the model would have to write first."""

    id: int
    text: str  # the token decoded alone
    typed: str  # the guess as read (quotes taken off)
    pieces: list[str]  # every token of the reading that was matched (more than one: a word the model splits)
    spaced: bool  # matched with a leading space the learner did not type


def check_guess(guess: object) -> str:
    """The guess as typed, without surrounding quotes or trailing spaces; a clear error when there is none."""
    if guess is None or (isinstance(guess, str) and not guess.strip()):
        raise UserInputError("Type your guess for the next token first (a word such as 'the'), then reveal.")
    if isinstance(guess, str) and len(guess) > MAX_GUESS_CHARS:
        raise UserInputError(f"Guess one token: a word or a piece of one (up to {MAX_GUESS_CHARS} characters).")
    text, _ = check_text(guess, max_chars=MAX_GUESS_CHARS, what="guess")
    text = text.rstrip()
    inner = text.lstrip()
    if len(inner) > 2 and QUOTES.get(inner[0]) == inner[-1]:  # "cats" typed in quotes means cats
        text = text[: len(text) - len(inner)] + inner[1:-1]
    if not text.strip():
        raise UserInputError("Type your guess for the next token first (a word such as 'the'), then reveal.")
    return text


def match_guess(tokenizer: Any, guess: str, probs: torch.Tensor, before: str = "") -> MatchedToken:
    """The token the learner means, after the text `before`. A guess typed with a leading space is taken as
    typed. Otherwise a word after text that ends in a letter or a mark starts a new word, so it is read with
    its leading space ("I like" + "cats" = " cats"), and a guess after a space or a newline, or one that starts
    with punctuation, is read as typed. The other reading wins only when it is a single token the model rates
    higher ("cat" + "s"); a space the learner did not type is never added against the rule. A word the model splits is graded by its first token, the one it would write next."""
    if guess[:1].isspace():
        readings = [guess]
    else:
        spaced = bool(before) and not before[-1:].isspace() and guess[:1].isalnum()
        readings = [" " + guess, guess] if spaced else [guess, " " + guess]
    matched = []
    for reading in readings:
        ids = tokenizer.encode(reading, add_special_tokens=False)
        if ids:
            matched.append(MatchedToken(ids[0], token_text(tokenizer, ids[0]), guess,
                                        [token_text(tokenizer, i) for i in ids], reading is not guess))
    if not matched:
        raise UserInputError(f"'{guess}' encodes to no token at all. Type a word.")
    best = matched[0]
    for other in matched[1:]:
        if not other.spaced and len(other.pieces) == 1 and float(probs[other.id]) > float(probs[best.id]):
            best = other
    return best


def shown(token: str) -> str:
    """A token as the lesson writes it: ␣ for a space, ↵ for a newline, Markdown's marks escaped."""
    out = token.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")
    for mark in "\\`*_[]<>#|~":
        out = out.replace(mark, "\\" + mark)
    return out or "∅"


def percent(p: float) -> str:
    return f"{p:.1%}" if p >= 0.001 else ("under 0.1%" if p >= 0.0001 else "under 0.01%")


def ratio(r: float) -> str:
    return f"{r:.2f}×" if r >= 0.01 else "under 0.01×"


def grade_next_token(tokenizer: Any, logits: torch.Tensor, seen: list[int], guess: object,
                     s: W.DecodingSettings = W.DecodingSettings()) -> Verdict:
    """The guess graded against the (vocab,) next-token `logits` after `seen`: spot on (1) when its token is the
    model's top token, else its probability as a share of the top token's (below 1)."""
    text = check_guess(guess)
    p_raw, p = D.reshape(logits, seen, s)
    before = tokenizer.decode(list(seen)[-1:]) if len(seen) else ""
    m = match_guess(tokenizer, text, p_raw, before)
    top = int(torch.argmax(logits))
    rank = int((logits > logits[m.id]).sum()) + 1
    p_guess, p_top = float(p_raw[m.id]), float(p_raw[top])
    closeness = 1.0 if rank == 1 else min(NOT_TOP, p_guess / p_top)  # p_top > 0: a softmax
    vocab = logits.shape[-1]
    parts = []
    if rank == 1:
        parts.append(f"It is the model's first choice: probability {p_top:.1%}.")
    else:
        parts.append(f"The model's top token **{shown(token_text(tokenizer, top))}** has probability {p_top:.1%}; "
                     f"yours is **rank {rank:,}** of {vocab:,} with {percent(p_guess)} "
                     f"({ratio(p_guess / p_top)} the top token's).")
    if len(m.pieces) > 1:
        parts.append(f"'{m.typed.strip()}' is {len(m.pieces)} tokens here ({' + '.join(shown(t) for t in m.pieces)}); "
                     f"the model writes one token at a time, so its first, {shown(m.text)}, was graded.")
    elif m.spaced:
        parts.append(f"Read as {shown(m.text)}: a new word carries its leading space in its token.")
    if s != W.DecodingSettings():
        after = float(p[m.id])
        parts.append(f"With your settings ({s.describe()}) it is drawn with probability {percent(after)}." if after > 0 else
                     f"Your settings ({s.describe()}) remove it: it cannot be drawn.")
    return Verdict(LESSON, "next token", shown(m.text), shown(token_text(tokenizer, top)), closeness, " ".join(parts))


def next_token_verdict(lm: LoadedModel, ids: list[int], guess: object, s: W.DecodingSettings = W.DecodingSettings(),
                       weights: str = EXACT) -> Verdict:
    """The guess graded against the model's distribution after `ids` (the logits the chart shows, kept cached)."""
    check_guess(guess)  # before any model work
    return grade_next_token(lm.tokenizer, D.next_logits(lm, ids, weights), ids, guess, s)
