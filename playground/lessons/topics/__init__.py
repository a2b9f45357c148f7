"""Topics lesson: BERTopic, stage by stage, on built-in or uploaded corpora."""

from playground.lessons.topics.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("topics",)

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
