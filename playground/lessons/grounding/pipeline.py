"""The Grounding lesson's pipeline: validate the input, retrieve, answer closed book and
grounded, check support, and the self-consistency and evaluation runs. Plain data in and out;
the tab (`grounding.py`) only lays out and renders."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from playground.lm.prompts import chat_ids
from playground.lessons.grounding import answer as ans
from playground.lessons.grounding import evaluation as ev
from playground.lessons.grounding import retrieval as ret
from playground.lessons.grounding import support as sup
from playground.models import ModelHub
from playground.checks import UserInputError, check_text

LM_KEY = "smollm2-135m-instruct"
ENCODER_KEY = "all-minilm-l6-v2"
MAX_QUESTION_CHARS = 400
MAX_NEW_TOKENS = 48  # one or two sentences; the 135M model writes ~10 tokens/s on a small CPU
EVAL_MAX_NEW_TOKENS = 32  # the evaluation runs 30 answers; gold facts come in the first sentence
ANSWER_TEMPERATURE = 0.3  # main answers: low, so they are near the model's favourite, and the seed matters
MAX_K = 8
DEFAULT_K = 3
DEFAULT_THRESHOLD = 0.40
MAX_SEED = 2**31 - 1
MAX_SAMPLES = 8
MAX_UPLOAD_BYTES = 1_000_000
IDK = "I don't know."


def check_question(question: object) -> str:
    text, _ = check_text(question, max_chars=10**9, what="question")
    text = text.strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise UserInputError(
            f"The question is {len(text):,} characters long; please keep it under {MAX_QUESTION_CHARS} "
            "characters: ask one question, and put documents in the knowledge base instead."
        )
    return text


def check_settings(settings: dict | None) -> tuple[list[str], str]:
    settings = settings or default_settings()
    passages = settings.get("passages") or []
    if not passages:
        raise UserInputError(_empty_kb_message())
    mode = settings.get("mode", ret.DEFAULT_MODE)
    if mode not in ret.MODES:
        raise UserInputError(f"Retrieval must be one of {', '.join(ret.MODES)}.")
    return passages, mode


def _empty_kb_message() -> str:
    try:
        ret.parse_passages("")
    except ret.KnowledgeBaseError as exc:
        return str(exc)
    return "The knowledge base is empty."


def default_settings() -> dict:
    return {"passages": ret.builtin_passages(), "mode": ret.DEFAULT_MODE, "builtin": True}


def settings_from(kb_text: str, mode: str) -> dict:
    """Parse the knowledge-base box; KnowledgeBaseError becomes a message the learner reads."""
    try:
        passages = ret.parse_passages(kb_text)
    except ret.KnowledgeBaseError as exc:
        raise UserInputError(str(exc)) from None
    if mode not in ret.MODES:
        raise UserInputError(f"Retrieval must be one of {', '.join(ret.MODES)}.")
    return {"passages": passages, "mode": mode, "builtin": passages == ret.builtin_passages()}


def _answer(lm, messages: list[dict], *, seed: int, max_new_tokens: int, temperature: float = ANSWER_TEMPERATURE):
    prompt = chat_ids(lm.tokenizer, messages)
    return ans.generate(lm, prompt, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)[0]


def _sentences(st, text: str, hits: list[ret.Hit], question: str, cite: bool) -> list[dict]:
    """Support per sentence; `passage` is the knowledge-base line of the checker's best passage."""
    sents = sup.split_sentences(text)
    checks = sup.check_support(st, sents, [h.text for h in hits], question)
    out = []
    for c in checks:
        out.append(
            {
                "text": c.text,
                "supported": c.supported,
                "score": round(c.score, 4),
                "passage": hits[c.passage].id if c.passage >= 0 else -1,
                "cosine": c.cosine,
                "lexical": c.lexical,
                "missing": c.missing,
                "numbers_ok": c.numbers_ok,
                "cited": ans.citations(c.text, len(hits)) if cite else [],
            }
        )
    return out


def _tokens(gen: ans.Generation) -> list[dict]:
    return [{"token": t.token, "prob": t.prob, "entropy": t.entropy} for t in gen.tokens]


def ground_full(
    hub: ModelHub,
    question: str,
    k: int,
    threshold: float,
    seed: int,
    passages: list[str],
    mode: str = ret.DEFAULT_MODE,
    max_new_tokens: int | None = None,
) -> dict:
    """Everything the tab shows for one question (the API returns a subset, see `api_view`)."""
    question = check_question(question)
    if not passages:
        raise UserInputError(_empty_kb_message())
    max_new_tokens = max_new_tokens or MAX_NEW_TOKENS
    st = hub.get(ENCODER_KEY).model
    lm = hub.get(LM_KEY)
    hits = ret.retrieve(st, passages, question, k, mode)
    top = hits[0].score if hits else 0.0
    abstained = top < threshold
    closed = _answer(lm, ans.closed_book_messages(question), seed=seed, max_new_tokens=max_new_tokens)
    if abstained:
        grounded = {"answer": IDK, "tokens": [], "abstained": True, "sentences": [], "finished": True}
    else:
        g = _answer(lm, ans.grounded_messages(question, [h.text for h in hits]), seed=seed, max_new_tokens=max_new_tokens)
        grounded = {
            "answer": g.text,
            "tokens": _tokens(g),
            "abstained": False,
            "sentences": _sentences(st, g.text, hits, question, cite=True),
            "finished": g.finished,
        }
    return {
        "question": question,
        "k": k,
        "threshold": threshold,
        "seed": seed,
        "mode": mode,
        "top_score": top,
        "closed_book": {
            "answer": closed.text,
            "tokens": _tokens(closed),
            # the closed-book answer is checked against the same passages: did it say what they say?
            "sentences": _sentences(st, closed.text, hits, question, cite=False),
            "finished": closed.finished,
        },
        "grounded": grounded,
        "retrieved": [{"id": h.id, "text": h.text, "score": h.score, "cosine": h.cosine, "bm25": h.bm25} for h in hits],
    }


