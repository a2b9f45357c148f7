"""Context windows: the token budget after the chat template, overflow strategies, the KV cache's cost, a needle probe."""

from playground.lessons.context.tab import TITLE, build_tab

ENDPOINTS = ("context_budget", "needle")  # the public API; every other event is private

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
