"""The Grounding lesson's pipeline: validate the input, retrieve, answer closed book and
grounded, check support, and the self-consistency and evaluation runs. Plain data in, one result
dataclass out per computation; the tab (`tab.py`) only lays out and wires, the views
(`view.py`) only render these results."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.checks import UserInputError, check_text
from playground.lessons.grounding import answer as ans
from playground.lessons.grounding import evaluation as ev
from playground.lessons.grounding import retrieval as ret
from playground.lessons.grounding import support as sup
from playground.lm.prompts import chat_ids
from playground.models import ModelHub

LM_KEY = "smollm2-135m-instruct"
ENCODER_KEY = "all-minilm-l6-v2"
MAX_QUESTION_CHARS = 400
MAX_NEW_TOKENS = 48  # one or two sentences; the 135M model writes ~10 tokens/s on a small CPU
EVAL_MAX_NEW_TOKENS = 32  # the evaluation runs 30 answers; gold facts come in the first sentence
ANSWER_TEMPERATURE = 0.3  # main answers: low, so they are near the model's favourite, and the seed matters
# self-consistency: at 0.5 closed-book samples already disagree (5 different inventions for the
# capital) while grounded ones copy the passage; at 1.0 both come out garbled and the contrast is lost
CONSISTENCY_TEMPERATURE = 0.5
MAX_K = 8
DEFAULT_K = 3
DEFAULT_THRESHOLD = 0.40
MAX_SEED = 2**31 - 1
MAX_SAMPLES = 8
MAX_UPLOAD_BYTES = 1_000_000
IDK = "I don't know."


# --- the knowledge base the learner edits -------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeBase:
    passages: tuple[str, ...]
    mode: str = ret.DEFAULT_MODE
    builtin: bool = True  # the gold answers of the evaluation were written for the built-in base


def default_knowledge_base() -> KnowledgeBase:
    return KnowledgeBase(tuple(ret.builtin_passages()), ret.DEFAULT_MODE, True)


def knowledge_base_from(kb_text: str | None, mode: str) -> KnowledgeBase:
    """Parse the knowledge-base box; KnowledgeBaseError becomes a message the learner reads."""
    try:
        passages = ret.parse_passages(kb_text)
    except ret.KnowledgeBaseError as exc:
        raise UserInputError(str(exc)) from None
    if mode not in ret.MODES:
        raise UserInputError(f"Retrieval must be one of {', '.join(ret.MODES)}.")
    return KnowledgeBase(tuple(passages), mode, passages == ret.builtin_passages())


def check_knowledge_base(kb: KnowledgeBase | None) -> KnowledgeBase:
    kb = kb or default_knowledge_base()
    if not kb.passages:
        raise UserInputError(_empty_kb_message())
    if kb.mode not in ret.MODES:
        raise UserInputError(f"Retrieval must be one of {', '.join(ret.MODES)}.")
    return kb


def _empty_kb_message() -> str:
    try:
        ret.parse_passages("")
    except ret.KnowledgeBaseError as exc:
        return str(exc)
    return "The knowledge base is empty."


def check_question(question: object) -> str:
    text, _ = check_text(question, max_chars=10**9, what="question")
    text = text.strip()
    if len(text) > MAX_QUESTION_CHARS:
        raise UserInputError(
            f"The question is {len(text):,} characters long; please keep it under {MAX_QUESTION_CHARS} "
            "characters: ask one question, and put documents in the knowledge base instead."
        )
    return text


# --- one answer, checked sentence by sentence ------------------------------------------------------


@dataclass(frozen=True)
class CheckedSentence:
    support: sup.SentenceSupport
    main: sup.SentenceSupport  # the same check on its main clause (support.main_clause)
    passage: int  # knowledge-base line of the checker's best passage; -1 when there was none
    cited: tuple[int, ...]  # the passage numbers (1..k) the model itself wrote as [n]

    @property
    def text(self) -> str:
        return self.support.text

    @property
    def supported(self) -> bool:
        return self.support.supported

    def as_json(self) -> dict:
        return {"text": self.text, "supported": self.supported, "score": round(self.support.score, 4), "passage": self.passage}


@dataclass(frozen=True)
class Answer:
    text: str
    tokens: tuple[ans.TokenProb, ...] = ()
    sentences: tuple[CheckedSentence, ...] = ()
    finished: bool = True  # False when it hit the token limit before the end-of-turn token
    abstained: bool = False
    # when the checker made the grounded side abstain: the answer the model wrote (None when the
    # retrieval score was below the threshold, so the model was not asked)
    draft: Answer | None = None

    @property
    def backed(self) -> bool:
        """The grounded side answers only when at least one sentence's main claim stands on a passage."""
        return any(s.supported or s.main.supported for s in self.sentences)

    def token_json(self) -> list[dict]:
        return [{"token": t.token, "prob": t.prob} for t in self.tokens]


