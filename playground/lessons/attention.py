"""Attention lesson: heatmaps per layer and head, on a decoder and an encoder."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "Attention"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "heatmaps per layer and head, on a decoder and an encoder.")
