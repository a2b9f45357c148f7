"""Predict, then reveal in the Attention lesson: "which head does a job?". The verdict's answer is
the head the model's own `output_attentions` make strongest, the guess is graded by its rank among
all heads, an empty or impossible guess gets a message before anything runs, the running score adds
up per session, and in a browser a learner types a head, reveals, and reads the verdict and the score."""

from __future__ import annotations

import types

import gradio as gr
import numpy as np
import pytest
import torch

from playground.checks import UserInputError
from playground.lessons.attention import tab
from playground.lessons.attention.prediction import INDUCTION, PREVIOUS, grade_head, parse_head_guess, rank_of
from playground.lessons.attention.probe import probe_ids, run_probe
from playground.ui.predict import SCORES, record

LM = "smollm2-135m-instruct"
HALF, SEED = 30, 0


@pytest.fixture(scope="module")
def probed(lm):
    return run_probe(lm, HALF, SEED)


@pytest.fixture(scope="module")
def reference_scores(lm):
    """The bare library call: the model's own attention probabilities on the probe's ids, scored by hand."""
    ids, offset = probe_ids(lm.tokenizer, HALF, SEED)
    with torch.no_grad():
        out = lm.model(input_ids=torch.tensor([ids]), output_attentions=True)
    w = torch.stack([a[0] for a in out.attentions]).numpy()  # (layers, heads, T, T)
    prev_q = np.arange(offset + 1, offset + 2 * HALF)
    ind_q = np.arange(offset + HALF + 1, offset + 2 * HALF)
    return {PREVIOUS: w[:, :, prev_q, prev_q - 1].mean(-1), INDUCTION: w[:, :, ind_q, ind_q - HALF + 1].mean(-1)}


def best_of(scores: np.ndarray) -> tuple[int, int]:
    return tuple(int(i) for i in np.unravel_index(np.argmax(scores), scores.shape))


@pytest.mark.parametrize("job", [PREVIOUS, INDUCTION])
def test_the_answer_is_the_strongest_head_by_the_models_own_attentions(probed, reference_scores, job):
    ref = reference_scores[job]
    bl, bh = best_of(ref)
    exact = grade_head(probed, job, bl, bh, LM)
    assert exact.answer == f"layer {bl}, head {bh}" and exact.closeness == 1.0
    assert "runner-up" in exact.detail and f"{ref[bl, bh]:.3f}" in exact.detail
    # a far guess: the head that scores lowest ranks last of 270 and earns almost nothing
    wl, wh = (int(i) for i in np.unravel_index(np.argmin(ref), ref.shape))
    far = grade_head(probed, job, wl, wh, LM)
    assert far.answer == exact.answer and far.closeness <= 1 / 200
    assert f"ranks {ref.size - int((ref == ref[wl, wh]).sum()) + 1} of 270" in far.detail
    # a middling guess: graded 1/rank, its rank counted against the reference's own ordering
    order = np.argsort(ref, axis=None)[::-1]
    ml, mh = (int(i) for i in np.unravel_index(order[4], ref.shape))
    mid = grade_head(probed, job, ml, mh, LM)
    assert rank_of(ref, ml, mh) == 5 and mid.closeness == pytest.approx(1 / 5)
    assert f"layer {bl}, head {bh}" in mid.detail


def test_the_lessons_known_heads_are_the_answers(probed):
    # the lesson's text and tests/test_attention.py name them: layer 16 head 0, layer 18 head 6
    assert grade_head(probed, PREVIOUS, 0, 0, LM).answer == "layer 16, head 0"
    assert grade_head(probed, INDUCTION, 0, 0, LM).answer == "layer 18, head 6"


@pytest.mark.parametrize("job, layer, head, message", [
    (PREVIOUS, None, 3, "Type your guess first"),
    (PREVIOUS, 2, "", "Type your guess first"),
    (PREVIOUS, 2.5, 1, "whole numbers"),
    (PREVIOUS, -1, 1, "whole numbers"),
    (PREVIOUS, "twelve", "3", "whole numbers"),
    (None, 2, 1, "Pick the job"),
])
def test_an_empty_or_malformed_guess_is_refused_before_the_model_runs(job, layer, head, message):
    with pytest.raises(UserInputError, match=message):
        parse_head_guess(job, layer, head)


def test_a_typed_guess_is_read_as_whole_numbers():
    assert parse_head_guess(INDUCTION, " 18 ", "6") == (INDUCTION, 18, 6)


def test_a_head_the_model_does_not_have_names_the_range(probed, hub):
    with pytest.raises(UserInputError, match="layers 0–29 and heads 0–8"):
        grade_head(probed, PREVIOUS, 30, 0, LM)
    with pytest.raises(gr.Error, match="Type your guess first"):  # through the tab's handler, as the page sees it
        tab.probe_guess(hub, LM, HALF, SEED, PREVIOUS, None, None)


def test_the_reveal_shows_the_probe_and_the_score_adds_up_per_session(hub):
    *views, verdict = tab.probe_guess(hub, LM, HALF, SEED, PREVIOUS, 16, 0)
    assert "16" in views[0] and verdict.closeness == 1.0  # the probe's own report is drawn too
    other = tab.probe_guess(hub, LM, HALF, SEED, INDUCTION, 16, 0)[-1]
    alice, bob = (types.SimpleNamespace(session_hash=f"attention-{n}") for n in ("alice", "bob"))
    first = tab.score_guess(verdict, alice)
    assert "Spot on" in first and "1.0 points from 1 guess," in first
    second = tab.score_guess(other, alice)
    total = 1.0 + other.closeness
    assert f"{total:.1f} points from 2 guesses, 1 spot on" in second
    assert SCORES.tally("attention-alice").tries == 2
    assert "points from 1 guess," in record(other, bob) and SCORES.tally("attention-bob").tries == 1


@pytest.fixture(scope="module")
def attention_app(hub):
    from conftest import launch_lesson

    from playground.lessons import attention

    yield from launch_lesson(hub, attention)


@pytest.mark.browser
def test_a_learner_guesses_a_head_reveals_and_sees_the_verdict_and_the_score(browser, attention_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), attention_app)
    pg = watch.open("Attention")
    box = pg.locator(".predict-box")
    box.get_by_text("Before you run the probe").wait_for(timeout=30_000)
    box.get_by_role("button", name="Run the probe and reveal").click()  # no guess yet: a message, nothing runs
    pg.get_by_text("Type your guess first").first.wait_for(timeout=300_000)
    box.get_by_role("textbox", name="Layer", exact=True).fill("16")
    box.get_by_role("textbox", name="Head", exact=True).fill("2")
    box.get_by_role("button", name="Run the probe and reveal").click()
    box.get_by_text("Your score this session").wait_for(timeout=300_000)
    text = box.inner_text()
    assert "the answer is layer 16, head 0" in text and "ranks" in text and "1 guess," in text
    pg.get_by_text("Probe scores per layer and head").first.wait_for()  # the probe's own views were drawn
    box.get_by_role("textbox", name="Head", exact=True).fill("0")
    box.get_by_role("button", name="Run the probe and reveal").click()
    box.get_by_text("from 2 guesses").wait_for(timeout=300_000)
    assert "Spot on" in box.inner_text()
    box.scroll_into_view_if_needed()
    watch.screenshot("attention-predict")
    watch.assert_clean()
    context.close()
