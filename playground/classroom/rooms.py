"""Poll rooms, in memory, with no accounts: a teacher's session opens a room under a short code, students'
sessions join with the code, and each student's last answer to the current question counts.

Nothing here is stored on disk or leaves the process. The registry is bounded (rooms, students per room,
characters per answer) and forgets a room after a while without activity, so a classroom (or a script) cannot
grow the server's memory. Who is who is the Gradio session hash the UI layer passes in: a room knows its
teacher's, and students' answers are kept by session so a changed answer replaces the earlier one; nobody is
ever shown another session's answer, only the counts.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from playground.checks import UserInputError, check_text
from playground.once import process_wide

# No 0/O, 1/I/L: a code read off a projector at the back of a room is typed right the first time.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 5
MAX_ROOMS = 50  # open rooms on one server
MAX_STUDENTS = 200  # sessions that joined one room
# a room with no activity for this long is gone: nobody asked, joined, answered or revealed, and its teacher's page
# (which reads it every few seconds while open) was closed
IDLE_EXPIRY_S = 30 * 60
MAX_ANSWER_CHARS = 100
MAX_PROMPT_CHARS = 2_000  # a poll question is read off a projector: a paragraph at most
MAX_TOKEN_COUNT = 100_000

NEXT_TOKEN, TOKEN_COUNT = "next token", "token count"
KINDS = (NEXT_TOKEN, TOKEN_COUNT)
QUESTION_TEXT = {
    NEXT_TOKEN: "What will the model's next token be after this text?",
    TOKEN_COUNT: "How many tokens does this text cost in SmolLM2's tokenizer?",
}


# --- input checks ------------------------------------------------------------------------------------------


def check_code(code: object) -> str:
    """A room code as typed (any case, stray spaces) -> its canonical form, or a UserInputError."""
    if not isinstance(code, str) or not code.strip():
        raise UserInputError(f"Type the room code from the teacher's screen ({CODE_LENGTH} letters and digits).")
    canonical = "".join(code.split()).upper()
    if len(canonical) != CODE_LENGTH or any(ch not in ALPHABET for ch in canonical):
        shown = canonical[:12] + ("…" if len(canonical) > 12 else "")
        raise UserInputError(
            f"“{shown}” is not a room code: a code is {CODE_LENGTH} letters and digits, like K7QX2, "
            "with no 0, O, 1, I or L. Check the code on the teacher's screen."
        )
    return canonical


def check_kind(kind: object) -> str:
    """'next token' or 'token count' (API clients may write next_token / token_count)."""
    name = " ".join(str(kind or "").replace("_", " ").replace("-", " ").lower().split())
    if name not in KINDS:
        raise UserInputError(f"The question kind must be one of: {', '.join(KINDS)}.")
    return name


def check_prompt(prompt: object) -> str:
    """The text a question is about, kept exactly as typed (a trailing space changes the next token)."""
    if isinstance(prompt, str) and len(prompt) > MAX_PROMPT_CHARS:
        raise UserInputError(f"The question's text is {len(prompt):,} characters long; a poll takes at most "
                             f"{MAX_PROMPT_CHARS:,}. Shorten it.")
    text, _ = check_text(prompt, max_chars=MAX_PROMPT_CHARS, what="question's text")
    return text


def check_session(session: object) -> str:
    if not isinstance(session, str) or not session:
        raise UserInputError("This call carries no session, so the room cannot tell who you are. "
                             "Use the app's page, or a gradio_client Client.")
    return session


@dataclass(frozen=True)
class Answer:
    shown: str  # as the student wrote it, without the surrounding whitespace
    key: str  # what it is grouped by


_COUNT = re.compile(r"\d{1,3}(,\d{3})+|\d+")


def normalise(kind: str, answer: object) -> Answer:
    """A student's answer -> (how it is shown, what it is grouped by), per kind.

    Next token: surrounding whitespace is dropped and case ignored, so " Mat", "mat" and "MAT" are one
    answer (a student typing into a box cannot show the token's leading space; the model's own answer
    keeps it visible, as ␣mat). Token count: a whole number (1,024 is read as 1024)."""
    if not isinstance(answer, str) or not answer.strip():
        raise UserInputError("Your answer is empty. Type it, then press Send.")
    if len(answer) > MAX_ANSWER_CHARS:
        raise UserInputError(f"Your answer is {len(answer):,} characters long; an answer takes at most "
                             f"{MAX_ANSWER_CHARS}. One token is usually a word or less.")
    text, _ = check_text(answer, max_chars=MAX_ANSWER_CHARS, what="answer")
    text = unicodedata.normalize("NFC", text.strip())
    if kind == TOKEN_COUNT:
        if not _COUNT.fullmatch(text):
            raise UserInputError("For a token count, answer with a whole number, like 12.")
        n = int(text.replace(",", ""))
        if n > MAX_TOKEN_COUNT:
            raise UserInputError(f"A poll's text has far fewer than {MAX_TOKEN_COUNT:,} tokens; answer with a "
                                 "smaller whole number.")
        return Answer(str(n), str(n))
    return Answer(text, next_token_key(text))


def next_token_key(text: str) -> str:
    """What a next-token answer is grouped by; the model's tokens are grouped the same way (answers.py)."""
    return unicodedata.normalize("NFC", text.strip()).casefold()


