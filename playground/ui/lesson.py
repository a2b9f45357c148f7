"""The lesson header every tab opens with: the idea, what to notice, things to try."""

from __future__ import annotations

import gradio as gr


def lesson_intro(idea: str, notice: list[str], try_this: list[str]) -> gr.Markdown:
    """Two or three plain sentences, what to notice, and two or three exercises."""
    lines = [idea.strip(), "", "**Notice:**"]
    lines += [f"- {item}" for item in notice]
    lines += ["", "**Try this:**"]
    lines += [f"{i}. {item}" for i, item in enumerate(try_this, 1)]
    return gr.Markdown("\n".join(lines), elem_classes=["lesson-intro"])
