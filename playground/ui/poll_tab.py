"""The Class poll tab: a teacher opens a room under a short code, students join it from their own pages,
the teacher pushes a predict-then-reveal question, the class's answers gather live into a chart on the
teacher's screen, and the model's own answer (computed on SmolLM2, never typed in) is revealed beside them.

Rooms live in `playground.classroom.rooms` (in memory, bounded, forgotten after inactivity); the model's
answers in `playground.classroom.answers`; the chart in `playground.classroom.figures`. Who is who is the
Gradio session (`request.session_hash`): the page that started a room is its teacher. Pages refresh with a
`gr.Timer` that runs only while the page holds a room, and redraws only when the room changed.

Public endpoints (JSON; a gradio_client Client is one session):
- `poll_start()` -> {"code"}
- `poll_ask(code, kind, prompt)` -> {"code", "question", "kind", "prompt"}  (the room's teacher only)
- `poll_join(code)` -> {"code", "question", "kind", "prompt"}  (question: null before the first one)
- `poll_answer(code, answer)` -> {"code", "question", "your_answer", "answers"}
- `poll_results(code)` -> {"code", "question", "kind", "prompt", "answers", "counts", "model_answer",
  "revealed", "students", "your_answer", "model_detail"}
- `poll_reveal(code)` -> the same as poll_results, revealed (the room's teacher only)
`counts` is [[answer, how many], ...], most given first: never who gave which. `model_answer` (and
`model_detail`) stay null until the teacher reveals, for the teacher too: the teacher's screen is the
projector, and the class should answer before it sees the model's answer.
"""

from __future__ import annotations

import html
import re

import gradio as gr

from playground.checks import UserInputError
from playground.classroom import answers
from playground.classroom.figures import poll_figure
from playground.classroom.rooms import (
    IDLE_EXPIRY_S, KINDS, MAX_ANSWER_CHARS, NEXT_TOKEN, QUESTION_TEXT, TOKEN_COUNT, Rooms, Snapshot, default_rooms,
)
from playground.models import ModelHub
from playground.ui.errors import friendly, gpu_bound
from playground.ui.lesson import lesson_intro
from playground.ui.queues import LIGHT_WORK, MODEL_WORK

TITLE = "Class poll"
TAB_ID = "poll"  # ?tab=poll opens it
ENDPOINTS = ("poll_start", "poll_ask", "poll_join", "poll_answer", "poll_results", "poll_reveal")
TEACHER_EVERY_S = 2.0  # the chart on the projector
STUDENT_EVERY_S = 3.0  # a student's page only needs to notice a new question or the reveal

EXAMPLES = [  # (kind, text): each one a prediction a class argues about
    [NEXT_TOKEN, "The cat sat on the"],
    [NEXT_TOKEN, "The capital of France is"],
    [NEXT_TOKEN, "1, 2, 3, 4,"],
    [NEXT_TOKEN, "Once upon a"],
    [TOKEN_COUNT, "unbelievably"],
    [TOKEN_COUNT, "Le chat est assis sur le tapis."],
    [TOKEN_COUNT, "def add(a, b): return a + b"],
]


def session_of(request: gr.Request | None) -> str:
    session = getattr(request, "session_hash", None)
    if not session:
        raise UserInputError("This call carries no session, so the room cannot tell who you are. "
                             "Use the app's page, or a gradio_client Client.")
    return session


# --- the endpoints' JSON -------------------------------------------------------------------------------------


def question_json(s: Snapshot) -> dict:
    return {"code": s.code, "question": s.question, "kind": s.kind, "prompt": s.prompt}


def results_json(s: Snapshot) -> dict:
    model = s.model
    return {
        **question_json(s),
        "answers": s.answers,
        "counts": [[label, n] for label, n in s.counts],
        "model_answer": model.answer if model else None,
        "revealed": s.revealed,
        "students": s.students,
        "your_answer": s.your_answer,
        "model_detail": model.as_json(s.counts) if model else None,
    }


