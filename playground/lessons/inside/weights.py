"""One weight matrix, up close: a slice of its numbers and the histogram of all of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from playground.checks import UserInputError

LAYER_SLOT = "{layer}"


def matrix_templates(module) -> list[str]:
    """The 2-D weights' names with the layer number replaced by {layer}, in tree order, each once
    (so a picker can offer "model.layers.{layer}.self_attn.q_proj.weight" and a layer slider)."""
    out: list[str] = []
    for name, p in module.named_parameters():
        if p.dim() != 2:
            continue
        template = re.sub(r"((?:^|\.)(?:layers|layer|h|blocks)\.)\d+\.", r"\g<1>" + LAYER_SLOT + ".", name, count=1)
        if template not in out:
            out.append(template)
    return out


@dataclass
class MatrixView:
    name: str
    shape: tuple[int, int]
    slice_rows: tuple[int, int]
    slice_cols: tuple[int, int]
    values: np.ndarray  # the slice, float32
    counts: np.ndarray  # histogram of every value in the matrix
    edges: np.ndarray
    mean: float
    std: float
    low: float
    high: float
    near_zero: float  # share of values within 1% of the largest magnitude


def matrix_view(module, template: str, layer: int, row: int = 0, col: int = 0, size: int = 48,
                bins: int = 80) -> MatrixView:
    """The weight named by `template` at `layer`: a size×size slice from (row, col) and the
    histogram of all its values."""
    name = template.replace(LAYER_SLOT, str(int(layer)))
    params = dict(module.named_parameters())
    if name not in params:
        raise UserInputError(f"This model has no weight called {name}.")
    w = params[name].detach().float().cpu()
    if w.dim() != 2:
        raise UserInputError(f"{name} is not a matrix.")
    n, k = w.shape
    r0, c0 = min(max(int(row), 0), max(n - 1, 0)), min(max(int(col), 0), max(k - 1, 0))
    r1, c1 = min(r0 + size, n), min(c0 + size, k)
    flat = w.flatten().numpy()
    counts, edges = np.histogram(flat, bins=bins)
    top = float(np.abs(flat).max()) or 1.0
    return MatrixView(name, (n, k), (r0, r1), (c0, c1), w[r0:r1, c0:c1].numpy(), counts, edges,
                      float(flat.mean()), float(flat.std()), float(flat.min()), float(flat.max()),
                      float((np.abs(flat) < 0.01 * top).mean()))
