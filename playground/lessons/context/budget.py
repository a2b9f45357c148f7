"""The token budget of one request, and what each overflow strategy removes.

A request is a system prompt, a chat history, retrieved documents and a question; the model gets
them rendered through its chat template, and the answer must fit in what is left of the context
window. Every token of the rendered text is attributed to the part whose text it starts in; the
rest (the template's markers, its default system prompt when there is none, and the few words
that lay out the documents) is "template". So the parts always add up to the tokenizer's own
count of the rendered request.

When the request does not fit in `window - reserve` tokens, a strategy makes it fit:
- drop_oldest: remove history turns, oldest first;
- cut_documents: keep the first n tokens of every document, with n as large as fits;
- cut_middle: keep the first and the last n/2 tokens of every document, cutting the middle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from playground.checks import UserInputError

PARTS = ("system", "history", "documents", "question", "template")
STRATEGIES = ("drop_oldest", "cut_documents", "cut_middle")
ROLES = ("user", "assistant")
MAX_CHARS = 400_000  # all parts together: about 100k tokens, far past any window here
ELLIPSIS = " … "  # where cut_middle joined a document's two ends


@dataclass(frozen=True)
class Request:
    system: str = ""
    history: tuple[tuple[str, str], ...] = ()  # (role, content)
    documents: tuple[str, ...] = ()
    question: str = ""


def parse_history(history_json: object) -> tuple[tuple[str, str], ...]:
    """A JSON list of {"role", "content"} turns, or a UserInputError that says what is wrong."""
    if history_json in (None, ""):
        return ()
    try:
        turns = json.loads(history_json) if isinstance(history_json, str) else history_json
    except json.JSONDecodeError as exc:
        raise UserInputError(f"The chat history is not valid JSON: {exc.msg} at character {exc.pos + 1}. "
                             'Write a list like [{"role": "user", "content": "Hi"}].') from None
    if not isinstance(turns, list):
        raise UserInputError('The chat history must be a JSON list of {"role": ..., "content": ...} turns.')
    out = []
    for i, turn in enumerate(turns, 1):
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise UserInputError(f'History turn {i} must be {{"role": "user" or "assistant", "content": text}}.')
        if not turn["content"].strip():
            raise UserInputError(f"History turn {i} is empty.")
        out.append((turn["role"], turn["content"]))
    return tuple(out)


def split_documents(text: object) -> tuple[str, ...]:
    """Documents separated by a line with only `---` (or, without any, by blank lines)."""
    if not isinstance(text, str) or not text.strip():
        return ()
    chunks = text.split("\n---\n") if "\n---\n" in text else text.split("\n\n")
    return tuple(c.strip() for c in chunks if c.strip())


def make_request(system: object, history_json: object, documents: object, question: object) -> Request:
    texts = [t for t in (system, documents, question) if t is not None]
    if any(not isinstance(t, str) for t in texts):
        raise UserInputError("The system prompt, the documents and the question must be text.")
    req = Request(str(system or "").strip(), parse_history(history_json), split_documents(documents),
                  str(question or "").strip())
    if not req.question:
        raise UserInputError("The question is empty: a request always ends with what the user asks.")
    size = len(req.system) + len(req.question) + sum(len(c) for _, c in req.history) + sum(map(len, req.documents))
    if size > MAX_CHARS:
        raise UserInputError(f"The request is {size:,} characters; the lesson counts up to {MAX_CHARS:,}.")
    return req


def user_turn(req: Request) -> str:
    """The last user turn: the documents (numbered), then the question."""
    if not req.documents:
        return req.question
    docs = "\n\n".join(f"[{i}] {d}" for i, d in enumerate(req.documents, 1))
    return f"Documents:\n\n{docs}\n\nQuestion: {req.question}"


def messages(req: Request) -> list[dict[str, str]]:
    turns = [{"role": "system", "content": req.system}] if req.system else []
    turns += [{"role": r, "content": c} for r, c in req.history]
    return turns + [{"role": "user", "content": user_turn(req)}]


@dataclass
class Count:
    ids: list[int]
    parts: dict[str, int]  # tokens per part, in PARTS order
    owner: list[str]  # the part of every token
    text: str  # the rendered request

    @property
    def total(self) -> int:
        return len(self.ids)


def _pieces(req: Request) -> list[tuple[str, str]]:
    """(part, text) in the order they appear in the rendered request."""
    out = [("system", req.system)] if req.system else []
    out += [("history", c) for _, c in req.history]
    out += [("documents", d) for d in req.documents]
    return out + [("question", req.question)]


def count(tokenizer: Any, req: Request) -> Count:
    """Every token of the rendered request, attributed to the part its first character is in."""
    text = tokenizer.apply_chat_template(messages(req), tokenize=False, add_generation_prompt=True)
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    spans, cursor = [], 0
    for part, piece in _pieces(req):
        start = text.find(piece, cursor)
        if start < 0:  # a template that rewrites the text: leave it to "template"
            continue
        spans.append((start, start + len(piece), part))
        cursor = start + len(piece)
    owner, k = [], 0
    for start, _ in enc["offset_mapping"]:
        while k < len(spans) and spans[k][1] <= start:
            k += 1
        owner.append(spans[k][2] if k < len(spans) and spans[k][0] <= start < spans[k][1] else "template")
    parts = {p: owner.count(p) for p in PARTS}
    return Count([int(i) for i in enc["input_ids"]], parts, owner, text)


@dataclass
class Fitted:
    request: Request  # after the strategy
    before: Count
    after: Count
    budget: int  # window - reserve
    dropped: list[dict[str, str]] = field(default_factory=list)  # {"part", "text"}: what the strategy removed

    @property
    def overflow(self) -> int:
        return max(0, self.before.total - self.budget)

    @property
    def fits(self) -> bool:
        return self.after.total <= self.budget


def _cut_docs(tokenizer: Any, docs: tuple[str, ...], keep: int, middle: bool) -> tuple[tuple[str, ...], list[dict]]:
    kept, dropped = [], []
    for i, doc in enumerate(docs, 1):
        ids = tokenizer(doc, add_special_tokens=False)["input_ids"]
        if len(ids) <= keep:
            kept.append(doc)
            continue
        if keep == 0:
            dropped.append({"part": f"document {i}", "text": doc})
            continue
        if middle:
            head, tail = ids[: (keep + 1) // 2], ids[len(ids) - keep // 2:] if keep // 2 else []
            kept.append(tokenizer.decode(head) + ELLIPSIS + tokenizer.decode(tail))
            dropped.append({"part": f"document {i} (middle)", "text": tokenizer.decode(ids[len(head):len(ids) - len(tail)])})
        else:
            kept.append(tokenizer.decode(ids[:keep]))
            dropped.append({"part": f"document {i} (end)", "text": tokenizer.decode(ids[keep:])})
    return tuple(d for d in kept if d.strip()), dropped


def fit(tokenizer: Any, req: Request, window: int, reserve: int, strategy: str) -> Fitted:
    """The request after `strategy`, so that it fits in `window - reserve` tokens where it can."""
    if strategy not in STRATEGIES:
        raise UserInputError(f"The strategy must be one of {', '.join(STRATEGIES)}.")
    if not 0 <= reserve < window:
        raise UserInputError(f"The room reserved for the answer ({reserve:,} tokens) must be less than the window "
                             f"({window:,} tokens).")
    budget = window - reserve
    before = count(tokenizer, req)
    if before.total <= budget:
        return Fitted(req, before, before, budget)
    if strategy == "drop_oldest":
        history, dropped = list(req.history), []
        after = before
        while history and after.total > budget:
            role, content = history.pop(0)
            dropped.append({"part": f"history turn {len(dropped) + 1} ({role})", "text": content})
            after = count(tokenizer, replace(req, history=tuple(history)))
        return Fitted(replace(req, history=tuple(history)), before, after, budget, dropped)
    middle = strategy == "cut_middle"
    longest = max((len(tokenizer(d, add_special_tokens=False)["input_ids"]) for d in req.documents), default=0)
    lo, hi = 0, longest  # the largest per-document keep that fits, by bisection (counts grow with keep)
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        docs, dropped = _cut_docs(tokenizer, req.documents, mid, middle)
        trial = replace(req, documents=docs)
        c = count(tokenizer, trial)
        if c.total <= budget:
            best, lo = (trial, c, dropped), mid + 1
        else:
            hi = mid - 1
    if best is None:  # even without the documents it does not fit
        docs, dropped = _cut_docs(tokenizer, req.documents, 0, middle)
        trial = replace(req, documents=docs)
        best = (trial, count(tokenizer, trial), dropped)
    trial, after, dropped = best
    return Fitted(trial, before, after, budget, dropped)


def budget_json(f: Fitted, window: int) -> dict[str, Any]:
    """The `context_budget` endpoint's JSON."""
    return {"window": window, "parts": [{"name": p, "tokens": n} for p, n in f.after.parts.items()],
            "total": f.after.total, "overflow": f.overflow, "dropped": f.dropped}
