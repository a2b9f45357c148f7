"""Sampling lesson: temperature, top-k, top-p and min-p on a real next-token distribution."""

from playground.lessons.sampling.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
