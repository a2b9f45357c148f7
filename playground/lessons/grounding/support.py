"""The support checker: does ONE retrieved passage state what an answer sentence claims?

It reads the answer itself and ignores the model's citations, because a 135M model cites badly.
A sentence is supported by a passage when, in that one passage,

1. every number of the sentence appears ("seventeen" = "17", "1,412" = "1412"): a wrong number
   is the commonest invented detail;
2. every name of the sentence appears (a capitalised word, unless it only starts the sentence
   and the knowledge base uses it in lower case), except names the question itself gave: a
   swapped name is the second commonest;
3. a negation in the sentence ("not", "no", "never") appears too;
4. at least `SUPPORT_THRESHOLD` of its content words appear, each word weighted by how rare it is
   in the knowledge base (BM25's idf), so missing "Quillmere", which half the passages use,
   costs little and missing "capital" costs a lot. Words are compared after a light stemming
   ("exports" = "export", "wrote" = "written"); words about the answer itself ("passage",
   "according") do not count;
5. the sentence says something the question did not: a sentence made only of the question's
   words ("The capital of Quillmere is") claims nothing.

A bare answer that shares no word with its question ("The answer is: 61000") is read together
with the question: "61000" is in the population passage, "hotels" is in none. `main_clause`
cuts a sentence before its first added clause (", which ...", ", a ..."); the pipeline checks
that too, because a small model often states a sourced fact and then embroiders it.

Words from different passages never add up, which is what let "The flag of Quillmere is
designed by the Quillish people." through before: "Quillish" is in the passage on languages,
"flag" in the one on the flag, and neither says who designed it.

What it cannot tell: word order and relations ("the River Maddle flows to the eastern coast"
against a passage saying western, where every other word matches), a paraphrase in words the
passage does not use, and a negation inside the passage. It is measured, not assumed: on the
labelled sentences in assets/grounding/support_labels.jsonl (hard negatives included)
`measure()` gives its precision and recall; tests/test_grounding.py re-measures them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from playground.lessons.grounding.retrieval import ASSETS
from playground.lru import BoundedLRU

# the share of weighted content words one passage must hold; on the labelled "dev" sentences
# precision and recall are flat from 0.65 to 0.80, and 0.70 sits inside that plateau
SUPPORT_THRESHOLD = 0.70
LABELS_FILE: Path = ASSETS / "support_labels.jsonl"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_LEADING_CITATIONS = re.compile(r"^((?:\[\d{1,2}\]\s*[.,;]?\s*)+)(.*)$", re.S)
_CITATION = re.compile(r"\s*\[\d{1,2}\]")
_TOKEN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")

_STOPWORDS = frozenset(
    """a an the of on in at to for from by with and or but is are was were be been being it its
    this that these those what which who whom whose when where why how do does did has have had
    there their they them he she his her you your we our i me my as into than then so can could
    will would should may might about also only very most more much many s""".split()
) | frozenset("approximately around roughly nearly almost some just currently today indeed".split())  # hedges
_NEGATIONS = frozenset({"not", "no", "never", "nowhere", "none", "nothing", "n't"})
# words about the answer, not about the island
_META = frozenset("""passage passages according answer question text mentioned states stated says
    said information provided given context source sources cite cited""".split())
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
        fifteen sixteen seventeen eighteen nineteen twenty""".split()
    )
} | {"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
     "ninety": "90", "hundred": "100", "twice": "2", "once": "1"}
# irregular forms a suffix rule cannot reach, mapped to one stem
_IRREGULAR = {
    "wrote": "write", "written": "write", "writes": "write", "writing": "write", "writer": "write",
    "built": "build", "builds": "build", "rose": "rise", "risen": "rise", "rises": "rise",
    "grew": "grow", "grown": "grow", "grows": "grow", "held": "hold", "holds": "hold",
    "ran": "run", "runs": "run", "running": "run", "left": "leave", "leaves": "leave",
    "sold": "sell", "sells": "sell", "taught": "teach", "teaches": "teach",
    "kept": "keep", "keeps": "keep", "lives": "live", "lived": "live", "living": "live",
    "highest": "high", "higher": "high", "height": "high", "tallest": "tall",
    "largest": "large", "larger": "large", "biggest": "big", "oldest": "old", "older": "old",
    "mainly": "main", "chiefly": "chief", "founded": "found", "founding": "found",
    "longest": "long", "length": "long",
    "meter": "metre", "meters": "metre", "kilometer": "kilometre", "kilometers": "kilometre",
    "metres": "metre", "kilometres": "kilometre",
}


def _stem(word: str) -> str:
    """A light suffix stemmer: enough to match a plural, a past tense or an -ly to its passage."""
    if word in _IRREGULAR:
        word = _IRREGULAR[word]
    else:
        word = _strip_suffix(word)
    return word[:-1] if len(word) > 3 and word.endswith("e") else word  # "closed", "close" -> "clos"


