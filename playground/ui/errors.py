"""Turn anything that goes wrong in an event handler into a sentence a learner understands.

Wrap every event handler with `@friendly`. A `UserInputError` or a missing model becomes a
`gr.Error` with its own message; an unexpected exception is logged with its traceback on the
server and the page gets a short message without one. The server keeps serving either way.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Callable

import gradio as gr

from playground.models.gpu import gpu_task
from playground.checks import UserInputError
from playground.models.hub import ModelUnavailable, UnknownModel

log = logging.getLogger(__name__)


def _is_cuda_oom(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(exc)


def translate(exc: BaseException, where: str) -> gr.Error:
    """The message for the page. The terminal a teacher watches gets one line for an ordinary
    input error and a traceback only for a real fault (logged here once, so Gradio prints none)."""
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, (UserInputError, ModelUnavailable, UnknownModel)):
        log.info("%s: %s", where, exc)
        return gr.Error(str(exc), print_exception=False)
    if _is_cuda_oom(exc):
        _free_cuda()
        log.error("CUDA out of memory in %s", where)
        return gr.Error("The GPU ran out of memory for this request. Try shorter input; the memory was freed.",
                        print_exception=False)
    log.exception("unexpected error in %s", where)
    return gr.Error(f"Something went wrong in {where} ({type(exc).__name__}). The server logged the details and is still running.",
                    print_exception=False)


def _free_cuda() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:
        pass


def friendly(fn: Callable) -> Callable:
    """Decorator for Gradio event handlers (plain functions and generators): errors become a
    message on the page. Handlers that run a model are also decorated with `on_gpu`."""
    where = fn.__name__.replace("_", " ")
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                raise translate(exc, where) from None

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, where) from None

    return wrapper


def on_gpu(fn: Callable) -> Callable:
    """For handlers that run a model: on a ZeroGPU Space the call runs inside `spaces.GPU`, so it
    holds a GPU for its duration; elsewhere this changes nothing. Wrap a handler whose arguments
    are the UI's values only; bind the hub first with `gpu_bound`."""
    return gpu_task(fn)


def gpu_bound(handler: Callable, *bound: object) -> Callable:
    """`handler` with its first arguments (the hub, a cache) bound, then run on a GPU where there is one.

    Bound before `on_gpu`, not after: ZeroGPU pickles each call's arguments into its GPU worker,
    and the hub (locks, loaded models) cannot be pickled; the worker is a fork of this process,
    so it inherits what the partial holds."""
    return on_gpu(functools.partial(handler, *bound))
