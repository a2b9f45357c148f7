"""Topics lesson: BERTopic, stage by stage, on built-in or uploaded corpora."""

from playground.lessons.topics.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
