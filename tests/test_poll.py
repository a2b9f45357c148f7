"""The class poll: rooms (caps, expiry, last answer counts, teacher only, bad input), the model's answers against
transformers and the tokenizer, 30 simulated students through gradio_client, and a teacher and a student in the
browser."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import torch

from playground.checks import UserInputError
from playground.classroom import answers, rooms as R
from playground.classroom.rooms import NEXT_TOKEN, TOKEN_COUNT, Rooms


class Clock:
    """A clock a test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def room_with_question(kind: str = NEXT_TOKEN, **kwargs) -> tuple[Rooms, str]:
    rooms = Rooms(**kwargs)
    code = rooms.start("teacher")
    rooms.ask(code, "teacher", kind, "The cat sat on the", None)
    return rooms, code


# --- rooms ---------------------------------------------------------------------------------------------------


def test_codes_are_short_unambiguous_and_unique(monkeypatch):
    rooms = Rooms()
    codes = [rooms.start(f"teacher-{i}") for i in range(R.MAX_ROOMS)]
    assert len(set(codes)) == len(codes) == len(rooms) == R.MAX_ROOMS
    assert all(len(c) == R.CODE_LENGTH and set(c) <= set(R.ALPHABET) for c in codes)
    assert not set("0O1IL") & set(R.ALPHABET)
    # a drawn code that is already open is drawn again
    draws = iter("AAAAA" "AAAAA" "BBBBB")
    monkeypatch.setattr(R.secrets, "choice", lambda alphabet: next(draws))
    fresh = Rooms()
    assert fresh.start("t1") == "AAAAA" and fresh.start("t2") == "BBBBB"


def test_codes_are_read_forgivingly_and_refused_clearly():
    rooms = Rooms()
    code = rooms.start("teacher")
    assert rooms.join(f"  {code.lower()[:2]} {code.lower()[2:]} ", "s1").code == code
    for bad, message in [("", "Type the room code"), (None, "Type the room code"), ("ABC", "is not a room code"),
                         ("ABCD0", "no 0, O, 1, I or L"), ("X" * 500, "is not a room code")]:
        with pytest.raises(UserInputError, match=message):
            rooms.join(bad, "s1")
    unknown = next(c for c in ("ZZZZZ", "YYYYY") if c != code)
    with pytest.raises(UserInputError, match=f"There is no open room {unknown}"):
        rooms.join(unknown, "s1")
    assert rooms.join(code, "s1").code == code  # still works after the errors


def test_rooms_and_students_are_capped():
    rooms = Rooms(max_rooms=3, max_students=2)
    codes = [rooms.start(f"t{i}") for i in range(3)]
    with pytest.raises(UserInputError, match="already has 3 open rooms"):
        rooms.start("t3")
    again = rooms.start("t0")  # a teacher starting again replaces their room: no second one held
    assert len(rooms) == 3 and again not in codes[1:]
    with pytest.raises(UserInputError, match="no open room"):
        rooms.results(codes[0])
    rooms.join(again, "s1")
    rooms.join(again, "s2")
    rooms.join(again, "s1")  # joining twice is one student
    with pytest.raises(UserInputError, match="full: it takes at most 2 students"):
        rooms.join(again, "s3")
    rooms.ask(again, "t0", NEXT_TOKEN, "Hello", None)
    with pytest.raises(UserInputError, match="full"):
        rooms.answer(again, "s3", "world")  # answering joins, within the same cap
    assert rooms.answer(again, "s2", "world").answers == 1


def test_a_room_expires_after_inactivity_and_a_students_reading_is_not_activity():
    clock = Clock()
    rooms = Rooms(clock=clock, idle_s=60)
    code = rooms.start("teacher")
    clock.now += 50
    rooms.join(code, "s1")  # activity: the minute starts again
    clock.now += 50
    rooms.results(code, "teacher")  # the teacher's page, open and polling: the class is in session
    clock.now += 50
    rooms.results(code, "s1")  # a student's page polling is not activity
    rooms.results(code)
    clock.now += 11
    with pytest.raises(UserInputError, match="no open room"):
        rooms.results(code, "s1")
    assert len(rooms) == 0
    fresh = rooms.start("teacher")  # the teacher starts again, fine
    assert rooms.results(fresh).question is None


