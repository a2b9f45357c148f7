"""Predict, then reveal in the Grounding lesson: "is this sentence supported?". The verdict is the
tab's own support checker on the current knowledge base (edit a passage and the answer follows),
it agrees with the labelled sentences the checker is measured on wherever the checker is right, the
guess scores 1 or 0 with the score, the margin and the passage in the detail, bad input gets a
message, and the running score adds up per session. No model runs: the checker is lexical."""

from __future__ import annotations

import types

import gradio as gr
import pytest

from playground.checks import UserInputError
from playground.lessons.grounding import pipeline as pipe
from playground.lessons.grounding import retrieval as ret
from playground.lessons.grounding import support as sup
from playground.lessons.grounding import tab
from playground.lessons.grounding.prediction import DEFAULT_SENTENCE, NOT_SUPPORTED, SUPPORTED, grade_support
from playground.ui.predict import SCORES

KB = ret.builtin_passages()


def session(name: str):
    return types.SimpleNamespace(session_hash=f"grounding-{name}")


def test_the_answer_is_the_checkers_verdict_on_the_whole_knowledge_base():
    labels = sup.load_labels()
    wrong = {(lab.question, lab.sentence) for lab in pipe.checker_quality_whole_kb().wrong}
    agreed = 0
    for lab in labels:
        v = grade_support(SUPPORTED, lab.sentence, KB)
        reference = sup.check_support([lab.sentence], KB, "", sup.corpus_for(KB))[0]
        assert v.answer == (SUPPORTED if reference.supported else NOT_SUPPORTED), lab.sentence
        assert f"Support score {reference.score:.2f}" in v.detail
        if (lab.question, lab.sentence) not in wrong and sup.check_support(
                [lab.sentence], KB, lab.question, sup.corpus_for(KB))[0].supported == reference.supported:
            # where the measured checker is right (and the question changes nothing), the reveal is the label
            assert (v.answer == SUPPORTED) == lab.supported, lab.sentence
            agreed += 1
    assert agreed > len(labels) / 2


@pytest.mark.parametrize("sentence, answer, passage", [
    ("Port Anselm is the capital of Quillmere.", SUPPORTED, "The capital of Quillmere is Port Anselm"),
    (DEFAULT_SENTENCE, NOT_SUPPORTED, "rises to 1,412 metres"),  # the passage's words, a wrong number
    ("The current Harbourwarden is Tobias Marrow.", NOT_SUPPORTED, "Ilsabet Marrow"),  # a swapped name
])
def test_closeness_is_one_for_the_right_guess_and_zero_for_the_wrong_one(sentence, answer, passage):
    right = grade_support(answer, sentence, KB)
    wrong = grade_support(NOT_SUPPORTED if answer == SUPPORTED else SUPPORTED, sentence, KB)
    assert right.answer == wrong.answer == answer
    assert right.closeness == 1.0 and wrong.closeness == 0.0
    assert passage in right.detail and "the line of 0.70" in right.detail
    if answer == NOT_SUPPORTED:
        assert "Not supported:" in right.detail and "Missing from it:" in right.detail


def test_the_reveal_reads_the_current_knowledge_base():
    sentence = "Port Anselm is the capital of Quillmere."
    edited = ret.builtin_text().replace("The capital of Quillmere is Port Anselm", "The capital of Quillmere is Port Bellamy")
    before = tab.reveal_support(ret.builtin_text(), ret.DEFAULT_MODE, sentence, SUPPORTED, session("kb"))
    after = tab.reveal_support(edited, ret.DEFAULT_MODE, sentence, SUPPORTED, session("kb"))
    assert "the answer is **Supported**" in before and "Spot on" in before
    assert "the answer is **Not supported**" in after and "Not this time" in after
    assert "1.0 points from 2 guesses, 1 spot on" in after


@pytest.mark.parametrize("kb_text, sentence, guess, message", [
    (ret.builtin_text(), DEFAULT_SENTENCE, None, "Make your guess first"),
    (ret.builtin_text(), "   ", SUPPORTED, "The sentence is empty"),
    (ret.builtin_text(), "x" * 500, SUPPORTED, "keep it under 400"),
    ("", DEFAULT_SENTENCE, SUPPORTED, "empty"),
])
def test_bad_input_gets_a_message_and_the_next_reveal_works(kb_text, sentence, guess, message):
    with pytest.raises(UserInputError, match=message):
        grade_support(guess, sentence, ret.parse_passages(kb_text) if kb_text else [])
    with pytest.raises(gr.Error, match=message):  # through the tab's handler, as the page sees it
        tab.reveal_support(kb_text, ret.DEFAULT_MODE, sentence, guess, session("bad"))
    assert "points from" in tab.reveal_support(ret.builtin_text(), ret.DEFAULT_MODE, DEFAULT_SENTENCE, SUPPORTED,
                                               session("bad"))


def test_the_running_score_adds_up_in_one_session_and_stays_apart_from_another():
    a, b = session("alice"), session("bob")
    first = tab.reveal_support(ret.builtin_text(), ret.DEFAULT_MODE, DEFAULT_SENTENCE, NOT_SUPPORTED, a)
    assert "1.0 points from 1 guess, 1 spot on" in first
    second = tab.reveal_support(ret.builtin_text(), ret.DEFAULT_MODE, DEFAULT_SENTENCE, SUPPORTED, a)
    assert "1.0 points from 2 guesses, 1 spot on" in second
    other = tab.reveal_support(ret.builtin_text(), ret.DEFAULT_MODE, DEFAULT_SENTENCE, SUPPORTED, b)
    assert "0.0 points from 1 guess, 0 spot on" in other
    assert SCORES.tally("grounding-alice").tries == 2 and SCORES.tally("grounding-bob").tries == 1
