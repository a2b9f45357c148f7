"""Sampling lesson: temperature, top-k, top-p and min-p on a real next-token distribution."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "Sampling"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "temperature, top-k, top-p and min-p on a real next-token distribution.")
