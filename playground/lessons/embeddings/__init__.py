"""Embeddings lesson: an embedding map you can search, colour and trust."""

from playground.lessons.embeddings.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
