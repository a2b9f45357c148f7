"""Preference lab: score a chosen/rejected pair, train DPO (trl) with a LoRA adapter, compare with SFT."""

from playground.lessons.preference.tab import TITLE, build_tab

ENDPOINTS = ("preference_score", "dpo_train")  # the public API; every other event is private

__all__ = ["ENDPOINTS", "TITLE", "build_tab"]
