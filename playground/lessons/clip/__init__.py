"""CLIP lesson: zero-shot image classification and image-text similarity."""

from playground.lessons.clip.tab import TITLE, build_tab

# the public API: the endpoints a client may call (README "The lessons"); every other event is private
ENDPOINTS = ("clip_classify",)

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
