"""Assemble the lesson tabs into one gr.Blocks, and launch it.

Models load on first use, never here: the page must answer within seconds of launch.
"""

from __future__ import annotations

import logging
import os

# Gradio phones home for analytics and version checks unless told not to; this app must work
# with no request leaving the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from playground.lessons import lessons, public_endpoints  # noqa: E402
from playground.models import ModelHub, default_hub  # noqa: E402
from playground.ui import course_map, models_tab  # noqa: E402
from playground.ui.queues import LIGHT_WORK  # noqa: E402
from playground.ui.security import RefuseUnneededRoutes  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

log = logging.getLogger(__name__)

MAX_FILE_SIZE = "50mb"  # uploads above this are refused by Gradio before any lesson sees them
QUEUE_MAX_SIZE = 64  # more waiting requests than this get "busy, try again" rather than a hang

CSS = """
.lesson-intro { border-left: 4px solid var(--color-accent); padding: 0.5em 1em; background: var(--background-fill-secondary); }
th .header-text { word-break: normal; overflow-wrap: normal; white-space: nowrap; }  /* "rank", not "ra nk" */
.token-chip { display: inline-block; margin: 2px 1px; padding: 1px 4px; border-radius: 4px; font-family: var(--font-mono); white-space: pre; }
"""

HEADER = (
    "# LLM Playground\n"
    "How large language models work, one lesson per tab, computed live on real (small) models "
    "running on this machine. Nothing you type leaves it."
)


def build_app(hub: ModelHub | None = None) -> gr.Blocks:
    hub = hub or default_hub()
    with gr.Blocks(title="LLM Playground") as demo:
        gr.Markdown(HEADER)
        registry = lessons()
        titles = {key: module.TITLE for key, module in registry.items()}
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # on a phone every lesson stays one tap away, not under "⋯"
            with gr.Tab("Course map", id=course_map.TAB_ID):
                link_note, open_buttons = course_map.build_tab(titles)
            for key, module in registry.items():
                with gr.Tab(module.TITLE, id=key):
                    try:
                        module.build_tab(hub)
                    except Exception as exc:  # one broken lesson must not take the app down
                        log.exception("building the %s tab failed", key)
                        gr.Markdown(f"This lesson could not be built ({type(exc).__name__}: {exc}). The other tabs work.")
            with gr.Tab("Models", id="models") as tab:
                models_tab.build_tab(hub, tab)
        known = {**titles, course_map.TAB_ID: "Course map", "models": "Models"}

        def open_linked_tab(request: gr.Request):
            """`?tab=<lesson>` in the URL that opened this page (this request's, nobody else's) selects that tab."""
            selected, note = course_map.tab_from_link(request.query_params.get("tab"), known)
            return (gr.Tabs(selected=selected) if selected else gr.Tabs()), note

        demo.load(open_linked_tab, None, [tabs, link_note], api_name="open_linked_tab", **LIGHT_WORK)
        for key, button in open_buttons.items():  # the same tab in this page, without a reload
            button.click(lambda key=key: gr.Tabs(selected=key), None, tabs, api_name=f"open_{key}", **LIGHT_WORK)
    keep_public_api(demo, public_endpoints() + models_tab.ENDPOINTS)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=2)
    return demo


def keep_public_api(demo: gr.Blocks, public: tuple[str, ...]) -> None:
    """Make every event whose api_name is not in `public` private: "Use via API" then lists the
    documented endpoints only, and clients cannot call a tab's view-only or helper events."""
    for fn in demo.fns.values():
        if fn.api_name not in public:
            fn.api_visibility = "private"


def launch_kwargs() -> dict:
    """Everything launch() needs besides host and port (shared by the CLI, app.py and tests)."""
    return {
        "theme": gr.themes.Default(),
        "css": CSS,
        "max_file_size": MAX_FILE_SIZE,
        "show_error": False,  # gr.Error messages still show; other exceptions never reach the page
        "ssr_mode": False,  # server-side rendering needs node; plain client rendering works offline
        "footer_links": ["api", "settings"],
        "run_history": False,  # nothing about a learner's runs is recorded
        "app_kwargs": {"middleware": [Middleware(RefuseUnneededRoutes)]},
    }


def serve(host: str = "127.0.0.1", port: int = 7860, share: bool = False, hub: ModelHub | None = None) -> None:
    demo = build_app(hub)
    demo.launch(server_name=host, server_port=port, share=share, **launch_kwargs())
