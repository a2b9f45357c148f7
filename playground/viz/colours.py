"""Colours that mean the same thing in every lesson."""

from __future__ import annotations


def likelihood_colour(p: float) -> str:
    """Red for tokens the model found unlikely, through yellow, to green for likely ones.
    The square root spreads out the small probabilities, where the interesting cases are."""
    hue = 120 * min(max(p, 0.0), 1.0) ** 0.5
    return f"hsl({hue:.0f}, 75%, 80%)"
