"""Predict, then reveal: how many tokens the text costs in the chosen tokenizer, and which tokenizer the
comparison table puts first (fewest tokens), graded against the tab's own results.

A count is graded by how far off it is as a share of the real count (1 − |guess − count| / count, at least
0); the choice is right or wrong, and the detail names the runner-up and the margin.
"""

from __future__ import annotations

from playground.checks import UserInputError, check_int
from playground.lessons.tokens.analysis import Comparison, TokensResult
from playground.scoring import Verdict, count_closeness

LESSON = "tokens"
QUESTION = ("**How many tokens will this text cost in the chosen tokenizer, and which tokenizer needs the fewest?** "
            "Tick *Hide the counts* before you type or pick a text, make your guesses (one or both), then reveal.")
MAX_GUESS = 1_000_000


def check_count(guess: object) -> int | None:
    """The guessed count, None when the box is empty."""
    if guess is None or (isinstance(guess, str) and not guess.strip()):
        return None
    if isinstance(guess, str):
        guess = guess.strip().replace(",", "").replace("_", "")  # "1,200" is a number as a learner writes it
    return check_int(guess, low=0, high=MAX_GUESS, what="Your guess of the token count")


def check_guesses(count: object, tokenizer: object) -> tuple[int | None, str | None]:
    """(count, tokenizer key); at least one must be given."""
    n = check_count(count)
    key = tokenizer if isinstance(tokenizer, str) and tokenizer.strip() else None
    if n is None and key is None:
        raise UserInputError("Guess the number of tokens, or pick the tokenizer you think needs the fewest (or both), "
                             "then reveal.")
    return n, key


def grade_count(guess: int, result: TokensResult) -> Verdict:
    """The guessed count against the chosen tokenizer's own ids for the text."""
    actual = result.tokenized.n_tokens
    off = guess - actual
    if off == 0:
        how = "Exactly right."
    else:
        how = f"{abs(off):,} token{'s' if abs(off) != 1 else ''} too {'many' if off > 0 else 'few'}"
        how += f" ({abs(off) / actual:.0%} of the real count)." if actual else "."
    n_chars = len(result.tokenized.text)
    detail = (f"{how} `{result.tokenized.tokenizer}` cuts these {n_chars:,} characters into {actual:,} tokens"
              + (f", {n_chars / actual:.2f} characters per token." if actual else "."))
    return Verdict(LESSON, "token count", f"{guess:,}", f"{actual:,} tokens", count_closeness(guess, actual), detail)


def grade_fewest(guess: str, comparison: Comparison) -> Verdict:
    """The tokenizer picked as needing the fewest tokens against the comparison's ranking. A tie for first
    counts for every tokenizer in it."""
    ranked = comparison.ranked
    if not ranked:
        raise UserInputError("No tokenizer is available to compare on this machine.")
    counts = {row.key: row.n_tokens for row in ranked}
    if guess not in counts:
        missing = dict(comparison.missing)
        if guess in missing:
            raise UserInputError(f"'{guess}' is not available here ({missing[guess]}); pick another tokenizer.")
        raise UserInputError(f"Unknown tokenizer '{guess}'. Choose one of: {', '.join(counts)}.")
    fewest = ranked[0].n_tokens
    winners = [row.key for row in ranked if row.n_tokens == fewest]
    others = [row for row in ranked if row.n_tokens > fewest]
    answer = " = ".join(winners)
    if guess in winners:
        detail = f"It needs {fewest:,} tokens"
        if len(winners) > 1:
            detail += f", tied with {', '.join(w for w in winners if w != guess)}"
        if others:
            runner = others[0]
            detail += (f"; the runner-up, {runner.key}, needs {runner.n_tokens:,} "
                       f"({runner.n_tokens - fewest:,} more).")
        else:
            detail += "; every tokenizer needs the same."
        return Verdict(LESSON, "fewest tokens", guess, answer, 1.0, detail)
    place = 1 + sum(1 for row in ranked if row.n_tokens < counts[guess])
    detail = (f"{answer} needs {fewest:,} tokens; your pick needs {counts[guess]:,} "
              f"({counts[guess] - fewest:,} more), place {place} of {len(ranked)}.")
    return Verdict(LESSON, "fewest tokens", guess, answer, 0.0, detail)
