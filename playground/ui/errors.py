"""Turn anything that goes wrong in an event handler into a sentence a learner understands.

Wrap every event handler with `@friendly`. A `UserInputError` or a missing model becomes a
`gr.Error` with its own message; an unexpected exception is logged with its traceback on the
server and the page gets a short message without one. The server keeps serving either way.
"""

from __future__ import annotations

import functools
import inspect
import logging
import unicodedata
from typing import Callable

import gradio as gr

from playground.models.gpu import gpu_task
from playground.models.hub import ModelUnavailable

log = logging.getLogger(__name__)


class UserInputError(ValueError):
    """Bad input; the message is shown to the learner as it is."""


def _is_cuda_oom(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc)


def translate(exc: BaseException, where: str) -> gr.Error:
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, (UserInputError, ModelUnavailable)):
        return gr.Error(str(exc))
    if isinstance(exc, KeyError) and str(exc).startswith("\"Unknown model"):
        return gr.Error(str(exc.args[0]))
    if _is_cuda_oom(exc):
        _free_cuda()
        log.error("CUDA out of memory in %s", where)
        return gr.Error("The GPU ran out of memory for this request. Try shorter input; the memory was freed.")
    log.exception("unexpected error in %s", where)
    return gr.Error(f"Something went wrong in {where} ({type(exc).__name__}). The server logged the details and is still running.")


def _free_cuda() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:
        pass


def friendly(fn: Callable) -> Callable:
    """Decorator for Gradio event handlers (plain functions and generators).

    On a ZeroGPU Space the handler also runs inside `spaces.GPU` (elsewhere that is a no-op),
    so every event that may touch a model gets a GPU for its duration.
    """
    where = fn.__name__.replace("_", " ")
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                raise translate(exc, where) from None

        return gpu_task(gen_wrapper)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, where) from None

    return gpu_task(wrapper)


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
