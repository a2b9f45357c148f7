"""Grounding lesson: watch a model hallucinate, then ground it with retrieval and check its claims."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "Grounding"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "watch a model hallucinate, then ground it with retrieval and check its claims.")
