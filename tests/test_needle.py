"""Context windows, the needle in a haystack: answer_prob against the model's plain softmax; the
needle where build_prompt says, first at depth 0 and last at depth 1, lengths met, seeds
deterministic; the grid's checks; a tiny probe and its cache. No long forwards here."""

from __future__ import annotations

import math

import pytest
import torch

from playground.checks import UserInputError
from playground.lessons.context import needle


def plain_prob(model, prompt_ids, answer_ids) -> float:
    """The product of softmax probabilities at the answer's positions, from the full logits."""
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids + answer_ids])).logits[0]
    probs = torch.softmax(logits.double(), -1)
    p = 1.0
    for i, token in enumerate(answer_ids):
        p *= float(probs[len(prompt_ids) - 1 + i, token])  # position t predicts token t + 1
    return p


def user_text(tokenizer, prompt_ids) -> str:
    text = tokenizer.decode(prompt_ids)
    return text.split("<|im_start|>user\n", 1)[1].split("<|im_end|>", 1)[0]


def test_answer_prob_matches_the_plain_softmax(lm):
    prompt_ids, answer_ids, _ = needle.build_prompt(lm.tokenizer, 200, 0.5, 0)
    assert 190 <= len(prompt_ids) <= 200
    got = needle.answer_prob(lm.model, prompt_ids, answer_ids)
    assert got == pytest.approx(plain_prob(lm.model, prompt_ids, answer_ids), rel=1e-5)
    # An answer of several tokens: every factor of the product is the right one.
    several = lm.tokenizer.encode(" pelican in the garden", add_special_tokens=False)
    assert len(several) >= 4
    got = needle.answer_prob(lm.model, prompt_ids, several)
    assert got == pytest.approx(plain_prob(lm.model, prompt_ids, several), rel=1e-5)
    assert 0 < got < 1


def test_the_filler_is_prose_without_the_needle_words(lm):
    pool = needle.filler_pool()
    assert pool == needle.filler_pool() and len(pool) > 100
    text = " ".join(" ".join(p) for p in pool)
    assert len(lm.tokenizer.encode(text, add_special_tokens=False)) > 4096
    lowered = text.lower()
    for word in needle.WORDS + ("password", "door"):
        assert word not in lowered
    assert ">>>" not in text and "\n" not in text


@pytest.mark.parametrize("length", [128, 512, 1024])
def test_build_prompt_puts_the_needle_where_it_says(lm, length):
    tok = lm.tokenizer
    word = needle.needle_word(0)
    sentence = needle.NEEDLE.format(word=word)
    n = len(tok.encode(sentence, add_special_tokens=False))
    for depth in (0.0, 0.25, 0.5, 1.0):
        prompt_ids, answer_ids, at = needle.build_prompt(tok, length, depth, 0)
        assert tok.decode(prompt_ids[at:at + n]).strip() == sentence
        assert sentence not in tok.decode(prompt_ids[at + 1:])  # it starts exactly there
        assert abs(len(prompt_ids) - length) <= 16 and len(prompt_ids) + len(answer_ids) <= length
        assert answer_ids == tok.encode(" " + word, add_special_tokens=False)
        text = tok.decode(prompt_ids)
        assert text.endswith("<|im_start|>assistant\n" + needle.ANSWER_START)
        user = user_text(tok, prompt_ids)
        assert user.endswith("\n\n" + needle.QUESTION) and user.count(sentence) == 1
        haystack = user[: -len("\n\n" + needle.QUESTION)]
        if depth == 0.0:
            assert haystack.startswith(sentence)
        elif depth == 1.0:
            assert haystack.endswith(sentence)
        elif length >= 512:  # enough sentences for a boundary near any depth
            share = len(tok.encode(haystack[: haystack.index(sentence)])) / len(tok.encode(haystack))
            assert abs(share - depth) < 0.1


def test_build_prompt_is_deterministic_and_seeded(lm):
    tok = lm.tokenizer
    first = needle.build_prompt(tok, 256, 0.5, 0)
    assert needle.build_prompt(tok, 256, 0.5, 0) == first
    other = next(s for s in range(1, 20) if needle.needle_word(s) != needle.needle_word(0))
    second = needle.build_prompt(tok, 256, 0.5, other)
    assert second[1] != first[1]
    assert needle.NEEDLE.format(word=needle.needle_word(other)) in tok.decode(second[0])


@pytest.mark.parametrize(
    "lengths, depths, message",
    [
        ([], [0.5], "at least one context length"),
        ([512], [], "at least one depth"),
        (None, [0.5], "at least one context length"),
        ([512, 9000], [0.5], "between 64 and 8,192 tokens (this model's context window); 9,000 is not"),
        ([32], [0.5], "between 64 and 8,192"),
        ([512.5], [0.5], "whole number of tokens; 512.5 is not"),
        (["abc"], [0.5], "whole number of tokens; 'abc' is not"),
        ([None], [0.5], "whole number of tokens; None is not"),
        ([True], [0.5], "whole number of tokens; True is not"),
        ([512], [1.5], "from 0 (the start) to 1 (the end); 1.5 is not"),
        ([512], [-0.1], "1 (the end); -0.1 is not"),
        ([512], ["half"], "a number from 0 (the start) to 1 (the end); 'half' is not"),
        ([512], [float("nan")], "a number from 0"),
        (list(range(100, 1000, 100)), [0.5], "at most 8 context lengths (got 9)"),
        ([512], [i / 11 for i in range(12)], "at most 11 depths (got 12)"),
    ],
)
def test_check_grid_says_what_is_wrong(lengths, depths, message):
    with pytest.raises(UserInputError) as err:
        needle.check_grid(lengths, depths, 8192)
    assert message in str(err.value)


def test_check_grid_sorts_and_removes_duplicates():
    assert needle.check_grid([1024, 512.0, "512", 8192, 64], [1, 0.5, 0, 0.5, -0.0], 8192) == (
        [64, 512, 1024, 8192], [0.0, 0.5, 1.0])
    assert needle.check_grid(list(range(100, 900, 100)) * 2, [i / 10 for i in range(11)], 8192)[0][-1] == 800


def test_a_tiny_probe_and_its_cache(lm):
    needle.cache.clear()
    calls, seen = [], []
    hook = lm.model.register_forward_pre_hook(lambda module, args: calls.append(1))
    try:
        cells = needle.probe(lm.model, lm.tokenizer, (128, 256), (0.0, 1.0), seed=0,
                             on_cell=lambda done, total, cell: seen.append((done, total, cell)))
        assert len(calls) == 4
        again = needle.probe(lm.model, lm.tokenizer, (128, 256), (0.0, 1.0), seed=0)
        assert len(calls) == 4  # every cell came from the cache
    finally:
        hook.remove()
    assert again == cells
    assert [(c.length, c.depth) for c in cells] == [(128, 0.0), (128, 1.0), (256, 0.0), (256, 1.0)]
    assert [(d, t) for d, t, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)] and [c for *_, c in seen] == cells
    for cell in cells:
        assert 0 < cell.answer_prob <= 1 and math.isfinite(cell.answer_prob)
        assert abs(cell.tokens - cell.length) <= 16 and 0 < cell.needle_at < cell.tokens
    # The cached number is the one a fresh computation gives.
    prompt_ids, answer_ids, at = needle.build_prompt(lm.tokenizer, 256, 1.0, 0)
    assert cells[3].needle_at == at and cells[3].tokens == len(prompt_ids)
    assert cells[3].answer_prob == pytest.approx(needle.answer_prob(lm.model, prompt_ids, answer_ids), rel=1e-9)
