"""CLIP lesson: zero-shot image classification and image-text similarity."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "CLIP"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "zero-shot image classification and image-text similarity.")