def api_view(full: dict) -> dict:
    """Exactly the shape the issue gives for api_name="ground"."""
    g = full["grounded"]
    return {
        "closed_book": {
            "answer": full["closed_book"]["answer"],
            "tokens": [{"token": t["token"], "prob": t["prob"]} for t in full["closed_book"]["tokens"]],
        },
        "grounded": {
            "answer": g["answer"],
            "tokens": [{"token": t["token"], "prob": t["prob"]} for t in g["tokens"]],
            "abstained": g["abstained"],
            "sentences": [
                {"text": s["text"], "supported": s["supported"], "score": s["score"], "passage": s["passage"]}
                for s in g["sentences"]
            ],
        },
        "retrieved": [{"id": r["id"], "text": r["text"], "score": r["score"]} for r in full["retrieved"]],
    }


def agreement(st, samples: list[str]) -> float:
    """Mean pairwise cosine of the samples' MiniLM embeddings (1.0 when all are identical)."""
    texts = [s or "(empty)" for s in samples]
    if len(texts) < 2:
        return 1.0
    vecs = np.stack([ret.embed_query(st, t) for t in texts])
    sims = [float(vecs[i] @ vecs[j]) for i, j in itertools.combinations(range(len(texts)), 2)]
    return float(np.mean(sims))


def consistency(
    hub: ModelHub, question: str, n: int, temperature: float, seed: int, k: int, passages: list[str], mode: str
) -> dict:
    """n sampled answers, closed book and grounded (whatever the threshold), and their agreement."""
    question = check_question(question)
    if not passages:
        raise UserInputError(_empty_kb_message())
    st = hub.get(ENCODER_KEY).model
    lm = hub.get(LM_KEY)
    hits = ret.retrieve(st, passages, question, k, mode)
    out = {"question": question, "temperature": temperature, "seed": seed}
    for key, messages in (
        ("closed_book", ans.closed_book_messages(question)),
        ("grounded", ans.grounded_messages(question, [h.text for h in hits])),
    ):
        prompt = chat_ids(lm.tokenizer, messages)
        gens = ans.generate(lm, prompt, max_new_tokens=EVAL_MAX_NEW_TOKENS, temperature=temperature, seed=seed, n=n)
        samples = [g.text for g in gens]
        out[key] = {
            "samples": samples,
            "agreement": agreement(st, samples),
            "distinct": len({ev.normalise(s).strip(" .") for s in samples}),
        }
    return out


def evaluate(hub: ModelHub, passages: list[str], mode: str, k: int, seed: int, progress=None) -> list[ev.EvalRow]:
    """Every built-in question, closed book and grounded (no abstention: it is applied when scoring)."""
    if not passages:
        raise UserInputError(_empty_kb_message())
    st = hub.get(ENCODER_KEY).model
    lm = hub.get(LM_KEY)
    questions = ev.load_questions()
    builtin = ret.builtin_passages()
    rows = []
    for i, q in enumerate(questions):
        if progress is not None:
            progress((i, len(questions)), desc=f"question {i + 1} of {len(questions)}: {q.question}")
        hits = ret.retrieve(st, passages, q.question, k, mode)
        closed = _answer(lm, ans.closed_book_messages(q.question), seed=seed, max_new_tokens=EVAL_MAX_NEW_TOKENS)
        grounded = _answer(lm, ans.grounded_messages(q.question, [h.text for h in hits]), seed=seed, max_new_tokens=EVAL_MAX_NEW_TOKENS)
        cs = _sentences(st, closed.text, hits, q.question, cite=False)
        gs = _sentences(st, grounded.text, hits, q.question, cite=True)
        rows.append(
            ev.EvalRow(
                question=q.question,
                gold=q.gold,
                closed_answer=closed.text,
                grounded_answer=grounded.text,
                top_score=hits[0].score if hits else 0.0,
                gold_retrieved=None if q.passage is None else any(
                    h.text == builtin[q.passage] for h in hits
                ),
                closed_supported=sum(s["supported"] for s in cs),
                closed_sentences=len(cs),
                grounded_supported=sum(s["supported"] for s in gs),
                grounded_sentences=len(gs),
            )
        )
    return rows


def eval_top_scores(hub: ModelHub, passages: list[str], mode: str) -> list[float]:
    """The top retrieval score of each built-in question: enough to draw coverage live."""
    st = hub.get(ENCODER_KEY).model
    return [ret.retrieve(st, passages, q.question, 1, mode)[0].score for q in ev.load_questions()]


def read_upload(path: str | None) -> str:
    if not path:
        raise UserInputError("No file was uploaded.")
    p = Path(path)
    if p.stat().st_size > MAX_UPLOAD_BYTES:
        raise UserInputError(f"The file is {p.stat().st_size:,} bytes; upload a .txt file under {MAX_UPLOAD_BYTES:,} bytes.")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UserInputError("The file is not UTF-8 text. Upload a plain .txt file, one passage per line.") from None
    if not text.strip():
        raise UserInputError("The uploaded file is empty. Upload a .txt file with one passage per line.")
    try:
        ret.parse_passages(text)
    except ret.KnowledgeBaseError as exc:
        raise UserInputError(str(exc)) from None
    return text