def test_one_answer_per_student_per_question_and_the_last_counts():
    rooms, code = room_with_question()
    rooms.join(code, "s1")
    assert rooms.answer(code, "s1", "rug").answers == 1
    s = rooms.answer(code, "s1", "  mat ")
    assert (s.answers, s.your_answer, s.counts) == (1, "mat", (("mat", 1),))
    rooms.answer(code, "s2", "Mat")
    rooms.answer(code, "s3", "MAT")
    rooms.answer(code, "s4", "floor")
    s = rooms.results(code, "s4")
    assert s.counts == (("mat", 3), ("floor", 1))  # case and surrounding spaces ignored, first spelling shown
    assert s.your_answer == "floor" and rooms.results(code, "s9").your_answer is None
    assert rooms.results(code).model is None  # not revealed
    # a new question starts from nothing
    s = rooms.ask(code, "teacher", TOKEN_COUNT, "unbelievably", None)
    assert (s.question, s.answers, s.counts) == (2, 0, ())
    rooms.answer(code, "s1", "3")
    rooms.answer(code, "s2", "1,000")
    rooms.answer(code, "s3", " 3 ")
    assert rooms.results(code).counts == (("3", 2), ("1000", 1))


def test_the_most_common_spelling_names_a_group_and_ties_read_in_order():
    counts = R.aggregate(NEXT_TOKEN, [R.normalise(NEXT_TOKEN, a) for a in ["Paris", "paris", "Paris", "Lyon", "Berlin"]])
    assert counts == [("Paris", 3), ("Berlin", 1), ("Lyon", 1)]
    counts = R.aggregate(TOKEN_COUNT, [R.normalise(TOKEN_COUNT, a) for a in ["12", "3", "12", "4"]])
    assert counts == [("12", 2), ("3", 1), ("4", 1)]


def test_only_the_teacher_asks_and_reveals_and_the_teacher_does_not_answer():
    rooms, code = room_with_question()
    rooms.join(code, "s1")
    with pytest.raises(UserInputError, match="Only the teacher who started room"):
        rooms.ask(code, "s1", NEXT_TOKEN, "Hijack", None)
    with pytest.raises(UserInputError, match="Only the teacher"):
        rooms.reveal(code, "s1")
    with pytest.raises(UserInputError, match="Only the teacher"):
        rooms.check_teacher(code, "s1")
    with pytest.raises(UserInputError, match="your students answer, not you"):
        rooms.answer(code, "teacher", "mat")
    assert rooms.results(code).prompt == "The cat sat on the"


def test_bad_answers_and_questions_get_a_sentence():
    rooms = Rooms()
    code = rooms.start("teacher")
    with pytest.raises(UserInputError, match="has not asked a question yet"):
        rooms.answer(code, "s1", "mat")
    with pytest.raises(UserInputError, match="question kind must be one of"):
        rooms.ask(code, "teacher", "essay", "Hello", None)
    with pytest.raises(UserInputError, match="at most 2,000"):
        rooms.ask(code, "teacher", NEXT_TOKEN, "x" * 2001, None)
    with pytest.raises(UserInputError, match="empty"):
        rooms.ask(code, "teacher", NEXT_TOKEN, "   ", None)
    assert rooms.ask(code, "teacher", "next_token", "The cat sat on the ", None).prompt.endswith(" ")  # kept as typed
    for bad, message in [("", "Your answer is empty"), ("   ", "Your answer is empty"), (None, "empty"),
                         ("x" * 101, "at most 100"), ("a\x00b", "control character")]:
        with pytest.raises(UserInputError, match=message):
            rooms.answer(code, "s1", bad)
    with pytest.raises(UserInputError, match="moved on to question 1"):
        rooms.answer(code, "s1", "mat", question=0)
    rooms.ask(code, "teacher", TOKEN_COUNT, "Hello", None)
    for bad in ["twelve", "1.5", "-3", "12 tokens"]:
        with pytest.raises(UserInputError, match="whole number"):
            rooms.answer(code, "s1", bad)
    with pytest.raises(UserInputError, match="far fewer"):
        rooms.answer(code, "s1", "999999")
    rooms.answer(code, "s1", "2")
    rooms.reveal(code, "teacher")
    with pytest.raises(UserInputError, match="revealed, so answers to it are closed"):
        rooms.answer(code, "s1", "3")
    with pytest.raises(UserInputError, match="no session"):
        rooms.join(code, "")


