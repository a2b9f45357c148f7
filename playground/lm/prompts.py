"""Prompts as token ids: raw text, or messages wrapped in the model's own chat template."""

from __future__ import annotations

from typing import Any


def chat_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """The messages in the model's chat template, with the assistant's turn opened."""
    out = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    return [int(i) for i in out["input_ids"]]


def encode(tokenizer: Any, prompt: str, chat: bool) -> list[int]:
    """Raw text exactly as `tokenizer(prompt)` encodes it (SmolLM2 adds no BOS), or the prompt as
    one user turn in the chat template."""
    if chat:
        return chat_ids(tokenizer, [{"role": "user", "content": prompt}])
    return [int(i) for i in tokenizer(prompt)["input_ids"]]
