"""The course map: the first tab, listing the course's lessons, the tab that shows each and what to try first,
with links that open that tab (`?tab=<lesson>`, read from the URL of the request that opened the page).

The lesson list follows the course's own (shared/COURSE.md), in the project's words.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr

TAB_ID = "course"
MAX_KEY = 40  # a tab id from a link longer than this is not one of ours


@dataclass(frozen=True)
class CourseLesson:
    number: int
    name: str
    takeaway: str
    tabs: tuple[str, ...]  # lesson keys, as in playground.lessons.LESSON_ORDER
    try_first: str


COURSE: tuple[CourseLesson, ...] = (
    CourseLesson(1, "LLM basics", "a model predicts the next token, again and again", ("sampling",),
                 "Press **Step one token** a few times and watch a sentence grow one token at a time."),
    CourseLesson(2, "How models work", "layers of weights turn numbers into a prediction", ("inside",),
                 "Run the logit lens on \"The capital of France is\": at which layer does \"Paris\" win?"),
    CourseLesson(3, "Tokens and tokenization", "text becomes ids; languages and code cost differently", ("tokens",),
                 "Paste a sentence in another language and compare its token count with English."),
    CourseLesson(4, "Context windows", "everything the model sees must fit; longer costs more", ("context",),
                 "Add documents until the bar overflows, then compare the truncation strategies."),
    CourseLesson(5, "Embeddings", "meaning as position in space", ("embeddings",),
                 "Map the labelled texts: do the subjects keep apart?"),
    CourseLesson(6, "Transformers", "attention and MLP blocks, stacked", ("attention", "inside"),
                 "Count the parameters of one block: how much is attention, how much the MLP?"),
    CourseLesson(7, "Attention", "each token builds meaning by looking at others", ("attention",),
                 "Run the probe and find a head where every token looks at the one before it."),
    CourseLesson(8, "Parameters", "the dials: how many, where, and what precision costs", ("inside",),
                 "Compare fp32 with 4-bit: how much memory goes, and how far the predictions move?"),
    CourseLesson(9, "Training vs inference", "learning changes weights; using a model does not", ("finetune",),
                 "Take one optimizer step up close and see which layers moved."),
    CourseLesson(10, "Open vs closed models", "open weights can be inspected and changed", ("inside",),
                 "Look at one weight matrix up close: these numbers are the model."),
    CourseLesson(11, "Datasets and training", "what a training set is made of decides the result", ("curation",),
                 "Analyse the messy set and read what each step would remove."),
    CourseLesson(12, "Instruction tuning", "teaching a format; chat templates; loss on the answers", ("finetune",),
                 "Look at the loss mask: which tokens does training learn from?"),
    CourseLesson(13, "Preference datasets", "chosen against rejected; RLHF and DPO", ("preference",),
                 "Score a pair before training: why is the DPO loss log 2?"),
    CourseLesson(14, "Synthetic datasets", "models writing training data, and how it fails", ("curation",),
                 "Let the model write new tasks and count how many survive the filters."),
    CourseLesson(15, "Curation, cleaning, formatting", "duplicates, junk, personal data, broken rows", ("curation",),
                 "Find a duplicate only the embeddings caught, and one only MinHash caught."),
    CourseLesson(16, "Continued pretraining", "more raw text in a domain, and forgetting", ("finetune",),
                 "Train on the beekeeping handbook and compare perplexity on general text."),
    CourseLesson(17, "Hallucination reduction", "fluent is not true: retrieval, checking, abstaining", ("grounding",),
                 "Ask a question the knowledge base cannot answer: does the grounded side abstain?"),
    CourseLesson(18, "Fine-tuning", "base model, data, LoRA, epochs, validation, the best checkpoint", ("finetune",),
                 "Train for too many epochs and find where the validation loss turns up."),
    CourseLesson(19, "Text classification", "the same texts classified with and without labels", ("representation",),
                 "Compare the four methods on the support tickets."),
    CourseLesson(20, "Clustering and topics", "documents grouped by meaning, topics named by words", ("topics",),
                 "Fit topics on the docstrings and read the top words of each."),
    CourseLesson(21, "Multimodal models", "images and captions in one space", ("clip",),
                 "Classify a sample photo with your own captions."),
)


def course_markdown(titles: dict[str, str]) -> str:
    """The map as a table, with a link per tab; `titles` maps a lesson key to its tab's title (only tabs the
    app has are linked)."""
    lines = ["## The course, lesson by lesson",
             "Each lesson of the course, what it should leave you with, the tab that shows it and what to try there "
             "first. A link opens that tab in a new page, and is the address to share; the buttons below open a tab "
             "here.", ""]
    for lesson in COURSE:  # a list, not a table: it wraps on a phone
        links = ", ".join(f"[{titles[k]}](?tab={k})" for k in lesson.tabs if k in titles) or "(not in this app)"
        lines.append(f"{lesson.number}. **{lesson.name}**: {lesson.takeaway}. → {links}. *Try first:* {lesson.try_first}")
    return "\n".join(lines)


def tab_from_link(key: object, known: dict[str, str]) -> tuple[str | None, str]:
    """(tab id to select or None, a note for the page) for the `tab` value of a link; a bad value is a note."""
    if key is None or key == "":
        return None, ""
    if not isinstance(key, str) or len(key) > MAX_KEY or key not in known:
        shown = html.escape(str(key)[:MAX_KEY]) + ("…" if len(str(key)) > MAX_KEY else "")
        return TAB_ID, (f"*The link asked for a tab called “{shown}”, which this app does not have; here is the "
                        "course map instead.*")
    return key, ""


def build_tab(titles: dict[str, str]) -> dict[str, gr.Button]:
    """The map's content; returns a button per tab that opens it in this page."""
    gr.Markdown(course_markdown(titles))
    gr.Markdown("**Open a tab here:**")
    with gr.Row():
        buttons = {key: gr.Button(title, size="sm", min_width=80) for key, title in titles.items()}
    return buttons