class Poll:
    """The poll's operations, bound to the hub and a room registry; the endpoints and the page's handlers
    both call these. (A class, not functools.partial: Gradio reads the methods' type hints to hand them
    the gr.Request that names the session.)"""

    def __init__(self, hub: ModelHub, rooms: Rooms):
        self.hub, self.rooms = hub, rooms
        # only the model runs on a GPU (a ZeroGPU worker is a fork: a room changed there would be lost)
        self._model_run = gpu_bound(answers.model_run, hub)

    def ask_snapshot(self, code: object, kind: object, prompt: object, session: str) -> Snapshot:
        self.rooms.check_teacher(code, session)  # a student's push is refused before the model runs
        model = answers.with_groups(self.hub, self._model_run(kind, prompt))
        return self.rooms.ask(code, session, model.kind, prompt, model)

    # public endpoints

    @friendly
    def poll_start(self, request: gr.Request) -> dict:
        """Open a room; this session is its teacher. Returns {"code"}."""
        return {"code": self.rooms.start(session_of(request))}

    @friendly
    def poll_ask(self, code: str, kind: str, prompt: str, request: gr.Request) -> dict:
        """Push a question ("next token" or "token count") on a text; the model's answer is computed now."""
        return question_json(self.ask_snapshot(code, kind, prompt, session_of(request)))

    @friendly
    def poll_join(self, code: str, request: gr.Request) -> dict:
        """Join a room as a student; returns its current question (null before the first)."""
        return question_json(self.rooms.join(code, session_of(request)))

    @friendly
    def poll_answer(self, code: str, answer: str, request: gr.Request) -> dict:
        """Answer the current question; answering again replaces your earlier answer."""
        s = self.rooms.answer(code, session_of(request), answer)
        return {"code": s.code, "question": s.question, "your_answer": s.your_answer, "answers": s.answers}

    @friendly
    def poll_results(self, code: str, request: gr.Request) -> dict:
        """The room now: how many answered, the counts per answer, your own answer; the model's once revealed."""
        return results_json(self.rooms.results(code, session_of(request)))

    @friendly
    def poll_reveal(self, code: str, request: gr.Request) -> dict:
        """Reveal the model's answer (the room's teacher only); answers to this question close."""
        return results_json(self.rooms.reveal(code, session_of(request)))


# --- what the page shows ---------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """A learner's text inside Markdown, shown as typed (no markup of its own)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~])", r"\\\1", text)


