"""Sampling lesson: temperature, top-k, top-p and min-p on a real next-token distribution."""

from playground.lessons.sampling.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("next_token", "generate", "generate_stream")

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
