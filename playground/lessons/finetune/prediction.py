"""Predict, then reveal: will validation loss rise? Before a run the learner guesses whether its
validation loss will end clearly above its lowest point (overfitting) or not; when the run ends,
the guess is graded on the losses the trainer itself logged on the validation rows (step 0, the
base model, included). "Clearly above" is the loss plot's own rule (views.RISE): more than 2 %."""

from __future__ import annotations

from collections.abc import Sequence

from playground.checks import UserInputError
from playground.lessons.finetune.views import RISE
from playground.scoring import Verdict

ROSE = "It will rise: end above its lowest point (overfitting)"
FELL = "It will keep falling: end at its lowest point"
CHOICES = (ROSE, FELL)
QUESTION = "Will the validation loss at the end of the run be higher than at its lowest point?"


def check_guess(guess: object) -> str | None:
    """The guess, None when the learner made none (the run trains anyway), or a message for anything else."""
    if guess in (None, ""):
        return None
    if guess not in CHOICES:
        raise UserInputError(f"The guess must be one of: {'; '.join(CHOICES)}.")
    return str(guess)


def rose(evals: Sequence[dict]) -> bool:
    """The run's validation loss ended more than RISE above its lowest logged value."""
    low = min(p["loss"] for p in evals)
    return evals[-1]["loss"] > low * (1 + RISE)


def grade_overfit(guess: object, evals: Sequence[dict]) -> Verdict:
    """Grade the guess against the run's logged validation losses [{"step", "loss"}, ...], in step order."""
    picked = check_guess(guess)
    if picked is None:
        raise UserInputError("Make your guess first: rise or keep falling.")
    if len(evals) < 2:
        raise UserInputError("The run logged fewer than two validation losses, so there is no curve to grade.")
    best = min(evals, key=lambda p: p["loss"])
    end, start = evals[-1], evals[0]
    up = rose(evals)
    answer = ROSE if up else FELL
    change = (end["loss"] - best["loss"]) / best["loss"]
    if best["step"] == end["step"]:
        detail = (f"Validation loss went from {start['loss']:.3f} at step {start['step']} to {end['loss']:.3f} at step "
                  f"{end['step']}: the last step was its lowest point.")
    else:
        detail = (f"Validation loss was lowest at step {best['step']} ({best['loss']:.3f}) and ended at step "
                  f"{end['step']} at {end['loss']:.3f}, {change:+.1%} from its lowest"
                  + (": the model began to memorise its training rows." if up else
                     f", within the {RISE:.0%} that counts as noise, so it did not clearly turn up."))
    return Verdict(
        lesson="finetune",
        question=QUESTION,
        guess="rise" if picked == ROSE else "keep falling",
        answer="rose" if up else "kept falling",
        closeness=1.0 if picked == answer else 0.0,
        detail=detail,
    )