def test_the_registry_is_thread_safe():
    rooms, code = room_with_question(max_students=500)

    def student(i: int) -> None:
        rooms.join(code, f"s{i}")
        for guess in ("rug", "floor", "mat" if i % 2 else "bed"):
            rooms.answer(code, f"s{i}", guess)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = rooms.results(code)
    assert s.students == 200 and s.answers == 200 and dict(s.counts) == {"mat": 100, "bed": 100}


# --- the model's answers, against the libraries ------------------------------------------------------------------

PROMPTS = ["The cat sat on the", "The capital of France is", "1, 2, 3, 4,"]  # the last one's answer is a bare space


@pytest.mark.parametrize("prompt", PROMPTS)
def test_the_next_token_is_the_argmax_of_the_models_own_logits(hub, lm, prompt):
    got = answers.compute(hub, NEXT_TOKEN, prompt)
    ids = lm.tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        logits = lm.model(ids).logits[0, -1]
    probs = torch.softmax(logits.double(), dim=-1)
    top = int(logits.argmax())
    assert got.token_id == top and got.answer == lm.tokenizer.decode([top])
    assert got.probability == pytest.approx(float(probs[top]), abs=1e-5)
    text = lm.tokenizer.decode([top])
    assert got.label == (text.strip() or answers.visible(text)) and got.prompt_tokens == ids.shape[1]


def test_a_class_answer_gets_the_probability_of_every_token_spelled_the_same(hub, lm):
    got = answers.compute(hub, NEXT_TOKEN, "The cat sat on the")
    ids = lm.tokenizer("The cat sat on the", return_tensors="pt").input_ids
    with torch.no_grad():
        probs = torch.softmax(lm.model(ids).logits[0, -1].double(), dim=-1)
    tok = lm.tokenizer
    # the reference: the token ids of the spellings, from the tokenizer's own vocabulary
    vocab = tok.get_vocab()
    spellings = [s for s in ("Ġmat", "mat", "ĠMat", "Mat", "ĠMAT", "MAT") if s in vocab]
    assert "Ġmat" in spellings
    expected = sum(float(probs[vocab[s]]) for s in spellings)
    assert got.probability_of("mat") == pytest.approx(expected, abs=1e-5)
    assert got.probability_of(" MAT ") == got.probability_of("mat")
    assert got.probability_of("xylophonequartz") is None  # no single token spells it
    detail = got.as_json((("mat", 3), ("xylophonequartz", 1)))
    assert detail["answer_probabilities"][1] == ["xylophonequartz", None]
    assert detail["answer_probabilities"][0][1] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("text", ["unbelievably", "Le chat est assis sur le tapis.", "def add(a, b): return a + b",
                                  "🤗 emoji and   spaces\n", "The cat sat on the"])
def test_the_token_count_is_the_tokenizers_own(hub, text):
    tok = hub.tokenizer(answers.MODEL)
    got = answers.compute(hub, TOKEN_COUNT, text)
    n = len(tok(text).input_ids)
    assert got.answer == got.label == str(n) and len(got.tokens) == n
    if "🤗" in text:  # split across tokens: each part shows its bytes
        assert got.tokens[0].startswith("<F0")
    else:
        assert "".join(got.tokens) == text
    assert got.probability is None and got.probability_of("3") is None


def test_a_question_too_long_in_tokens_is_refused(hub):
    with pytest.raises(UserInputError, match="tokens long"):
        answers.compute(hub, NEXT_TOKEN, "🤗" * 1500)


