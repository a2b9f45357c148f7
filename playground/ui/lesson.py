"""What every lesson tab shares: the lesson header it opens with, and what it hands the app (`LessonPage`):
the inputs a link may carry and the trigger that computes its first view."""

from __future__ import annotations

from dataclasses import dataclass, field

import gradio as gr
from gradio.components import Component


def lesson_intro(idea: str, notice: list[str], try_this: list[str]) -> gr.Markdown:
    """Two or three plain sentences, what to notice, and two or three exercises."""
    lines = [idea.strip(), "", "**Notice:**"]
    lines += [f"- {item}" for item in notice]
    lines += ["", "**Try this:**"]
    lines += [f"{i}. {item}" for i, item in enumerate(try_this, 1)]
    return gr.Markdown("\n".join(lines), elem_classes=["lesson-intro"])


@dataclass
class LessonPage:
    """What `build_tab` returns to the app.

    `inputs`: the components a link carries, by the name they take in the URL's query string (text, settings,
    seed; never a file). `opened`: a counter the app raises when the tab opens for the first time in a page, or a
    link has just filled its inputs; the tab wires `opened.change` to the compute event of its first view, so the
    tab shows a worked example without a click, computed from whatever its inputs hold."""

    inputs: dict[str, Component] = field(default_factory=dict)
    opened: gr.Number | None = None


def first_view_trigger() -> gr.Number:
    """The `opened` counter of a LessonPage (0: not opened yet in this page).

    A hidden Number, not a gr.State: Gradio reports every State among an event's outputs as changed after the
    page's load event, even one the event skipped, which would compute every tab's first view on every load."""
    return gr.Number(0, precision=0, visible=False)
