"""Inside the model: the parameters counted, one matrix up close, the logit lens, quantization side by side."""

from playground.lessons.inside.tab import TITLE, build_tab

ENDPOINTS = ("anatomy", "logit_lens", "quantize_compare")  # the public API; every other event is private

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
