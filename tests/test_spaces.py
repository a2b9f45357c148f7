"""ZeroGPU: on a Space, handlers run inside spaces.GPU; elsewhere nothing is wrapped."""

import sys
import types

from playground.models.gpu import gpu_task


def test_no_op_off_spaces(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)

    def f():
        return 1

    assert gpu_task(f) is f


def test_wrapped_with_spaces_gpu_on_a_space(monkeypatch):
    seen = []
    fake = types.ModuleType("spaces")
    fake.GPU = lambda fn: seen.append(fn) or fn
    monkeypatch.setitem(sys.modules, "spaces", fake)
    monkeypatch.setenv("SPACE_ID", "someone/llm-playground")
    from playground.ui.errors import friendly, on_gpu

    @on_gpu
    @friendly
    def next_token():
        return 42

    @friendly
    def redraw():  # light work does not ask for a GPU
        return 1

    assert next_token() == 42 and redraw() == 1 and len(seen) == 1