def _strip_suffix(word: str) -> str:
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ment", ""), ("ers", ""), ("ing", ""), ("ed", ""), ("ly", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith(("ss", "us"))):
            word = word[: len(word) - len(suffix)] + keep
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # "planned" -> "plan"
            break
    return word


@dataclass(frozen=True)
class Term:
    stem: str  # what is compared
    kind: str  # "number", "name", "negation" or "word"
    word: str  # as written, lower-cased (what the learner is shown)


def _canon(token: str) -> str:
    token = token.lower().replace("\u2019", "'")
    if token.endswith("n't"):
        return "n't"
    return token.split("'")[0] if "'" in token else token


def terms(text: str, lower_corpus: frozenset[str] = frozenset()) -> list[Term]:
    """The content terms of a text, each once: numbers, names, negations and other words.
    `lower_corpus`: words the knowledge base writes in lower case (a capitalised first word that
    is among them starts the sentence, it is not a name)."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", _CITATION.sub("", text))
    out: dict[str, Term] = {}
    first = True
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        word = _canon(raw)
        sentence_start = first or bool(re.search(r"[.!?:;\"(]\s*$", text[: m.start()]))
        first = False
        if word in _NEGATIONS:
            term = Term("not", "negation", word)
        elif _NUMBER.match(word) or word in _NUMBER_WORDS:
            term = Term(_NUMBER_WORDS.get(word, word), "number", word)
        elif word in _STOPWORDS or word in _META or len(word) < 2:
            continue
        else:
            capital = raw[0].isupper()
            name = capital and not (sentence_start and word in lower_corpus)
            term = Term(_stem(word), "name" if name else "word", word)
        if term.stem not in out or term.kind == "name":
            out[term.stem] = term
    return list(out.values())


def lower_case_words(corpus: Sequence[str]) -> frozenset[str]:
    """Words the corpus writes in lower case somewhere (so they are not names)."""
    return frozenset(_canon(m.group(0)) for p in corpus for m in _TOKEN.finditer(p) if m.group(0)[0].islower())


@dataclass(frozen=True)
class SentenceSupport:
    text: str  # as the model wrote it, citations included
    supported: bool
    score: float  # idf-weighted share of the sentence's content words found in its passage
    passage: int  # index into the passages it was checked against; -1 when there were none
    missing: tuple[str, ...]  # content words of the sentence that passage lacks, as written
    numbers_ok: bool  # every number of the sentence is in that passage
    names_ok: bool  # every name (not given by the question) is in that passage
    negation_ok: bool
    claims: bool  # the sentence says something beyond the question's own words

    def failed_rules(self) -> list[str]:
        """The hard rules this sentence broke against its passage, in the order the checker applies them."""
        return [why for ok, why in ((self.numbers_ok, "a number is not in the passage"),
                                    (self.names_ok, "a name is not in the passage"),
                                    (self.negation_ok, "the passage has no 'not'")) if not ok]


def split_sentences(text: str) -> list[str]:
    """Sentences; a citation written after the full stop ("... capital. [1] It ...") belongs to
    the sentence before it."""
    parts = [p.strip() for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    out: list[str] = []
    for p in parts:
        m = _LEADING_CITATIONS.match(p)
        if out and m:
            out[-1] = f"{out[-1]} {m.group(1).strip()}"
            p = m.group(2).strip()
        if p:
            out.append(p)
    return out


class Corpus:
    """What the checker needs to know about the knowledge base: the idf of each stem, the words
    it writes in lower case, and each passage's stems."""

    def __init__(self, passages: Sequence[str]):
        self.lower = lower_case_words(passages)
        self._stems = {p: frozenset(t.stem for t in terms(p, self.lower)) for p in passages}
        df = Counter(s for stems in self._stems.values() for s in stems)
        n = len(self._stems)
        self.idf = {s: math.log(1 + (n - c + 0.5) / (c + 0.5)) for s, c in df.items()}
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)  # a word the knowledge base never uses

    def weight(self, stem: str) -> float:
        return self.idf.get(stem, self.unseen_idf)

    def stems(self, passage: str) -> frozenset[str]:
        if passage not in self._stems:  # a passage from outside the knowledge base
            return frozenset(t.stem for t in terms(passage, self.lower))
        return self._stems[passage]


_corpora: BoundedLRU[Corpus] = BoundedLRU(16)


def corpus_for(passages: Sequence[str]) -> Corpus:
    """The Corpus of a knowledge base, built once per distinct base."""
    key = hashlib.sha256("\n".join(passages).encode("utf-8")).hexdigest()
    return _corpora.get_or_compute(key, lambda: Corpus(passages))


