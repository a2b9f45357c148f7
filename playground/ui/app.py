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
from playground.ui import course_map, models_tab, poll_tab, presenter  # noqa: E402
from playground.ui.lesson import LessonPage  # noqa: E402
from playground.ui.links import copy_link_js, link_note, read_link  # noqa: E402
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
        note_md = gr.Markdown(elem_id="link-note")  # what a bad link could not open, above every tab
        registry = lessons()
        titles = {key: module.TITLE for key, module in registry.items()}
        pages: dict[str, LessonPage] = {}
        with gr.Tabs(overflow_behavior="wrap") as tabs:  # on a phone every lesson stays one tap away, not under "⋯"
            with gr.Tab("Course map", id=course_map.TAB_ID):
                open_buttons = course_map.build_tab(titles)
            for key, module in registry.items():
                with gr.Tab(module.TITLE, id=key) as tab:
                    copy_row = share_row()
                    try:
                        page = module.build_tab(hub)
                    except Exception as exc:  # one broken lesson must not take the app down
                        log.exception("building the %s tab failed", key)
                        gr.Markdown(f"This lesson could not be built ({type(exc).__name__}: {exc}). The other tabs work.")
                        page = None
                    pages[key] = page if isinstance(page, LessonPage) else LessonPage()
                    wire_tab(key, tab, pages[key], copy_row)
            with gr.Tab(poll_tab.TITLE, id=poll_tab.TAB_ID):  # a teacher's room beside the lessons
                poll_tab.build_tab(hub)
            with gr.Tab("Models", id="models") as tab:
                models_tab.build_tab(hub, tab)
        known = {**titles, course_map.TAB_ID: "Course map", poll_tab.TAB_ID: poll_tab.TITLE, "models": "Models"}
        linkable = [(key, name, c) for key, page in pages.items() for name, c in page.inputs.items()]
        openers = {key: page.opened for key, page in pages.items() if page.opened is not None}

        def open_linked_tab(request: gr.Request):
            """The URL that opened this page (this request's, nobody else's): `?tab=<lesson>` selects that tab,
            the tab's inputs in the query fill it, and its first view computes from them."""
            query = dict(request.query_params)
            selected, note = course_map.tab_from_link(query.get("tab"), known)
            values: dict = {}
            if selected in pages and len(str(request.url.query)) > MAX_LINK:
                note = f"*The link is longer than {MAX_LINK:,} characters; the tab opens with its own defaults.*"
            elif selected in pages:
                values, problems = read_link(query, pages[selected].inputs)
                note = link_note(problems)
            return ((gr.Tabs(selected=selected) if selected else gr.Tabs()), note,
                    *[values[name] if key == selected and name in values else gr.skip() for key, name, _ in linkable],
                    *[1 if key == selected else gr.skip() for key in openers])

        demo.load(open_linked_tab, None, [tabs, note_md, *[c for _, _, c in linkable], *openers.values()],
                  api_name="open_linked_tab", **LIGHT_WORK)
        for key, button in open_buttons.items():  # the same tab in this page, without a reload
            opened = openers.get(key)
            if opened is None:
                button.click(lambda key=key: gr.Tabs(selected=key), None, tabs, api_name=f"open_{key}", **LIGHT_WORK)
            else:
                button.click(lambda n, key=key: (gr.Tabs(selected=key), first_open(n)), opened, [tabs, opened],
                             api_name=f"open_{key}", **LIGHT_WORK)
    keep_public_api(demo, public_endpoints() + models_tab.ENDPOINTS + poll_tab.ENDPOINTS)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=2)
    return demo


MAX_LINK = 12_000  # characters of query string a link may have (each text in it is capped by links.MAX_TEXT; the
# server refuses a request line over about 16 KB before the app sees it)


def first_open(n: int):
    """The tab's `opened` counter on a tab opening: 1 the first time in this page (its first view computes),
    unchanged afterwards (the learner's own work stays on screen)."""
    return 1 if not n else gr.skip()


def share_row() -> tuple[gr.Button, gr.Textbox, gr.Markdown]:
    """"Copy link" at the top of a tab: the address of this tab with its inputs, to reopen or share."""
    with gr.Row(elem_classes=["share-row"]):
        button = gr.Button("Copy link to this tab (with its inputs)", size="sm", scale=0, min_width=260)
        box = gr.Textbox(show_label=False, container=False, scale=4, buttons=["copy"], interactive=False,
                         placeholder="Press the button: the link appears here and in the address bar")
    note = gr.Markdown(elem_classes=["share-note"])
    return button, box, note


def wire_tab(key: str, tab: gr.Tab, page: LessonPage, copy_row: tuple[gr.Button, gr.Textbox, gr.Markdown]) -> None:
    button, box, note = copy_row
    names = list(page.inputs)
    button.click(None, [page.inputs[n] for n in names], [box, note], js=copy_link_js(key, names),
                 api_name=f"{key}_copy_link")
    if page.opened is not None:  # the first opening of the tab in a page shows its worked example
        tab.select(first_open, page.opened, page.opened, api_name=f"{key}_opened", **LIGHT_WORK)


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
        "css": CSS + presenter.CSS,
        "js": presenter.JS,  # ?present=1: presenter mode (larger type, lesson text collapsed, high contrast)
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
