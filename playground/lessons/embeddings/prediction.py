"""Predict, then reveal: which of the texts is nearest the query, graded by where the guessed text lands
when every text is ranked by cosine similarity to the query in the full 384-D space (the search's own order).

Closeness is 1 for the nearest text and falls with the rank: ((n − rank) / (n − 1))², so among 64 texts the
2nd nearest scores 0.97, the 10th 0.74, the middle one 0.25 and the farthest 0.
"""

from __future__ import annotations

import unicodedata

from playground.checks import UserInputError, check_int
from playground.lessons.embeddings.results import KEY, MAX_K, Neighbours, neighbours_result, parse_texts
from playground.lessons.embeddings.space import nearest
from playground.models import ModelHub
from playground.models.embedding_cache import embed_texts
from playground.scoring import Verdict

LESSON = "embeddings"
QUESTION = ("**Which of your texts is nearest the query?** Write a query (don't search yet), pick the text you think "
            "the model puts closest in meaning (or type it), then reveal: the search runs, and your pick is graded "
            "by its rank.")
MAX_CHOICES = 500  # the dropdown lists the first texts; any other can be typed


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def match_text(lines: list[str], guess: object) -> int:
    """The index of the guessed text among `lines`: the same text (spacing and case aside), or the one text
    that contains what was typed."""
    if guess is None or not str(guess).strip():
        raise UserInputError("Pick the text you think is nearest the query (or type it), then reveal.")
    want = _norm(str(guess))
    normed = [_norm(line) for line in lines]
    if want in normed:
        return normed.index(want)
    holding = [i for i, line in enumerate(normed) if want in line]
    if len(holding) == 1:
        return holding[0]
    if holding:
        raise UserInputError(f"{len(holding)} texts contain '{str(guess).strip()}'; pick one from the list.")
    raise UserInputError(f"'{str(guess).strip()[:80]}' is not one of the texts; pick one from the list.")


def rank_closeness(rank: int, n: int) -> float:
    if rank <= 1:
        return 1.0
    return ((n - rank) / (n - 1)) ** 2


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def grade_nearest(ranking: list[tuple[int, float]], lines: list[str], guess_index: int) -> Verdict:
    """The guessed text (an index into `lines`) against `ranking`, every text as (index, cosine) best first.
    A text that appears twice counts at its better place; a tie in cosine shares the better rank."""
    n = len(ranking)
    cos = dict(ranking)
    same = [i for i, line in enumerate(lines) if line == lines[guess_index]]
    guess_cos = max(cos[i] for i in same)
    rank = 1 + sum(1 for _, c in ranking if c > guess_cos)
    top_i, top_cos = ranking[0]
    guess, answer = lines[guess_index], lines[top_i]
    if rank == 1:
        runner = next(((i, c) for i, c in ranking if lines[i] != guess), None)
        detail = f"Cosine {guess_cos:.3f} with the query, the highest of {n:,} texts"
        detail += (f"; the runner-up, “{_short(lines[runner[0]])}”, has {runner[1]:.3f} ({guess_cos - runner[1]:.3f} less)."
                   if runner else ".")
        answer = guess
    else:
        detail = (f"Yours is the **{ordinal(rank)} nearest** of {n:,} texts, cosine {guess_cos:.3f}; the nearest has "
                  f"{top_cos:.3f} ({top_cos - guess_cos:.3f} more).")
    return Verdict(LESSON, "nearest text", f"“{_short(guess)}”", f"“{_short(answer)}”", rank_closeness(rank, n), detail)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reveal_nearest(hub: ModelHub, texts: str, query: str, k: int, guess: object) -> tuple[Neighbours, Verdict]:
    """The search the tab shows (the k nearest) and the guess graded against every text's rank. The guess and the
    inputs are checked before anything is embedded."""
    lines = parse_texts(texts)
    index = match_text(lines, guess)
    check_int(k, low=1, high=MAX_K, what="k")
    found = neighbours_result(hub, texts, query, k)
    vecs = embed_texts(hub, lines, KEY)  # cached by the search just now
    return found, grade_nearest(nearest(vecs, found.query_vec, len(lines)), lines, index)


def dropdown_choices(texts: object) -> list[tuple[str, str]]:
    """The dropdown's (label, value) choices: the texts, one per non-blank line, the first MAX_CHOICES of them,
    no repeats, long ones shortened in the label."""
    seen, out = set(), []
    for line in str(texts or "").splitlines():
        line = line.strip()
        if line and line not in seen:
            seen.add(line)
            out.append((_short(line, 100), line))
            if len(out) == MAX_CHOICES:
                break
    return out
