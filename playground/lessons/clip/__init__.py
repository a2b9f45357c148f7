"""CLIP lesson: zero-shot image classification and image-text similarity."""

from playground.lessons.clip.tab import TITLE, build_tab

__all__ = ["TITLE", "build_tab"]