@dataclass(frozen=True)
class GroundResult:
    """Everything the tab shows for one question; `as_json` is the public `ground` endpoint's shape."""

    question: str
    k: int
    threshold: float
    seed: int
    mode: str
    retrieved: tuple[ret.Hit, ...]
    closed_book: Answer
    grounded: Answer

    @property
    def top_score(self) -> float:
        return self.retrieved[0].score if self.retrieved else 0.0

    def as_json(self) -> dict:
        g = self.grounded
        return {
            "closed_book": {"answer": self.closed_book.text, "tokens": self.closed_book.token_json()},
            "grounded": {
                "answer": g.text,
                "tokens": g.token_json(),
                "abstained": g.abstained,
                "sentences": [s.as_json() for s in g.sentences],
            },
            "retrieved": [{"id": h.id, "text": h.text, "score": h.score} for h in self.retrieved],
        }


def _generate(lm, messages: list[dict], *, seed: int, max_new_tokens: int,
              temperature: float = ANSWER_TEMPERATURE) -> ans.Generation:
    prompt = chat_ids(lm.tokenizer, messages)
    return ans.generate(lm, prompt, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)[0]


def check_sentences(text: str, hits: Sequence[ret.Hit], question: str, passages: Sequence[str],
                    cite: bool) -> tuple[CheckedSentence, ...]:
    """Support per sentence (and per main clause) against the retrieved passages; the model's
    citations are recorded, not trusted. Word rarity comes from the whole knowledge base."""
    sentences = sup.split_sentences(text)
    texts, corpus = [h.text for h in hits], sup.corpus_for(passages)
    whole = sup.check_support(sentences, texts, question, corpus)
    main = sup.check_support([sup.main_clause(s) for s in sentences], texts, question, corpus)
    return tuple(
        CheckedSentence(
            support=c,
            main=m,
            passage=hits[c.passage].id if c.passage >= 0 else -1,
            cited=tuple(ans.citations(c.text, len(hits))) if cite else (),
        )
        for c, m in zip(whole, main)
    )


def _checked(gen: ans.Generation, hits, question: str, passages: Sequence[str], cite: bool) -> Answer:
    return Answer(gen.text, tuple(gen.tokens), check_sentences(gen.text, hits, question, passages, cite), gen.finished)


def ground(
    hub: ModelHub,
    question: str,
    k: int,
    threshold: float,
    seed: int,
    passages: Sequence[str],
    mode: str = ret.DEFAULT_MODE,
    max_new_tokens: int | None = None,
) -> GroundResult:
    """Retrieve, answer closed book and grounded, and check every sentence against the passages.
    The grounded side abstains when the best passage scores below the threshold (the model is not
    asked) or when no sentence of its answer has a main claim that a passage states."""
    question = check_question(question)
    if not passages:
        raise UserInputError(_empty_kb_message())
    max_new_tokens = max_new_tokens or MAX_NEW_TOKENS
    st = hub.get(ENCODER_KEY).model
    lm = hub.get(LM_KEY)
    hits = ret.retrieve(st, list(passages), question, k, mode)
    closed = _generate(lm, ans.closed_book_messages(question), seed=seed, max_new_tokens=max_new_tokens)
    top = hits[0].score if hits else 0.0
    if top < threshold:
        grounded = Answer(IDK, abstained=True)
    else:
        g = _generate(lm, ans.grounded_messages(question, [h.text for h in hits]), seed=seed, max_new_tokens=max_new_tokens)
        draft = _checked(g, hits, question, passages, cite=True)
        grounded = draft if draft.backed else Answer(IDK, abstained=True, draft=draft)
    return GroundResult(
        question=question,
        k=k,
        threshold=threshold,
        seed=seed,
        mode=mode,
        retrieved=tuple(hits),
        # the closed-book answer is checked against the same passages: did it say what they say?
        closed_book=_checked(closed, hits, question, passages, cite=False),
        grounded=grounded,
    )


# --- self-consistency ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    texts: tuple[str, ...]
    agreement: float  # mean pairwise cosine of the answers' MiniLM embeddings (1 = all the same)
    distinct: int  # different answers after normalising case and the full stop


@dataclass(frozen=True)
class ConsistencyResult:
    question: str
    temperature: float
    seed: int
    closed_book: Samples
    grounded: Samples


