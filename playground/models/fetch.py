"""Downloading a catalog model's files into the Hugging Face cache, for the CLI and the CLIP tab alike."""

from __future__ import annotations

from pathlib import Path

from playground.models.hub import ModelHub, ModelUnavailable
from playground.models.sources import hub_reachable


def fetch(hub: ModelHub, key: str, tqdm_class: type | None = None) -> Path:
    """Download a catalog model's files into the HF cache (needs the hub); returns the snapshot folder.
    `tqdm_class` receives the download's progress bars (the tab shows them on the page)."""
    spec = hub.spec(key)
    if not spec.hub_id:
        raise ModelUnavailable(key, "it has no hub id; nothing to fetch")
    if not hub_reachable():
        raise ModelUnavailable(key, "the Hugging Face hub is not reachable (offline, or HF_HUB_OFFLINE=1)")
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(spec.hub_id, revision=spec.revision, tqdm_class=tqdm_class))