def aggregate(kind: str, answers: Iterable[Answer]) -> list[tuple[str, int]]:
    """[(answer, how many gave it)], most given first; a group is shown in its most common spelling."""
    groups: dict[str, Counter[str]] = {}
    for a in answers:
        groups.setdefault(a.key, Counter())[a.shown] += 1
    rows = [(spellings.most_common(1)[0][0], sum(spellings.values())) for spellings in groups.values()]
    if kind == TOKEN_COUNT:
        return sorted(rows, key=lambda r: (-r[1], int(r[0])))
    return sorted(rows, key=lambda r: (-r[1], r[0]))


# --- the registry ------------------------------------------------------------------------------------------


@dataclass
class Question:
    number: int
    kind: str
    prompt: str
    model: Any  # the model's own answer (answers.ModelAnswer), computed before the question is pushed
    revealed: bool = False
    answers: dict[str, Answer] = field(default_factory=dict)  # by student session: one each, the last counts


@dataclass
class Room:
    code: str
    teacher: str  # the session that started it: only it may push questions and reveal
    last_active: float
    students: set[str] = field(default_factory=set)
    question: Question | None = None
    asked: int = 0  # questions pushed so far
    version: int = 0  # bumped on every change, so a page's timer redraws only when something changed

    def touch(self, now: float) -> None:
        self.last_active = now
        self.version += 1


@dataclass(frozen=True)
class Snapshot:
    """One room as one session may see it: the counts, never who gave which answer."""

    code: str
    question: int | None
    kind: str | None
    prompt: str | None
    answers: int
    students: int
    counts: tuple[tuple[str, int], ...]
    revealed: bool
    model: Any  # the model's answer once the teacher revealed it, for everyone (the teacher's screen is the projector)
    your_answer: str | None  # this session's own answer to the current question
    is_teacher: bool
    version: int


