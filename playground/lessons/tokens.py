"""Tokens lesson: how text becomes token ids, across tokenizer families."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "Tokens"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "how text becomes token ids, across tokenizer families.")
