"""Grounding lesson: watch a model hallucinate, then ground it with retrieval and check its claims."""

from playground.lessons.grounding.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("ground",)

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
