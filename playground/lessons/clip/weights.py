"""Where the CLIP weights stand, asked of the hub without loading anything.

The weights (open_clip ViT-B-32, OpenAI's) do not ship in a wheel. Without them the tab says so
at the top, and how to get them; nothing on the tab is computed without the real model.
"""

from __future__ import annotations

from playground.models import ModelHub

KEY = "clip-vit-b-32"


def weights_banner(hub: ModelHub) -> str:
    """Where the weights stand, from hub.resolve (nothing is loaded)."""
    res = hub.resolve(KEY)
    if hub.is_loaded(KEY):
        return f"✅ **CLIP ViT-B/32 is loaded** (from {hub.get(KEY).source})."
    if res.available:
        return f"✅ **CLIP ViT-B/32 weights found** ({res.source}: {res.reason}). They load on the first click (a few seconds)."
    return (
        "### ⚠️ The CLIP weights are not on this machine\n"
        f"This tab needs OpenAI's CLIP ViT-B/32 weights (about 600 MB), and none were found: {res.reason}.\n\n"
        f"**To get them:** {res.fix}. Then restart the app.\n\n"
        "Until then every button on this tab answers with this message; nothing here is computed without "
        "the real model. The other tabs are not affected."
    )
