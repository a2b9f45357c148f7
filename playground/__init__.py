"""LLM Playground: one tab per lesson on how LLMs work, on real models, offline."""

__version__ = "0.1.0"