def test_the_chart_draws_the_class_and_the_model_with_student_text_escaped(hub):
    from playground.classroom.figures import poll_figure

    model = answers.compute(hub, NEXT_TOKEN, "The cat sat on the")
    counts = tuple((f"guess{i}", 1) for i in range(20)) + (("<b>x</b>", 1),)
    fig = poll_figure(NEXT_TOKEN, counts, None)
    assert len(fig.data) == 1 and "(9 other answers)" in fig.data[0].y
    fig = poll_figure(NEXT_TOKEN, counts, model)
    labels = list(fig.data[0].y)
    assert len(fig.data) == 2 and any(model.label in lab and "★" in lab for lab in labels)  # nobody said it: still drawn
    drawn = poll_figure(NEXT_TOKEN, (("<b>x</b>", 1),), None).data[0].y
    assert "&lt;b&gt;x&lt;/b&gt;" in drawn
    count = answers.compute(hub, TOKEN_COUNT, "unbelievably")
    fig = poll_figure(TOKEN_COUNT, (("3", 2), ("1", 1)), count)
    assert list(fig.data[0].x) == sorted({"1", "3", count.label}, key=int)


# --- the page's timers --------------------------------------------------------------------------------------


def test_the_pages_timers_stop_without_a_room_and_send_nothing_when_nothing_changed(hub):
    import gradio as gr

    from playground.ui import poll_tab

    rooms = Rooms()
    page = poll_tab.Page(poll_tab.Poll(hub, rooms))
    teacher, student = SimpleNamespace(session_hash="t"), SimpleNamespace(session_hash="s")
    stopped = page.teacher_tick(None, -1, teacher)[-1]
    assert isinstance(stopped, gr.Timer) and stopped.active is False
    assert page.student_tick(None, -1, None, student)[-1].active is False
    code, seen, *_, timer = page.start(teacher)
    assert timer.active
    assert all(out == gr.skip() for out in page.teacher_tick(code, seen, teacher))  # unchanged: nothing is sent
    s_code, s_seen, s_question, question, _, _, _, s_timer = page.join(code, student)
    assert s_timer.active and s_question is None and "not asked a question yet" in question
    assert all(out == gr.skip() for out in page.student_tick(s_code, s_seen, s_question, student))
    _, seen, status, *_ = page.teacher_tick(code, seen, teacher)
    assert "1 student joined" in status
    rooms.ask(code, "t", NEXT_TOKEN, "The cat sat on the ", None)
    _, s_seen, s_question, question, status, cleared, _, _ = page.student_tick(s_code, s_seen, s_question, student)
    assert s_question == 1 and "The cat sat on the" in question and "␣" in question and cleared == ""
    s_seen, status = page.send(s_code, s_question, "<b>mat</b>", student)
    assert "Your answer: **\\<b\\>mat\\</b\\>**" in status and "1 answer so far" in status
    rooms.ask(code, "t", NEXT_TOKEN, "Once upon a", None)
    with pytest.raises(gr.Error, match="moved on to question 2"):  # the page answers the question it showed
        page.send(s_code, s_question, "time", student)
    page.start(teacher)  # the teacher's new room closes this one: the student's page says so and stops polling
    out = page.student_tick(s_code, s_seen, s_question, student)
    assert out[0] is None and "has closed" in out[4] and out[-1].active is False
    out = page.teacher_tick(code, seen, teacher)
    assert out[0] is None and "closed" in out[2] and out[-1].active is False


# --- through the app: 30 students, two rooms ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def poll_app(hub):
    from conftest import launch_lesson

    from playground.ui import poll_tab

    registry = Rooms()  # this module's own rooms, not the process's
    tab = SimpleNamespace(TITLE=poll_tab.TITLE, ENDPOINTS=poll_tab.ENDPOINTS,
                          build_tab=lambda h: poll_tab.build_tab(h, registry))
    yield from launch_lesson(hub, tab)


def _client(url: str):
    from gradio_client import Client

    # a generous timeout: the machine running the tests may be busy (making a Client reads the app's API info)
    return Client(url, verbose=False, httpx_kwargs={"timeout": 120})