def _judge(sentence: str, sent_terms: list[Term], asked: set[str], passage: int, stems: frozenset[str],
           corpus: Corpus, threshold: float) -> SentenceSupport:
    found = [t.stem in stems for t in sent_terms]
    numbers_ok = all(f for t, f in zip(sent_terms, found) if t.kind == "number")
    names_ok = all(f or t.stem in asked for t, f in zip(sent_terms, found) if t.kind == "name")
    negation_ok = all(f for t, f in zip(sent_terms, found) if t.kind == "negation")
    weights = [corpus.weight(t.stem) for t in sent_terms]
    total = sum(weights)
    score = sum(w for w, f in zip(weights, found) if f) / total if total else 0.0
    claims = any(t.stem not in asked for t in sent_terms if t.kind != "negation")
    missing = tuple(t.word for t, f in zip(sent_terms, found) if not f)
    ok = claims and numbers_ok and names_ok and negation_ok and score >= threshold
    return SentenceSupport(sentence, ok, score, passage, missing, numbers_ok, names_ok, negation_ok, claims)


def check_support(
    sentences: Sequence[str], passages: Sequence[str], question: str = "", corpus: Corpus | None = None,
    threshold: float = SUPPORT_THRESHOLD,
) -> list[SentenceSupport]:
    """Each sentence against each passage on its own; the sentence's passage is the one that
    supports it, or else the one that comes closest (the highest score). `corpus` is the whole
    knowledge base (word rarity); by default the passages themselves."""
    corpus = corpus or Corpus(passages)
    question_terms = terms(question, corpus.lower)
    asked = {t.stem for t in question_terms}
    out = []
    for s in sentences:
        st = terms(s, corpus.lower)
        if not asked & {t.stem for t in st}:
            # a bare answer ("The answer is: 17") claims that its value answers the question, so
            # the passage must hold the question's words too
            st = st + [t for t in question_terms if t.kind != "negation"]
        if not passages:
            out.append(SentenceSupport(s, False, 0.0, -1, tuple(t.word for t in st), False, False, False, bool(st)))
            continue
        verdicts = [_judge(s, st, asked, i, corpus.stems(p), corpus, threshold) for i, p in enumerate(passages)]
        out.append(max(verdicts, key=lambda v: (v.supported, v.score)))
    return out


_CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:which|who|whose|where|while|a|an|the|and|but|with|making|known)\b)|;\s+|\s+[–—-]\s+|\s+but\s+"
)


def main_clause(sentence: str) -> str:
    """The sentence up to its first added clause (", which ...", ", a ...", "; ..."): its main
    claim. A small model often states a sourced fact and then embroiders it."""
    return _CLAUSE_BREAK.split(sentence, maxsplit=1)[0].strip()


# --- the labelled sentences it is measured on ---------------------------------------------------


@dataclass(frozen=True)
class Labelled:
    question: str
    sentence: str
    supported: bool
    kind: str  # paraphrase, copy, wrong number, swapped name, invented, mixed passages, model ...
    source: str  # "written" for the project, or "model": a sentence SmolLM2 wrote in the evaluation
    split: str  # "dev": read while the rules were written; "test": written after, never tuned on


def load_labels(path: Path = LABELS_FILE) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Labelled(r["question"], r["sentence"], r["label"] == "supported", r["kind"], r["source"], r["split"]) for r in rows]


@dataclass(frozen=True)
class Quality:
    n: int
    positives: int  # labelled supported
    true_positives: int
    false_positives: int  # certified although no passage states it: what must stay rare
    precision: float  # of the sentences marked supported, the share that are
    recall: float  # of the supported sentences, the share marked supported
    wrong: tuple[Labelled, ...]  # the mistakes, to read


def measure(labels: Sequence[Labelled], passages_for: Callable[[str], Sequence[str]], corpus: Corpus) -> Quality:
    """The checker on the labelled sentences; passages_for(question) gives the passages each is
    checked against (the retrieved ones, or the whole knowledge base)."""
    verdicts = [check_support([lab.sentence], passages_for(lab.question), lab.question, corpus)[0].supported for lab in labels]
    return quality(labels, verdicts)


def quality(labels: Sequence[Labelled], verdicts: Sequence[bool]) -> Quality:
    tp = sum(v and lab.supported for lab, v in zip(labels, verdicts))
    fp = sum(v and not lab.supported for lab, v in zip(labels, verdicts))
    pos = sum(lab.supported for lab in labels)
    wrong = tuple(lab for lab, v in zip(labels, verdicts) if v != lab.supported)
    return Quality(len(labels), pos, tp, fp, tp / (tp + fp) if tp + fp else 1.0, tp / pos if pos else 1.0, wrong)
