"""The Sampling tab's result: one learner's text (the prompt, the tokens generated after it),
the distribution the chart shows, and the earlier texts for each prompt.

Every handler returns a `Generation` and every view reads one; the `generate` endpoints answer
with `Generation.as_json()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import warpers as W

MAX_EARLIER = 8  # earlier texts kept per prompt
MAX_PROMPTS = 20  # prompts whose earlier texts are kept
EARLIER_CHARS = 200


@dataclass
class Chart:
    """The next-token distribution at one position, and what it was computed with."""

    dist: D.Distribution
    settings: W.DecodingSettings
    seed: int
    position: int  # generated tokens before it (0 = right after the prompt)
    vocab_size: int
    weights_note: str  # which weights gave the logits, and how far 4-bit is from 32-bit


@dataclass
class Generation:
    """The prompt, the tokens generated after it, and what the chart is looking at."""

    prompt: str = ""
    chat: bool = False
    prompt_ids: list[int] = field(default_factory=list)
    prompt_shown: str = ""  # the prompt as the model reads it (chat template included)
    steps: list[D.Step] = field(default_factory=list)
    text: str = ""  # the generated tokens decoded together (special tokens skipped)
    chart: Chart | None = None
    note: str = ""  # how the last run went: tokens/s, weights
    # earlier texts per (prompt, chat), oldest first; shared by every Generation of one session
    earlier: dict[tuple[str, bool], list[str]] = field(default_factory=dict)

    def ids(self, upto: int | None = None) -> list[int]:
        """Prompt ids plus the first `upto` generated ids (all of them by default)."""
        return self.prompt_ids + [st.id for st in self.steps[: len(self.steps) if upto is None else upto]]

    def matches(self, prompt: str, chat: object) -> bool:
        return bool(self.prompt_ids) and self.prompt == prompt and self.chat == bool(chat)

    def as_json(self) -> dict:
        """The `generate` API's answer: the text and, per step, the token, its probability after
        the settings and the top alternatives (most probable under the model first)."""
        return {
            "text": self.text,
            "steps": [
                {"id": st.id, "token": st.token, "prob": st.prob,
                 "alternatives": [{"token": a.token, "prob": a.prob} for a in st.alternatives]}
                for st in self.steps
            ],
        }

    def remember(self, note: str = "") -> None:
        """Keep this text among its prompt's earlier texts (before it is replaced or cut)."""
        if not self.steps:
            return
        key = (self.prompt, self.chat)
        texts = self.earlier.pop(key, [])  # re-inserted: the most recently used prompt goes last
        texts.append(self.text[:EARLIER_CHARS] + note)
        self.earlier[key] = texts[-MAX_EARLIER:]
        while len(self.earlier) > MAX_PROMPTS:
            self.earlier.pop(next(iter(self.earlier)))

    def earlier_texts(self) -> list[str]:
        """This prompt's earlier texts, oldest first."""
        return self.earlier.get((self.prompt, self.chat), [])

    def restart(self, prompt: str, chat: object, prompt_ids: list[int], prompt_shown: str) -> Generation:
        """A new text for `prompt`, after keeping this one among its prompt's earlier texts."""
        self.remember()
        return Generation(prompt, bool(chat), prompt_ids, prompt_shown, earlier=self.earlier)