STUDENT_ANSWERS = ["mat", " Mat", "floor", "rug", "MAT", "bed", "sofa", "floor", "mat", "couch"] * 3  # 30


@pytest.mark.app
def test_thirty_students_answer_and_every_answer_is_counted(poll_app, hub, lm):
    from playground.ui import poll_tab

    teacher = _client(poll_app)
    listed = {name.lstrip("/") for name in teacher.view_api(return_format="dict", print_info=False)["named_endpoints"]}
    assert listed == set(poll_tab.ENDPOINTS)
    code = teacher.predict(api_name="/poll_start")["code"]
    asked = teacher.predict(code, "next token", "The cat sat on the", api_name="/poll_ask")
    assert asked == {"code": code, "question": 1, "kind": "next token", "prompt": "The cat sat on the"}

    # 30 students, each its own Client (its own session); made a few at a time, then all answer at once
    with ThreadPoolExecutor(max_workers=4) as pool:
        clients = list(pool.map(lambda _: _client(poll_app), range(30)))

    def student(i: int) -> tuple[object, dict, dict]:
        c = clients[i]
        joined = c.predict(code.lower(), api_name="/poll_join")
        assert joined == asked
        if i % 5 == 0:  # a few change their minds: the last answer counts
            c.predict(code, "something else", api_name="/poll_answer")
        sent = c.predict(code, STUDENT_ANSWERS[i], api_name="/poll_answer")
        return c, sent, c.predict(code, api_name="/poll_results")

    with ThreadPoolExecutor(max_workers=30) as pool:
        students = list(pool.map(student, range(30)))
    for i, (_, sent, seen) in enumerate(students):
        assert sent["code"] == code and sent["question"] == 1 and sent["your_answer"] == STUDENT_ANSWERS[i].strip()
        assert seen["your_answer"] == STUDENT_ANSWERS[i].strip() and seen["model_answer"] is None
    results = teacher.predict(code, api_name="/poll_results")
    expected = Counter(a.strip().casefold() for a in STUDENT_ANSWERS)
    assert results["answers"] == 30 and results["students"] == 30 and results["your_answer"] is None
    assert {label.casefold(): n for label, n in results["counts"]} == expected
    assert [n for _, n in results["counts"]] == sorted(expected.values(), reverse=True)
    assert results["model_answer"] is None and results["model_detail"] is None  # not until the teacher reveals

    # what a student sees: the counts and their own answer, never anyone else's session or answer by name
    _, _, seen = students[3]
    assert set(seen) == {"code", "question", "kind", "prompt", "answers", "counts", "model_answer", "revealed",
                         "students", "your_answer", "model_detail"}
    text = json.dumps(seen)
    assert not any(c.session_hash in text for c, _, _ in students) and teacher.session_hash not in text

    # a student cannot push a question or reveal
    pupil = students[0][0]
    with pytest.raises(Exception, match="Only the teacher who started room"):
        pupil.predict(code, "next token", "Hijacked", api_name="/poll_ask")
    with pytest.raises(Exception, match="Only the teacher"):
        pupil.predict(code, api_name="/poll_reveal")
    assert teacher.predict(code, api_name="/poll_results")["prompt"] == "The cat sat on the"

    # a second room's answers never show in the first
    other_teacher = _client(poll_app)
    other = other_teacher.predict(api_name="/poll_start")["code"]
    assert other != code
    other_teacher.predict(other, "token count", "unbelievably", api_name="/poll_ask")
    for guess in ("3", "4", "3"):
        _client(poll_app).predict(other, guess, api_name="/poll_answer")
    pupil.predict(other, "2", api_name="/poll_answer")  # one student in both rooms
    assert teacher.predict(code, api_name="/poll_results")["counts"] == results["counts"]
    second = other_teacher.predict(other, api_name="/poll_results")
    assert second["counts"] == [["3", 2], ["2", 1], ["4", 1]] and second["students"] == 4
    assert pupil.predict(code, api_name="/poll_results")["your_answer"] == STUDENT_ANSWERS[0].strip()

    # an unknown code gets a clear message, and the next call still works
    unknown = next(c for c in ("ZZZZZ", "YYYYY") if c not in (code, other))
    with pytest.raises(Exception, match=f"There is no open room {unknown}"):
        pupil.predict(unknown, api_name="/poll_join")
    with pytest.raises(Exception, match="is not a room code"):
        pupil.predict("hello", "mat", api_name="/poll_answer")
    assert pupil.predict(code, api_name="/poll_join")["question"] == 1

    # the reveal: the model's own answer, the argmax of its logits, beside the class's
    revealed = teacher.predict(code, api_name="/poll_reveal")
    ids = lm.tokenizer("The cat sat on the", return_tensors="pt").input_ids
    with torch.no_grad():
        top = int(lm.model(ids).logits[0, -1].argmax())
    assert revealed["revealed"] and revealed["model_answer"] == lm.tokenizer.decode([top])
    detail = revealed["model_detail"]
    assert detail["token_id"] == top and 0 < detail["probability"] <= 1
    assert [label for label, _ in detail["answer_probabilities"]] == [label for label, _ in revealed["counts"]]
    assert all(p is None or 0 <= p <= 1 for _, p in detail["answer_probabilities"])
    assert pupil.predict(code, api_name="/poll_results")["model_answer"] == revealed["model_answer"]
    with pytest.raises(Exception, match="answers to it are closed"):
        pupil.predict(code, "mat", api_name="/poll_answer")


