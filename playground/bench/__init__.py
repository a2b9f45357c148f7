"""`python -m playground bench`: each module in this package measures one part of the app.

A module defines `measure(hub) -> list[Measurement]`. Every figure is a ratio against the bare
library call measured in the same run, with absolute times beside it: these machines are noisy,
so ratios travel better than seconds. Benchmarks never run inside the test suite's assertions.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable

# The hub's measurement comes first (the issue asks for it), then the lessons in tab order.
ORDER = ("hub", "tokens", "sampling", "attention", "embeddings", "topics", "clip", "grounding", "finetune",
         "preference", "context", "inside", "representation", "data")


@dataclass
class Measurement:
    group: str  # "hub", "tokens", ...
    name: str  # what was measured
    ours_s: float  # seconds, our code path
    reference_s: float  # seconds, the bare library call it is compared with
    reference: str  # what the reference is
    target: str = ""  # the target the issue sets, in words
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours_s / self.reference_s if self.reference_s > 0 else float("inf")

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def timed(fn: Callable[[], object], repeat: int = 3, warmup: int = 0) -> float:
    """Median wall time of `fn` over `repeat` runs, after `warmup` unmeasured runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def modules() -> list[str]:
    found = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    return [name for name in ORDER if name in found] + sorted(found - set(ORDER))


def run(hub, only: list[str] | None = None, progress: Callable[[str], None] = print) -> list[Measurement]:
    results: list[Measurement] = []
    for name in modules():
        if only and name not in only:
            continue
        progress(f"measuring {name} ...")
        module = importlib.import_module(f"{__name__}.{name}")
        try:
            results.extend(module.measure(hub))
        except Exception as exc:  # one failing benchmark must not hide the others
            progress(f"  {name} failed: {type(exc).__name__}: {exc}")
    return results


def table(results: list[Measurement]) -> str:
    head = f"{'group':<11} {'measurement':<46} {'ours':>9} {'reference':>9} {'ratio':>6}  reference / target"
    lines = [head, "-" * len(head)]
    for m in results:
        lines.append(
            f"{m.group:<11} {m.name[:46]:<46} {_fmt(m.ours_s):>9} {_fmt(m.reference_s):>9} {m.ratio:>6.2f}  "
            f"{m.reference}{' | target: ' + m.target if m.target else ''}{' | ' + m.note if m.note else ''}"
        )
    return "\n".join(lines)


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"
