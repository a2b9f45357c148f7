"""The lesson registry: an ordered mapping from tab id to lesson module.

Each lesson module has `TITLE` and `build_tab(hub)`; the app adds one tab per entry, in order.
To add a lesson, write its module and add its name here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

LESSON_ORDER = ("tokens", "sampling", "attention", "embeddings", "topics", "clip", "grounding")


def lessons() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"playground.lessons.{name}") for name in LESSON_ORDER}
