"""Data lab: validate, deduplicate (exact, MinHash, embeddings), filter and grow a training set, then export it."""

from playground.lessons.curation.tab import TITLE, build_tab

ENDPOINTS = ("curate",)  # the public API; every other event is private

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
