"""Where the CLIP weights stand, and fetching them from the tab when the machine is online.

The weights (open_clip ViT-B-32, OpenAI's, about 600 MB) do not ship in a wheel. Until they are
on this machine the tab says so at the top and how to get them, and the buttons that need the
model are switched off: nothing on the tab is computed without the real model. Everything here
asks the hub where the weights are; nothing is loaded.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm.auto import tqdm

from playground.models import ModelHub
from playground.models.fetch import fetch
from playground.models.sources import hub_reachable

log = logging.getLogger(__name__)

KEY = "clip-vit-b-32"
FETCH_COMMAND = f"python -m playground fetch {KEY}"

Report = Callable[[float, str], None]  # (fraction done, what is happening)


@dataclass(frozen=True)
class WeightsStatus:
    ready: bool  # the weights are on this machine (or loaded): the model buttons can work
    banner: str  # markdown for the top of the tab


def weights_status(hub: ModelHub) -> WeightsStatus:
    """Where the weights stand, from hub.resolve.

    A resolution from "the hub" means the weights are not here yet: a first click would download
    600 MB with no progress shown, so the tab asks for the download button instead.
    """
    if hub.is_loaded(KEY):
        return WeightsStatus(True, f"✅ **CLIP ViT-B/32 is loaded** (from {hub.get(KEY).source}).")
    res = hub.resolve(KEY)
    if res.available and res.source != "hub":
        return WeightsStatus(True, f"✅ **CLIP ViT-B/32 weights found** ({res.source}: {res.reason}). "
                                   "They load on the first click (a few seconds).")
    if res.available:
        return WeightsStatus(False, (
            "### ⬇️ The CLIP weights are not on this machine yet\n"
            "This tab needs OpenAI's CLIP ViT-B/32 weights (about 600 MB). This machine can reach the Hugging Face "
            f"hub: **Download CLIP weights** below fetches them once into the Hugging Face cache (the same download "
            f"as `{FETCH_COMMAND}`), and the buttons that need the model switch on when it is done."
        ))
    return WeightsStatus(False, (
        "### ⚠️ The CLIP weights are not on this machine\n"
        f"This tab needs OpenAI's CLIP ViT-B/32 weights (about 600 MB), and none were found: {res.reason}.\n\n"
        f"**To get them:** {res.fix}. Then reload this page (after setting `PLAYGROUND_CLIP_PATH`, restart "
        "the app first). If this machine is online, **Download CLIP weights** below fetches them.\n\n"
        "Until then the buttons that need the model are switched off: nothing here is computed without the "
        "real model. The other tabs are not affected."
    ))


OFFLINE = (
    "⚠️ **This machine is offline**: it cannot reach the Hugging Face hub (no network, or `HF_HUB_OFFLINE=1` "
    "is set), so the weights cannot be downloaded from here. Either point `PLAYGROUND_CLIP_PATH` at a folder "
    "holding open_clip ViT-B-32 weights (`open_clip_model.safetensors`) and restart the app, or run "
    f"`{FETCH_COMMAND}` on a machine that is online and copy its `~/.cache/huggingface` here, then reload "
    "this page. (The app asks the hub once per run: if this machine has just come online, restart the app.)"
)


class _Reporter:
    """Turns the download's byte counters into one fraction that only goes up.

    The counters move in the download's worker threads; `report` runs in a copy of the context of
    the thread that started the download, which is where Gradio finds the event's progress bar.
    """

    def __init__(self, report: Report, every_s: float = 0.25):
        self.report, self.every_s = report, every_s
        self.context = contextvars.copy_context()
        self.fraction, self.last = 0.0, 0.0
        self.lock = threading.Lock()

    def bytes_done(self, done: float, total: float) -> None:
        if total <= 0:
            return
        with self.lock:
            self.fraction = max(self.fraction, min(done / total, 1.0))
            now = time.monotonic()
            if now - self.last < self.every_s and self.fraction < 1.0:
                return
            self.last = now
            fraction = self.fraction
        desc = f"Downloading the CLIP weights: {done / 1e6:,.0f} of {total / 1e6:,.0f} MB"
        self.context.copy().run(self.report, fraction, desc)


def progress_bar_class(report: Report) -> type[tqdm]:
    """A tqdm class for huggingface_hub's snapshot_download that reports to `report` instead of a terminal.

    The download drives several bars (files fetched, bytes received, bytes written); the byte bars
    carry the fraction a learner wants to see.
    """
    reporter = _Reporter(report)

    class _Silent:
        def write(self, _: str) -> None:
            pass

        def flush(self) -> None:
            pass

    class PageBar(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["file"] = _Silent()  # the page shows the progress; the server log stays quiet
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1):
            out = super().update(n)
            if self.unit == "B" and self.total:
                reporter.bytes_done(self.n, self.total)
            return out

    return PageBar


def fetch_weights(hub: ModelHub, report: Report) -> Path:
    """Download what `python -m playground fetch clip-vit-b-32` downloads, into the same HF cache."""
    return fetch(hub, KEY, tqdm_class=progress_bar_class(report))


@dataclass(frozen=True)
class Download:
    status: WeightsStatus  # where the weights stand afterwards
    note: str  # what happened, for the line under the button


def download(hub: ModelHub, report: Report, fetch: Callable[[ModelHub, Report], Path] = fetch_weights) -> Download:
    """Fetch the weights if the hub can be reached; offline, say so at once and what to do instead."""
    if not hub_reachable():  # asked once per process, with a short timeout; HF_HUB_OFFLINE=1 answers at once
        return Download(weights_status(hub), OFFLINE)
    start = time.perf_counter()
    report(0.0, "Asking the Hugging Face hub for the CLIP weights")
    try:
        path = fetch(hub, report)
    except Exception as exc:  # the network or the disk: the learner can retry; no traceback needed
        log.warning("downloading the CLIP weights failed: %s: %s", type(exc).__name__, exc)
        return Download(weights_status(hub), (
            f"⚠️ The download stopped ({type(exc).__name__}: {exc}). Click again to resume: files already "
            f"fetched are kept. Or run `{FETCH_COMMAND}` in a terminal."
        ))
    status = weights_status(hub)
    if not status.ready:
        return Download(status, f"⚠️ The download finished ({path}), but the hub still finds no CLIP weights there.")
    return Download(status, f"✅ Downloaded in {time.perf_counter() - start:.0f} s to `{path}`. The buttons are on.")
