"""Attention lesson: heatmaps per layer and head, on a decoder and an encoder."""

from playground.lessons.attention.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("attention",)

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
