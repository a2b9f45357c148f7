"""Quality filters: each is a plain rule a learner can read, flags rows, and says why.

They are heuristics, and the tab says so: a rule is judged by its examples (what it caught, and what it
would wrongly catch on real data), not trusted blindly.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby
from dataclasses import dataclass

# Personal data. A card number is 13 to 19 digits (spaces or dashes between groups) that pass the Luhn
# check, the checksum every payment card carries; a tracking number of the same length almost never does.
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{3}[ .-])\d{3,4}[ .-]\d{4}(?!\w)")
CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")

BOILERPLATE = (
    "as an ai language model", "as a large language model", "as an ai model", "as an ai assistant",
    "as an ai, i", "i'm sorry, but as an ai", "i am sorry, but as an ai", "i cannot browse the internet",
    "i don't have access to real-time", "i do not have personal opinions", "i hope this helps!",
    "i'm just an ai", "as a chatbot", "as an artificial intelligence", "as of my last knowledge update", "my knowledge cutoff",
)
ENDINGS = tuple(".!?\"')]}>*`…。")  # how a finished answer ends (code, quotes and lists included)
# The most frequent English words: ordinary English prose is about 40% these; another language has almost none.
ENGLISH_COMMON = frozenset(
    "the of and to a in is it you that he was for on are with as i his they be at one have this from or had by "
    "not but what some we can out other were all there when up use your how said an each she which do their "
    "time if will way about many then them write would like so these her long make thing see him two has look "
    "more day could go come did number sound no most people my over know water than call first who may down "
    "side been now find any new work part take get place made live where after back little only round man year "
    "came show every good me give our under name very through just form much great think say help low line "
    "before turn cause same mean differ move right boy old too does tell sentence set three want air well also "
    "play small end put home read hand port large spell add even land here must big high such follow act why "
    "ask men change went light kind off need house picture try us again animal point mother world near build "
    "self earth father head stand own page should country found answer school grow study still learn plant "
    "cover food sun four thought let keep eye never last door between city tree cross since hard start might "
    "story saw far sea draw left late run don't while press close night real life few stop into its because "
    "means used using makes best keeps".split())

FILTERS = ("too_long", "empty", "pii", "boilerplate", "repetition", "truncated")  # the API reports these
TAB_ONLY = ("language",)  # the tab offers this one too, off in the API (its flags are not in the JSON)
DESCRIPTIONS = {
    "too_long": "longer than the training max length in tokens (after the chat template): trimmed in training, "
                "so the end of the answer is never learned",
    "empty": "an empty answer or question: the model would learn to say nothing",
    "pii": "an e-mail address, a phone number or a card number that passes the Luhn check",
    "boilerplate": "canned assistant phrases (\"As an AI language model ...\"): the model learns to hedge",
    "repetition": "the same word sequence over and over: a degenerate answer a model would learn to loop",
    "truncated": "an answer that stops mid-sentence (it does not end in . ! ? or a closing quote, bracket or code)",
    "language": "an answer whose words are almost none of the most common English words: another language",
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class Found:
    kind: str  # "email", "phone" or "card"
    start: int
    end: int


def personal_data(text: str) -> list[Found]:
    found = [Found("email", m.start(), m.end()) for m in EMAIL.finditer(text)]
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.append(Found("card", m.start(), m.end()))
    taken = [(f.start, f.end) for f in found]
    for m in PHONE.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in taken):  # a card's digits are not also a phone
            found.append(Found("phone", m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def redact(text: str) -> str:
    """The text with each e-mail, phone and card number replaced by [EMAIL], [PHONE] or [CARD]."""
    out, last = [], 0
    for f in personal_data(text):
        if f.start < last:
            continue
        out += [text[last:f.start], f"[{f.kind.upper()}]"]
        last = f.end
    return "".join(out + [text[last:]])


def boilerplate(text: str) -> str | None:
    low = " ".join(text.lower().replace("’", "'").split())
    return next((p for p in BOILERPLATE if p in low), None)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def repetition(text: str, n: int = 4, share: float = 0.3) -> float | None:
    """The share of word n-grams that repeat an earlier one, when it is above `share` (None otherwise).
    Ordinary prose repeats almost none; a looping answer repeats most of them."""
    words = _words(text)
    if len(words) < 3 * n:
        run = max((sum(1 for _ in g) for _, g in groupby(words)), default=0)
        return 1.0 if run >= 4 else None  # "the the the the"
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    repeated = len(grams) - len(Counter(grams))
    value = repeated / len(grams)
    return value if value > share else None


def truncated(text: str) -> bool:
    t = text.rstrip()
    return bool(t) and not t.endswith(ENDINGS)


def not_english(text: str, min_words: int = 6, share: float = 0.12) -> bool:
    words = _words(text)
    return len(words) >= min_words and sum(w in ENGLISH_COMMON for w in words) / len(words) < share
