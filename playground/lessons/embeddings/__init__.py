"""Embeddings lesson: an embedding map you can search, colour and trust."""

from playground.lessons.embeddings.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("similarity", "embed_map", "neighbours")

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