def agreement(st, samples: list[str]) -> float:
    """Mean pairwise cosine of the samples' MiniLM embeddings (1.0 when all are identical)."""
    texts = [s or "(empty)" for s in samples]
    if len(texts) < 2:
        return 1.0
    vecs = np.stack([ret.embed_query(st, t) for t in texts])
    sims = [float(vecs[i] @ vecs[j]) for i, j in itertools.combinations(range(len(texts)), 2)]
    return float(np.mean(sims))


def consistency(
    hub: ModelHub, question: str, n: int, temperature: float, seed: int, k: int,
    passages: Sequence[str], mode: str,
) -> ConsistencyResult:
    """n sampled answers, closed book and grounded (whatever the threshold), and their agreement."""
    question = check_question(question)
    if not passages:
        raise UserInputError(_empty_kb_message())
    st = hub.get(ENCODER_KEY).model
    lm = hub.get(LM_KEY)
    hits = ret.retrieve(st, list(passages), question, k, mode)
    sides = {}
    for key, messages in (
        ("closed_book", ans.closed_book_messages(question)),
        ("grounded", ans.grounded_messages(question, [h.text for h in hits])),
    ):
        prompt = chat_ids(lm.tokenizer, messages)
        gens = ans.generate(lm, prompt, max_new_tokens=EVAL_MAX_NEW_TOKENS, temperature=temperature, seed=seed, n=n)
        texts = [g.text for g in gens]
        sides[key] = Samples(tuple(texts), agreement(st, texts), len({ev.normalise(s).strip(" .") for s in texts}))
    return ConsistencyResult(question, temperature, seed, sides["closed_book"], sides["grounded"])


# --- the evaluation and the live coverage curve ------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """The top retrieval score of each built-in question: enough to draw coverage live."""

    top_scores: tuple[float, ...]


@dataclass(frozen=True)
class EvalResult:
    rows: tuple[ev.EvalRow, ...]
    label: str = ""  # when and how it was run, shown above the summary

    @property
    def coverage(self) -> Coverage:
        return Coverage(tuple(r.top_score for r in self.rows))


def evaluate(hub: ModelHub, passages: Sequence[str], mode: str, k: int, seed: int,
             progress=None) -> list[ev.EvalRow]:
    """Every built-in question, closed book and grounded (no abstention: both rules are applied
    when scoring, so the trade-off can be redrawn without the model)."""
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
        hits = ret.retrieve(st, list(passages), q.question, k, mode)
        closed = _generate(lm, ans.closed_book_messages(q.question), seed=seed, max_new_tokens=EVAL_MAX_NEW_TOKENS)
        grounded = _generate(lm, ans.grounded_messages(q.question, [h.text for h in hits]), seed=seed,
                             max_new_tokens=EVAL_MAX_NEW_TOKENS)
        cs = check_sentences(closed.text, hits, q.question, passages, cite=False)
        gs = check_sentences(grounded.text, hits, q.question, passages, cite=True)
        rows.append(
            ev.EvalRow(
                question=q.question,
                gold=q.gold,
                closed_answer=closed.text,
                grounded_answer=grounded.text,
                top_score=hits[0].score if hits else 0.0,
                gold_retrieved=None if q.passage is None else any(h.text == builtin[q.passage] for h in hits),
                grounded_backed=Answer(grounded.text, sentences=gs).backed,
                closed_supported=sum(s.supported for s in cs),
                closed_sentences=len(cs),
                grounded_supported=sum(s.supported for s in gs),
                grounded_sentences=len(gs),
            )
        )
    return rows


def coverage(hub: ModelHub, passages: Sequence[str], mode: str) -> Coverage:
    st = hub.get(ENCODER_KEY).model
    return Coverage(tuple(ret.retrieve(st, list(passages), q.question, 1, mode)[0].score for q in ev.load_questions()))


# --- how good the support checker is, on the labelled sentences ----------------------------------------


@functools.lru_cache(maxsize=1)
def checker_quality_whole_kb() -> sup.Quality:
    """Each labelled sentence against every passage of the built-in base: the checker alone,
    with the most chances of a chance match (no model needed)."""
    kb = ret.builtin_passages()
    return sup.measure(sup.load_labels(), lambda _q: kb, sup.corpus_for(kb))


def checker_quality(hub: ModelHub, k: int = DEFAULT_K) -> dict[str, sup.Quality]:
    """Each labelled sentence against the k passages each retrieval mode gives its question on
    the built-in base, as the tab checks answers."""
    st = hub.get(ENCODER_KEY).model
    kb = ret.builtin_passages()
    corpus = sup.corpus_for(kb)
    labels = sup.load_labels()
    out = {}
    for mode in ("hybrid", "dense"):
        hits = {q: [h.text for h in ret.retrieve(st, kb, q, k, mode)] for q in {lab.question for lab in labels}}
        out[mode] = sup.measure(labels, hits.__getitem__, corpus)
    return out


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
