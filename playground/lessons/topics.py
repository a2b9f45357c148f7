"""Topics lesson: BERTopic, stage by stage, on built-in or uploaded corpora."""

from __future__ import annotations

from playground.models import ModelHub
from playground.ui.lesson import coming_soon

TITLE = "Topics"


def build_tab(hub: ModelHub) -> None:
    coming_soon(TITLE, "BERTopic, stage by stage, on built-in or uploaded corpora.")
