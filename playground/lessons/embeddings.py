"""Embeddings lesson: an embedding map you can search, colour and trust."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "Embeddings"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "an embedding map you can search, colour and trust.")
