"""Fine-tuning lab: LoRA on SmolLM2 in a worker process, the loss curves live, answers before and after."""

from playground.lessons.finetune.tab import TITLE, build_tab

ENDPOINTS = ("finetune",)  # the public API; every other event is private

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