def _n(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


def code_html(code: str) -> str:
    return (f'<div style="text-align:center"><div style="font-size:clamp(3rem,12vw,6rem);font-weight:700;'
            f'letter-spacing:0.25em;font-family:var(--font-mono);line-height:1.1">{html.escape(code)}</div>'
            '<div>Students: open this app (the same address as this page), go to the <b>Class poll</b> tab and '
            'join with this code.</div></div>')


def question_html(s: Snapshot | None) -> str:
    """The question as everyone in the room reads it: what is asked, the text (a trailing space shown)."""
    if s is None:
        return "<p>Join a room with the code on the teacher's screen; its question appears here.</p>"
    if s.question is None:
        return f"<p>You are in room <b>{html.escape(s.code)}</b>. The teacher has not asked a question yet.</p>"
    text = s.prompt or ""
    body, tail = text.rstrip(), text[len(text.rstrip()):]
    tail_shown = f'<span style="opacity:0.55">{html.escape(answers.visible(tail))}</span>' if tail else ""
    return (f"<p><b>Question {s.question}:</b> {html.escape(QUESTION_TEXT[s.kind])}</p>"
            f'<div style="white-space:pre-wrap;font-family:var(--font-mono);font-size:1.4em;padding:0.4em 0.6em;'
            f'border:1px solid var(--border-color-primary);border-radius:6px">{html.escape(body)}{tail_shown}</div>')


def teacher_status(s: Snapshot) -> str:
    if s.question is None:
        return (f"Room **{s.code}**: {_n(s.students, 'student')} joined. Choose a kind of question, type a text and "
                "press **Push question**.")
    state = "answers closed: the model's answer is shown" if s.revealed else "answering"
    return (f"**Question {s.question}** ({s.kind}), {state}: **{_n(s.answers, 'answer')}** from "
            f"{_n(s.students, 'student')} who joined.")


def reveal_md(s: Snapshot) -> str:
    if not s.revealed or s.model is None:
        return ""
    model = s.model
    same = sum(n for label, n in s.counts if model.matches(label))
    share = f" {same} of the class's {_n(s.answers, 'answer')} said the same." if s.answers else ""
    return f"**Revealed.** {_md(model.sentence())}{share}"


def student_status(s: Snapshot) -> str:
    if s.question is None:
        return ""
    mine = (f"Your answer: **{_md(s.your_answer)}**" if s.your_answer else "You have not answered yet")
    if s.revealed:
        return f"{mine}. {reveal_md(s)}"
    return f"{mine} (you can change it until the teacher reveals the model's answer). {_n(s.answers, 'answer')} so far."


class Page:
    """The page's handlers: the teacher's part and the student's, each remembering its own room in gr.State."""

    def __init__(self, poll: Poll):
        self.poll, self.rooms = poll, poll.rooms

    # teacher

    @friendly
    def start(self, request: gr.Request):
        code = self.rooms.start(session_of(request))
        s = self.rooms.results(code, session_of(request))
        return (code, s.version, code_html(code), teacher_status(s), poll_figure(None, (), None), "",
                gr.Timer(active=True))

    @friendly
    def push(self, code, kind, prompt, request: gr.Request, progress=gr.Progress()):
        if not code:
            raise UserInputError("Start a room first; then push a question to it.")
        if not self.poll.hub.is_loaded(answers.MODEL):
            progress(0, desc="loading SmolLM2 (first use only)")
        s = self.poll.ask_snapshot(code, kind, prompt, session_of(request))
        return s.version, teacher_status(s), poll_figure(s.kind, s.counts, None), ""

    @friendly
    def reveal(self, code, request: gr.Request):
        if not code:
            raise UserInputError("Start a room and push a question first.")
        s = self.rooms.reveal(code, session_of(request))
        return s.version, teacher_status(s), poll_figure(s.kind, s.counts, s.model), reveal_md(s)

    @friendly
    def teacher_tick(self, code, seen, request: gr.Request):
        """Redraw the chart if the room changed since `seen`; stop the timer once the room is gone."""
        if not code:
            return None, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False)
        try:
            s = self.rooms.results(code, session_of(request))
        except UserInputError:
            gone = (f"Room **{code}** has closed (a new room was started from this page, or it went "
                    f"{round(IDLE_EXPIRY_S / 60)} minutes without activity). Start a new room.")
            return None, -1, gone, gr.skip(), "", gr.Timer(active=False)
        if s.version == seen:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return code, s.version, teacher_status(s), poll_figure(s.kind, s.counts, s.model), reveal_md(s), gr.skip()

    # student

    @friendly
    def join(self, code, request: gr.Request):
        s = self.rooms.join(code, session_of(request))
        return (s.code, s.version, s.question, question_html(s), student_status(s), "",
                gr.Plot(value=None, visible=False), gr.Timer(active=True))

    @friendly
    def send(self, code, question, answer, request: gr.Request):
        if not code:
            raise UserInputError("Join a room first: type the code from the teacher's screen and press Join.")
        s = self.rooms.answer(code, session_of(request), answer, question=question)
        return s.version, student_status(s)

    @friendly
    def student_tick(self, code, seen, question, request: gr.Request):
        """A new question (the answer box cleared), the count, and after the reveal the chart."""
        if not code:
            return None, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False)
        try:
            s = self.rooms.results(code, session_of(request))
        except UserInputError:
            gone = f"Room **{code}** has closed. Join the teacher's new room with its code."
            return None, -1, None, question_html(None), gone, gr.skip(), gr.Plot(visible=False), gr.Timer(active=False)
        if s.version == seen:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        new_question = s.question != question
        chart = (gr.Plot(value=poll_figure(s.kind, s.counts, s.model), visible=True) if s.revealed
                 else gr.Plot(visible=False))
        return (code, s.version, s.question, question_html(s) if new_question else gr.skip(), student_status(s),
                "" if new_question else gr.skip(), chart, gr.skip())


# --- the tab -------------------------------------------------------------------------------------------------