class Rooms:
    """Every open room on this server, thread-safe (one lock: each operation is a few dict updates)."""

    def __init__(self, *, max_rooms: int = MAX_ROOMS, max_students: int = MAX_STUDENTS,
                 idle_s: float = IDLE_EXPIRY_S, clock: Callable[[], float] = time.monotonic):
        self.max_rooms, self.max_students, self.idle_s = max_rooms, max_students, idle_s
        self._clock = clock  # injectable, so a test can age a room without waiting half an hour
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._sweep(self._clock())
            return len(self._rooms)

    # teacher

    def start(self, teacher: str) -> str:
        """A new room for this session; the session's earlier room (if any) closes, so clicking
        *Start* again never holds two rooms."""
        teacher = check_session(teacher)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            for code in [c for c, r in self._rooms.items() if r.teacher == teacher]:
                del self._rooms[code]
            if len(self._rooms) >= self.max_rooms:
                minutes = round(self.idle_s / 60)
                raise UserInputError(
                    f"This server already has {self.max_rooms} open rooms, its limit. Try again in a few minutes "
                    f"(a room closes after {minutes} minutes without activity), or reuse a room that is open."
                )
            code = self._new_code()
            self._rooms[code] = Room(code, teacher, now)
            return code

    def check_teacher(self, code: object, session: str) -> str:
        """The room's canonical code if this session is its teacher (checked before the model runs)."""
        with self._lock:
            return self._teachers_room(code, session).code

    def ask(self, code: object, session: str, kind: str, prompt: str, model: Any) -> Snapshot:
        """Push a question: the previous one and its answers are gone, everyone sees this one."""
        kind, prompt = check_kind(kind), check_prompt(prompt)
        with self._lock:
            room = self._teachers_room(code, session)
            room.asked += 1
            room.question = Question(room.asked, kind, prompt, model)
            room.touch(self._clock())
            return self._snapshot(room, session)

    def reveal(self, code: object, session: str) -> Snapshot:
        """Show the model's answer; answers to this question close."""
        with self._lock:
            room = self._teachers_room(code, session)
            if room.question is None:
                raise UserInputError("Push a question first; then there is a model's answer to reveal.")
            room.question.revealed = True
            room.touch(self._clock())
            return self._snapshot(room, session)

    # students

    def join(self, code: object, session: str) -> Snapshot:
        with self._lock:
            room = self._room(code)
            session = check_session(session)
            if session != room.teacher and session not in room.students:
                if len(room.students) >= self.max_students:
                    raise UserInputError(f"Room {room.code} is full: it takes at most {self.max_students} students.")
                room.students.add(session)
            room.touch(self._clock())
            return self._snapshot(room, session)

    def answer(self, code: object, session: str, answer: object, question: int | None = None) -> Snapshot:
        """Record this session's answer to the current question (replacing its earlier one).
        `question`: the number the student's page showed; if the teacher has moved on, the answer is refused
        rather than counted for a question the student never read."""
        with self._lock:
            room = self._room(code)
            session = check_session(session)
            if session == room.teacher:
                raise UserInputError(f"You started room {room.code}: your students answer, not you. To try the "
                                     "student side, open the app in another browser or a private window.")
            q = room.question
            if q is None:
                raise UserInputError("The teacher has not asked a question yet. Wait for it to appear, then answer.")
            if question is not None and question != q.number:
                raise UserInputError(f"The teacher has moved on to question {q.number}. Read it, then answer again.")
            if q.revealed:
                raise UserInputError(f"The model's answer to question {q.number} has been revealed, so answers to "
                                     "it are closed. Wait for the next question.")
            given = normalise(q.kind, answer)
            if session not in room.students:  # answering joins, within the same cap
                if len(room.students) >= self.max_students:
                    raise UserInputError(f"Room {room.code} is full: it takes at most {self.max_students} students.")
                room.students.add(session)
            q.answers[session] = given
            room.touch(self._clock())
            return self._snapshot(room, session)

    # anyone with the code

    def results(self, code: object, session: str | None = None) -> Snapshot:
        """The room now: the counts (and your own answer). The teacher's page reading it (its chart's timer)
        keeps the room alive, since a class is in session while it is open; a student's reading does not."""
        with self._lock:
            room = self._room(code)
            if session is not None and session == room.teacher:
                room.last_active = self._clock()  # not a change: the version stays, nothing is redrawn
            return self._snapshot(room, session)

    # inside the lock

    def _sweep(self, now: float) -> None:
        for code in [c for c, r in self._rooms.items() if now - r.last_active > self.idle_s]:
            del self._rooms[code]

    def _room(self, code: object) -> Room:
        canonical = check_code(code)
        self._sweep(self._clock())
        room = self._rooms.get(canonical)
        if room is None:
            minutes = round(self.idle_s / 60)
            raise UserInputError(
                f"There is no open room {canonical}. Check the code on the teacher's screen: a room closes after "
                f"{minutes} minutes without activity, or when its teacher starts a new one."
            )
        return room

    def _teachers_room(self, code: object, session: str) -> Room:
        room = self._room(code)
        if check_session(session) != room.teacher:
            raise UserInputError(f"Only the teacher who started room {room.code} can push a question or reveal the "
                                 "answer, from the page that started it.")
        return room

    def _new_code(self) -> str:
        while True:  # 31⁵ ≈ 29 million codes for at most MAX_ROOMS rooms: a repeat is rare, but checked
            code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self._rooms:
                return code

    def _snapshot(self, room: Room, session: str | None) -> Snapshot:
        q = room.question
        if q is None:
            return Snapshot(room.code, None, None, None, 0, len(room.students), (), False, None, None,
                            session == room.teacher, room.version)
        mine = q.answers.get(session) if session else None
        return Snapshot(
            room.code, q.number, q.kind, q.prompt, len(q.answers), len(room.students),
            tuple(aggregate(q.kind, q.answers.values())), q.revealed, q.model if q.revealed else None,
            mine.shown if mine else None, session == room.teacher, room.version,
        )


default_rooms = process_wide(Rooms)  # the app's one registry: every page of this server sees the same rooms
