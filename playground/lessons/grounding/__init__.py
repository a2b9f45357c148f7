"""Grounding lesson: watch a model hallucinate, then ground it with retrieval and check its claims."""

from playground.lessons.grounding.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
