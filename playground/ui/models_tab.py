"""The "Models" tab: the hub's table, live: what is available, loaded, where, and its memory."""

from __future__ import annotations

import gradio as gr

from playground.models import ModelHub
from playground.models.device import cuda_available
from playground.models.hub import STATUS_COLUMNS
from playground.ui.errors import friendly
from playground.ui.queues import LIGHT_WORK


def status_rows(hub: ModelHub) -> list[list]:
    return [s.row() for s in hub.status()]


def status_json(hub: ModelHub) -> dict:
    return {
        "cuda": cuda_available(),
        "models": [{**s.__dict__, "load_count": hub.load_counts[s.key]} for s in hub.status()],
    }


ENDPOINTS = ("models_status",)  # public: the hub's table as JSON


def build_tab(hub: ModelHub, tab: gr.Tab | None = None) -> None:
    gr.Markdown(
        "Every lesson borrows its model from one shared hub: each model is loaded once, on first "
        "use, and shared by every tab and every user. This table is read from the hub without "
        "loading anything."
    )
    table = gr.Dataframe(
        value=status_rows(hub), headers=STATUS_COLUMNS, interactive=False, wrap=True, label="Models"
    )
    refresh = gr.Button("Refresh")
    as_json = gr.JSON(visible=False)

    @friendly
    def models_status() -> tuple[list[list], dict]:
        return status_rows(hub), status_json(hub)

    refresh.click(models_status, None, [table, as_json], api_name="models_status", **LIGHT_WORK)
    if tab is not None:  # opening the tab shows the hub as it is now
        tab.select(models_status, None, [table, as_json], api_visibility="private", **LIGHT_WORK)
