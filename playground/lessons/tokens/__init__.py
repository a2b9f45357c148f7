"""Tokens lesson: how text becomes token ids, across tokenizer families."""

from playground.lessons.tokens.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
