"""Tokens lesson: how text becomes token ids, across tokenizer families."""

from playground.lessons.tokens.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("tokenize",)

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
