"""Predict, then reveal in the Sampling lesson: "which token comes next?". The verdict's answer is the argmax of
the model's own transformers logits, the guess is graded by its token's rank and probability in that
distribution (its probability as a share of the top token's), a word is matched to the token the learner means,
an empty guess gets a message before the model runs, and the running score adds up per session."""

from __future__ import annotations

import types

import gradio as gr
import pytest
import torch

from playground.checks import UserInputError
from playground.lessons.sampling import prediction as P
from playground.lessons.sampling import tab
from playground.lessons.sampling import warpers as W
from playground.lm.engines import EXACT
from playground.lm.text import token_text

PROMPT = "The capital of France is"


@pytest.fixture(scope="module")
def reference(lm):
    """The bare library call: the model's own next-token logits after the prompt, in float32."""
    ids = lm.tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logits = lm.model(torch.tensor([ids])).logits[0, -1].float()
    return ids, logits, torch.softmax(logits, -1)


def test_the_answer_is_the_argmax_of_the_models_own_logits(lm, reference):
    ids, logits, probs = reference
    top = int(torch.argmax(logits))
    exact = P.next_token_verdict(lm, ids, token_text(lm.tokenizer, top), weights=EXACT)
    assert exact.answer == P.shown(token_text(lm.tokenizer, top)) == exact.guess
    assert exact.closeness == 1.0 and f"{float(probs[top]):.1%}" in exact.detail

    # the runner-up: graded by its probability as a share of the top token's, and named by its rank
    second = int(torch.topk(logits, 2).indices[1])
    near = P.next_token_verdict(lm, ids, token_text(lm.tokenizer, second), weights=EXACT)
    assert near.answer == exact.answer and "rank 2" in near.detail
    assert near.closeness == pytest.approx(float(probs[second] / probs[top]), rel=1e-4) and near.closeness < P.NOT_TOP

    # a far guess: its rank counted against the reference's own ordering, closeness near 0
    far = P.next_token_verdict(lm, ids, "zebra", weights=EXACT)
    zebra = lm.tokenizer.encode(" zebra", add_special_tokens=False)[0]
    assert far.guess == P.shown(token_text(lm.tokenizer, zebra))
    assert f"rank {int((logits > logits[zebra]).sum()) + 1:,}" in far.detail
    assert far.closeness < 0.01


def test_a_word_is_matched_to_the_token_the_learner_means(lm, reference):
    ids, logits, probs = reference
    space_paris = lm.tokenizer.encode(" Paris", add_special_tokens=False)
    assert len(space_paris) == 1
    for typed in ("Paris", " Paris", '"Paris"', "Paris  "):  # after "is", a new word: with its leading space
        m = P.match_guess(lm.tokenizer, P.check_guess(typed), probs, before=" is")
        assert m.id == space_paris[0], typed
    # after a space (or a chat template's newline) the word is read as typed
    assert P.match_guess(lm.tokenizer, "Paris", probs, before="\n").id == lm.tokenizer.encode("Paris")[0]
    # punctuation is read as typed
    assert P.match_guess(lm.tokenizer, ",", probs, before=" is").text == ","
    # a word the model splits is graded by its first token, and the detail says so
    v = P.next_token_verdict(lm, ids, "Supercalifragilistic", weights=EXACT)
    pieces = lm.tokenizer.encode(" Supercalifragilistic", add_special_tokens=False)
    assert len(pieces) > 1 and v.guess == P.shown(token_text(lm.tokenizer, pieces[0]))
    assert f"{len(pieces)} tokens here" in v.detail


def test_settings_say_whether_the_guess_could_be_drawn(lm, reference):
    ids, logits, _ = reference
    second = token_text(lm.tokenizer, int(torch.topk(logits, 2).indices[1]))
    greedy = P.next_token_verdict(lm, ids, second, W.DecodingSettings(temperature=0.0), weights=EXACT)
    assert "remove it: it cannot be drawn" in greedy.detail
    plain = P.next_token_verdict(lm, ids, second, weights=EXACT)
    assert greedy.closeness == plain.closeness  # the settings never change the answer or the grade


@pytest.mark.parametrize("guess", [None, "", "   ", "x" * (P.MAX_GUESS_CHARS + 1)])
def test_an_empty_or_long_guess_is_refused_before_the_model_runs(guess):
    with pytest.raises(UserInputError):
        P.check_guess(guess)


def _request(session: str):
    return types.SimpleNamespace(session_hash=session)


def test_the_reveal_draws_the_chart_and_the_score_adds_up_per_session(hub, lm):
    h = tab.Handlers(hub)
    settings = ["32-bit", 1.0, 0, 1.0, 0.0, 1.0, 0]
    first = h.predict_reveal(PROMPT, False, *settings, tab.Generation(), "Paris", _request("sampling-a"))
    state, text_html, summary, plot, *_, md = first
    assert state.chart is not None and plot is not None and summary  # the tab's main view: the distribution
    assert "Spot on" in md and "1.0 points from 1 guess," in md
    second = h.predict_reveal(PROMPT, False, *settings, state, "zebra", _request("sampling-a"))
    assert "Not this time" in second[-1] and "from 2 guesses, 1 spot on" in second[-1]
    other = h.predict_reveal(PROMPT, False, *settings, tab.Generation(), "zebra", _request("sampling-b"))
    assert "from 1 guess, 0 spot on" in other[-1]  # another page keeps its own score
    with pytest.raises(gr.Error, match="Type your guess"):
        h.predict_reveal(PROMPT, False, *settings, tab.Generation(), " ", _request("sampling-a"))
    after = h.predict_reveal(PROMPT, False, *settings, tab.Generation(), "Paris", _request("sampling-a"))
    assert "from 3 guesses, 2 spot on" in after[-1]  # the refused guess counted nothing, and the handler still works
