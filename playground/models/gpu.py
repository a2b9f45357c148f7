"""ZeroGPU support: on a Hugging Face Space, GPU work runs inside `spaces.GPU`.

Elsewhere `gpu_task` is a no-op decorator. We only reach for `spaces` when running on a Space
(SPACE_ID is set): importing it elsewhere patches torch for an environment that is not there.
"""

from __future__ import annotations

import os
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def gpu_task(fn: F) -> F:
    if not os.environ.get("SPACE_ID"):
        return fn
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(fn)
