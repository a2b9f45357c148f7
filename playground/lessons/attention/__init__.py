"""Attention lesson: heatmaps per layer and head, on a decoder and an encoder."""

from playground.lessons.attention.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
