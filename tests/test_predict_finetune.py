"""Predict, then reveal in the Fine-tuning lab: "will validation loss rise?". The guess is read by the
tab's train handler before the run and graded when it ends, on the validation losses the trainer
itself logged (one tiny seeded run through the real worker, a few steps); the rule is the loss plot's
own (more than 2 % above the lowest point); closeness is 1 or 0; a bad guess is refused before the
run waits in line; the running score adds up per session."""

from __future__ import annotations

import functools
import json
import math
import types

import pytest

from playground.checks import UserInputError
from playground.lessons.finetune import lab, prediction, tab, views
from playground.lessons.finetune.prediction import FELL, ROSE, grade_overfit
from playground.training import rows
from playground.training.base import FP32
from playground.ui.predict import SCORES

FALLING = [{"step": 0, "loss": 3.0}, {"step": 2, "loss": 2.5}, {"step": 4, "loss": 2.2}]
TURNED_UP = [{"step": 0, "loss": 3.0}, {"step": 5, "loss": 2.0}, {"step": 10, "loss": 1.9}, {"step": 15, "loss": 2.2}]
FLAT_END = [{"step": 0, "loss": 3.0}, {"step": 5, "loss": 2.0}, {"step": 10, "loss": 2.01}]  # +0.5 %: noise


def session(name: str):
    return types.SimpleNamespace(session_hash=f"finetune-{name}")


def tiny_data() -> str:
    lines = rows.builtin_jsonl("tutor").splitlines()
    by_split = {s: [l for l in lines if json.loads(l)["split"] == s] for s in rows.SPLITS}
    return "\n".join(by_split["train"][:4] + by_split["validation"][:2] + by_split["test"][:1]) + "\n"


@pytest.mark.parametrize("evals, answer", [(FALLING, "kept falling"), (TURNED_UP, "rose"), (FLAT_END, "kept falling")])
def test_the_answer_follows_the_loss_plots_own_rule(evals, answer):
    expected_rose = views.turn_up_step(evals) is not None  # the plot's "overfitting" mark (these end at it)
    assert (answer == "rose") == expected_rose
    right = grade_overfit(ROSE if answer == "rose" else FELL, evals)
    wrong = grade_overfit(FELL if answer == "rose" else ROSE, evals)
    assert right.answer == wrong.answer == answer
    assert right.closeness == 1.0 and wrong.closeness == 0.0
    assert f"{evals[-1]['loss']:.3f}" in right.detail


def test_the_detail_names_the_lowest_point_and_the_rise():
    v = grade_overfit(ROSE, TURNED_UP)
    assert "lowest at step 10 (1.900)" in v.detail and "+15.8%" in v.detail and "memorise" in v.detail
    assert "within the 2%" in grade_overfit(FELL, FLAT_END).detail


def test_no_guess_or_a_strange_one_gets_a_message():
    assert prediction.check_guess(None) is None and prediction.check_guess("") is None  # the run trains anyway
    with pytest.raises(UserInputError, match="guess must be one of"):
        prediction.check_guess("maybe")
    with pytest.raises(UserInputError, match="Make your guess first"):
        grade_overfit(None, FALLING)
    with pytest.raises(UserInputError, match="fewer than two"):
        grade_overfit(ROSE, FALLING[:1])
    with pytest.raises(UserInputError, match="guess must be one of"):  # refused before the run waits in line
        next(tab.train_run(None, tiny_data(), 4, 8, list(lab.PROJECTIONS), 2e-3, 1, 2, 128, True, 0, False, FP32,
                           "maybe", session("strange")))


def test_the_running_score_adds_up_in_one_session_and_stays_apart_from_another():
    a, b = session("alice"), session("bob")
    assert "1.0 points from 1 guess, 1 spot on" in tab._verdict_md(FELL, FALLING, a)
    assert "1.0 points from 2 guesses, 1 spot on" in tab._verdict_md(FELL, TURNED_UP, a)
    assert "0.0 points from 1 guess, 0 spot on" in tab._verdict_md(ROSE, FALLING, b)
    assert SCORES.tally("finetune-alice").tries == 2 and SCORES.tally("finetune-bob").tries == 1


def test_a_real_run_is_graded_on_its_own_logged_validation_losses(hub, monkeypatch):
    """The tab's train handler, one tiny seeded run (4 rows, 2 epochs of 2 batches: 4 steps) in the worker."""
    monkeypatch.setattr(lab, "start", functools.partial(lab.start, max_new_tokens=8, evaluations=2))
    graded = []

    def spy(guess, evals):
        graded.append([dict(p) for p in evals])
        return grade_overfit(guess, evals)

    monkeypatch.setattr(prediction, "grade_overfit", spy)
    outs = list(tab.train_run(hub, tiny_data(), 4, 8, list(lab.PROJECTIONS), 2e-3, 2, 2, 128, True, 0, False, FP32,
                              FELL, session("runner")))
    first, last = outs[0][-1], outs[-1][-1]
    assert "Your guess is in" in first and "verdict comes when the run ends" in first
    assert all(not isinstance(o[-1], str) for o in outs[1:-1])  # the box is left alone while the run goes on
    assert outs[-1][0].startswith("**Done**") and len(graded) == 1
    evals = graded[0]
    assert evals[0]["step"] == 0 and evals[-1]["step"] == 4 and len(evals) >= 2  # the base model, then the run
    assert all(math.isfinite(p["loss"]) for p in evals)
    low = min(p["loss"] for p in evals)
    reference = "rose" if evals[-1]["loss"] > low * 1.02 else "kept falling"
    assert f"the answer is **{reference}**" in last
    assert ("Spot on" in last) == (reference == "kept falling")
    assert "points from 1 guess" in last
    tab.default_store().remove_session("finetune-runner")
