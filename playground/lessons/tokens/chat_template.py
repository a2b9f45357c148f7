"""The chat template: what a conversation really looks like to a chat model.

An instruct model was trained on conversations laid out in one exact format, with special
tokens around each turn. The tokenizer carries that format as a Jinja template
(`apply_chat_template`). Here we render a short conversation through the model's own template,
cut the result into tokens, and count what the format itself costs: the template's tokens minus
the tokens of the message contents cut on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.lessons.tokens.encoding import TokenizedText, encode

ROLES = ("system", "user", "assistant")


@dataclass
class ChatTemplateView:
    raw: str  # the template's output, as a string
    result: TokenizedText  # that string cut into tokens (special tokens flagged)
    content_tokens: dict[str, int]  # role -> tokens of that message's content alone

    @property
    def n_template(self) -> int:
        return self.result.n_tokens

    @property
    def n_content(self) -> int:
        return sum(self.content_tokens.values())

    @property
    def n_added(self) -> int:
        """What the format costs: template tokens minus content tokens."""
        return self.n_template - self.n_content

    @property
    def n_special(self) -> int:
        return sum(self.result.special)

    def special_pieces(self) -> list[str]:
        return [t for t, s in zip(self.result.tokens, self.result.special) if s]


def has_chat_template(tok: Any) -> bool:
    return bool(getattr(tok, "chat_template", None))


def messages_from(system: str, user: str, assistant: str) -> list[dict[str, str]]:
    """The conversation as the template expects it; empty turns are left out."""
    turns = zip(ROLES, (system, user, assistant))
    return [{"role": role, "content": content} for role, content in turns if content and content.strip()]


def chat_template_view(tok: Any, key: str, messages: list[dict[str, str]]) -> ChatTemplateView:
    raw = tok.apply_chat_template(messages, tokenize=False)
    result = encode(tok, key, raw)
    content: dict[str, int] = {}
    for message in messages:
        content[message["role"]] = content.get(message["role"], 0) + len(encode(tok, key, message["content"]).ids)
    return ChatTemplateView(raw, result, content)