def build_tab(hub: ModelHub, rooms: Rooms | None = None) -> None:
    """The tab; `rooms` defaults to the process's one registry (a test may pass its own)."""
    poll = Poll(hub, rooms or default_rooms())
    page = Page(poll)
    lesson_intro(
        "Predict, then reveal, as a whole class: everyone commits to a guess about what the model will do, the "
        "guesses gather into one chart, and only then does the model answer. No accounts: a room is a short "
        "code, and it lives in this server's memory only.",
        [
            "A student sees the question, their own answer and how many have answered; nobody sees who said what. "
            "The class's chart reaches students after the reveal.",
            "The model's answer is computed on SmolLM2 when the question is pushed, and stays hidden until you "
            "reveal it. For a next-token question the chart then shows the model's probability of every answer "
            "the class gave (answers are grouped ignoring case and surrounding spaces; ␣ marks the space a token "
            "starts with).",
            f"A room closes {round(IDLE_EXPIRY_S / 60)} minutes after the last activity (the teacher's page, while "
            "open, counts), and when you start another from the same page. Keep that page open: the room belongs "
            "to it, and reloading it makes a new page.",
        ],
        [
            "Teacher: open **Teacher**, press **Start a room** and put the code on the projector.",
            "Students: open this app on a phone or laptop, go to the **Class poll** tab, type the code, press "
            "**Join**.",
            "Teacher: choose a kind, type a text (or click an example) and press **Push question**; watch the "
            "bars grow, then press **Reveal the model's answer** and discuss.",
        ],
    )
    with gr.Tabs():
        with gr.Tab("Student", id="poll-student"):
            s_code, s_seen, s_question = gr.State(None), gr.State(-1), gr.State(None)
            with gr.Row(equal_height=True):
                code_box = gr.Textbox(label="Room code", placeholder="K7QX2", max_length=12, scale=3,
                                      elem_id="poll-code-box")
                join_btn = gr.Button("Join", variant="primary", scale=1, min_width=100)
            s_question_html = gr.HTML(question_html(None), elem_id="poll-student-question")
            with gr.Row(equal_height=True):
                answer_box = gr.Textbox(label="Your answer", placeholder="a token (like mat), or a number", scale=3,
                                        max_length=MAX_ANSWER_CHARS, elem_id="poll-answer-box")
                send_btn = gr.Button("Send", variant="primary", scale=1, min_width=100)
            s_status = gr.Markdown(elem_id="poll-student-status")
            s_plot = gr.Plot(visible=False, show_label=False, elem_id="poll-student-chart")
            s_timer = gr.Timer(STUDENT_EVERY_S, active=False)
        with gr.Tab("Teacher", id="poll-teacher"):
            t_code, t_seen = gr.State(None), gr.State(-1)
            start_btn = gr.Button("Start a room", variant="primary")
            code_view = gr.HTML(elem_id="poll-code")
            with gr.Row():
                kind = gr.Radio(list(KINDS), value=NEXT_TOKEN, label="Question", scale=1,
                                info="next token: what will SmolLM2 write next? token count: how many tokens "
                                     "is this text?")
                prompt = gr.Textbox(label="Text", value="The cat sat on the", lines=2, scale=3,
                                    elem_id="poll-prompt")
            gr.Examples(EXAMPLES, inputs=[kind, prompt], label="Questions that start an argument", api_name="poll_example")
            with gr.Row():
                push_btn = gr.Button("Push question", variant="primary")
                reveal_btn = gr.Button("Reveal the model's answer")
            t_status = gr.Markdown(elem_id="poll-teacher-status")
            t_plot = gr.Plot(show_label=False, elem_id="poll-chart")
            t_reveal = gr.Markdown(elem_id="poll-reveal")
            t_timer = gr.Timer(TEACHER_EVERY_S, active=False)

    # --- wiring --------------------------------------------------------------------------------------------
    hidden = {"show_progress": "hidden", **LIGHT_WORK}
    start_btn.click(page.start, None, [t_code, t_seen, code_view, t_status, t_plot, t_reveal, t_timer],
                    api_name="poll_page_start", **LIGHT_WORK)
    push_btn.click(page.push, [t_code, kind, prompt], [t_seen, t_status, t_plot, t_reveal],
                   api_name="poll_page_push", **MODEL_WORK)
    reveal_btn.click(page.reveal, [t_code], [t_seen, t_status, t_plot, t_reveal], api_name="poll_page_reveal",
                     **LIGHT_WORK)
    t_timer.tick(page.teacher_tick, [t_code, t_seen], [t_code, t_seen, t_status, t_plot, t_reveal, t_timer],
                 api_name="poll_page_teacher_tick", **hidden)
    student_outputs = [s_code, s_seen, s_question, s_question_html, s_status, answer_box, s_plot, s_timer]
    join_btn.click(page.join, [code_box], student_outputs, api_name="poll_page_join", **LIGHT_WORK)
    code_box.submit(page.join, [code_box], student_outputs, api_name="poll_page_join_submit", **LIGHT_WORK)
    send_btn.click(page.send, [s_code, s_question, answer_box], [s_seen, s_status], api_name="poll_page_send",
                   **LIGHT_WORK)
    answer_box.submit(page.send, [s_code, s_question, answer_box], [s_seen, s_status],
                      api_name="poll_page_send_submit", **LIGHT_WORK)
    s_timer.tick(page.student_tick, [s_code, s_seen, s_question], student_outputs, api_name="poll_page_student_tick",
                 **hidden)

    gr.api(poll.poll_start, api_name="poll_start", **LIGHT_WORK)
    gr.api(poll.poll_ask, api_name="poll_ask", **MODEL_WORK)
    gr.api(poll.poll_join, api_name="poll_join", **LIGHT_WORK)
    gr.api(poll.poll_answer, api_name="poll_answer", **LIGHT_WORK)
    gr.api(poll.poll_results, api_name="poll_results", **LIGHT_WORK)
    gr.api(poll.poll_reveal, api_name="poll_reveal", **LIGHT_WORK)