# --- in the browser -------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_teacher_and_a_student_in_the_browser(browser, poll_app, lm):
    from conftest import PageWatch

    teacher_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    student_ctx = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    try:
        teacher = PageWatch(teacher_ctx.new_page(), poll_app)
        tp = teacher.open("Class poll")
        tp.get_by_role("tab", name="Teacher", exact=True).click()
        tp.get_by_role("button", name="Start a room").click()
        code_el = tp.locator("#poll-code")
        code_el.get_by_text("Students: open this app").wait_for(timeout=30_000)
        code = code_el.inner_text().split()[0]
        assert len(code) == R.CODE_LENGTH
        tp.get_by_role("button", name="Push question").click()
        tp.locator("#poll-teacher-status").get_by_text("Question 1").wait_for(timeout=120_000)

        student = PageWatch(student_ctx.new_page(), poll_app)
        sp = student.open("Class poll")
        sp.locator("#poll-code-box textarea, #poll-code-box input").first.fill(code)
        sp.get_by_role("button", name="Join").click()
        sp.locator("#poll-student-question").get_by_text("The cat sat on the").wait_for(timeout=30_000)
        sp.locator("#poll-answer-box textarea, #poll-answer-box input").first.fill("mat")
        sp.get_by_role("button", name="Send").click()
        sp.locator("#poll-student-status").get_by_text("Your answer:").wait_for(timeout=30_000)

        # the teacher's chart picks the answer up on its own (the timer)
        tp.locator("#poll-teacher-status").get_by_text("1 answer").wait_for(timeout=30_000)
        tp.locator("#poll-chart").get_by_text("mat").first.wait_for(timeout=30_000)
        tp.get_by_role("button", name="Reveal the model's answer").click()
        tp.locator("#poll-reveal").get_by_text("Revealed.").wait_for(timeout=30_000)
        tp.locator("#poll-chart").get_by_text("the model's answer").first.wait_for(timeout=30_000)
        teacher.screenshot("poll-teacher")
        # the student's page shows the reveal (the class's chart and the model's answer) on its own
        sp.locator("#poll-student-status").get_by_text("Revealed.").wait_for(timeout=30_000)
        sp.locator("#poll-student-chart .js-plotly-plot").wait_for(timeout=30_000)
        width, inner = sp.evaluate("document.documentElement.scrollWidth"), sp.evaluate("window.innerWidth")
        student.screenshot("poll-student")
        assert width <= inner, f"the student's page scrolls sideways on a phone ({width} px > {inner} px)"
        teacher.assert_clean()
        student.assert_clean()
    finally:
        teacher_ctx.close()
        student_ctx.close()
