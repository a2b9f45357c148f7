"""Representation lab: classify text four ways (embeddings + logistic regression, two zero-shots, SetFit), and
train an embedding model with in-batch negatives."""

from playground.lessons.representation.tab import TITLE, build_tab

ENDPOINTS = ("classify_compare", "embedding_train")  # the public API; every other event is private

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
