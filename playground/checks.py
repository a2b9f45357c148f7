"""Checks on a learner's input, with no UI dependency: pure maths modules raise `UserInputError`,
and the UI layer (`playground.ui.errors`) turns it into a message on the page.
"""

from __future__ import annotations

import unicodedata


class UserInputError(ValueError):
    """Bad input; the message is shown to the learner as it is."""


_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def check_text(text: object, *, max_chars: int, what: str = "text") -> tuple[str, str | None]:
    """Validate free text from a learner. Returns (text, notice); notice says what was cut.

    Empty text, lone surrogates and control characters get a clear UserInputError.
    """
    if text is None or not isinstance(text, str):
        raise UserInputError(f"Please enter some {what}.")
    if not text.strip():
        raise UserInputError(f"The {what} is empty. Type something, or click one of the examples.")
    for i, ch in enumerate(text):
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise UserInputError(
                f"The {what} contains an invalid character at position {i} (a lone surrogate, "
                f"U+{ord(ch):04X}, half of a broken emoji or symbol). Remove it and try again."
            )
        if cat == "Cc" and ch not in _ALLOWED_CONTROLS:
            raise UserInputError(
                f"The {what} contains an invisible control character (U+{ord(ch):04X}) at position {i}. "
                "Remove it and try again."
            )
    notice = None
    if len(text) > max_chars:
        notice = f"The {what} was {len(text):,} characters long; only the first {max_chars:,} were used."
        text = text[:max_chars]
    return text, notice


def check_int(value: object, *, low: int, high: int, what: str) -> int:
    """An integer in [low, high], or a UserInputError that names the range."""
    try:
        as_float = float(value)  # gradio sliders send floats
    except (TypeError, ValueError):
        raise UserInputError(f"{what} must be a whole number between {low} and {high}.") from None
    if as_float != as_float or as_float in (float("inf"), float("-inf")) or int(as_float) != as_float:
        raise UserInputError(f"{what} must be a whole number between {low} and {high}.")
    n = int(as_float)
    if not low <= n <= high:
        raise UserInputError(f"{what} must be between {low} and {high} (got {n}).")
    return n


def check_float(value: object, *, low: float, high: float, what: str, low_open: bool = False) -> float:
    """A finite float in [low, high] (or (low, high] with low_open), else a UserInputError."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UserInputError(f"{what} must be a number.") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise UserInputError(f"{what} must be a finite number (got {x}).")
    bad = x < low or x > high or (low_open and x == low)
    if bad:
        lo = "(" if low_open else "["
        raise UserInputError(f"{what} must be in {lo}{low}, {high}] (got {x}).")
    return x
