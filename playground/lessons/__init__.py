"""The lesson registry: the lesson packages, in tab order.

Each lesson is a package `playground/lessons/<name>/` whose `__init__` exports `TITLE` (the tab's
title), `build_tab(hub)` (lays the tab out, inside the app's `gr.Tab`) and `ENDPOINTS` (the
api_names a client may call; every other event of the tab is private). To add a lesson, write
its package (docs/ARCHITECTURE.md has the recipe) and add its name here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

LESSON_ORDER = ("tokens", "sampling", "context", "attention", "inside", "embeddings", "topics", "clip", "grounding",
                "curation", "finetune", "preference", "representation")


def lessons() -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"playground.lessons.{name}") for name in LESSON_ORDER}


def public_endpoints() -> tuple[str, ...]:
    """Every lesson's ENDPOINTS, in tab order: the whole public API besides the Models tab's."""
    return tuple(name for module in lessons().values() for name in module.ENDPOINTS)
