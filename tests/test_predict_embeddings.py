"""Predict, then reveal in the Embeddings lesson: "which text is nearest the query?". The verdict's answer is
the text whose `SentenceTransformer.encode` vector has the highest cosine with the query's, the guess is graded
by its rank ((n − rank) / (n − 1))², a typed guess is matched to the text it names, a guess that names no text
(or several) gets a message before anything is embedded, and the running score adds up per session."""

from __future__ import annotations

import types

import gradio as gr
import numpy as np
import pytest

from playground.checks import UserInputError
from playground.lessons.embeddings import prediction as P
from playground.lessons.embeddings import tab

TEXTS = [
    "The striker scored in the last minute.",
    "Knead the dough for ten minutes.",
    "Simmer the soup with a bay leaf.",
    "Saturn's rings are made of ice.",
    "The goalkeeper saved a penalty.",
    "Roast the tomatoes with garlic.",
]
QUERY = "what should I cook for dinner tonight?"


@pytest.fixture(scope="module")
def reference(encoder):
    """The bare library call: SentenceTransformer.encode, cosine by hand, every text ranked."""
    vecs = encoder.model.encode(TEXTS + [QUERY], convert_to_numpy=True)
    v = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    cos = v[:-1] @ v[-1]
    return cos, [int(i) for i in np.argsort(-cos)]


def test_the_answer_is_the_highest_cosine_of_the_encoders_own_vectors(hub, reference):
    cos, order = reference
    texts = "\n".join(TEXTS)
    found, exact = P.reveal_nearest(hub, texts, QUERY, 3, TEXTS[order[0]])
    assert exact.answer == f"“{TEXTS[order[0]]}”" and exact.closeness == 1.0
    assert f"{cos[order[0]]:.3f}" in exact.detail and f"runner-up, “{TEXTS[order[1]]}”" in exact.detail
    assert [i for i, _ in found.found] == order[:3]  # the table the tab shows: the search's k nearest
    # the 2nd and the farthest text, graded by their rank among all six
    _, second = P.reveal_nearest(hub, texts, QUERY, 3, TEXTS[order[1]])
    assert second.answer == exact.answer and "2nd nearest" in second.detail
    assert second.closeness == pytest.approx((4 / 5) ** 2)
    _, far = P.reveal_nearest(hub, texts, QUERY, 3, TEXTS[order[-1]])
    assert far.closeness == 0.0 and "**6th nearest** of 6 texts" in far.detail
    assert f"{cos[order[0]] - cos[order[-1]]:.3f} more" in far.detail


def test_a_typed_guess_is_matched_to_the_text_it_names():
    assert P.match_text(TEXTS, "  simmer THE soup with a bay leaf. ") == 2  # spacing and case aside
    assert P.match_text(TEXTS, "tomatoes") == 5  # the one text that contains it
    with pytest.raises(UserInputError, match="2 texts contain"):
        P.match_text(TEXTS, "the s")  # "The striker ...", "Simmer the soup ..."
    with pytest.raises(UserInputError, match="not one of the texts"):
        P.match_text(TEXTS, "a recipe with chocolate")
    with pytest.raises(UserInputError, match="Pick the text"):
        P.match_text(TEXTS, "  ")


def test_the_dropdown_lists_the_texts_once_each():
    choices = P.dropdown_choices("\n".join(TEXTS + [TEXTS[0], "", "x" * 300]))
    assert [value for _, value in choices] == TEXTS + ["x" * 300]
    assert choices[-1][0].endswith("…") and len(choices[-1][0]) == 100


def _request(session: str):
    return types.SimpleNamespace(session_hash=session)


def test_the_reveal_runs_the_search_and_the_score_adds_up_per_session(hub, reference):
    _, order = reference
    reveal = tab.Predict(hub).reveal
    texts = "\n".join(TEXTS)
    found, raw, md = reveal(texts, QUERY, 5, TEXTS[order[0]], _request("emb-a"))
    assert [n["index"] for n in raw["neighbours"]] == order[:5] and found.query == QUERY
    assert "Spot on" in md and "1.0 points from 1 guess," in md
    md = reveal(texts, QUERY, 5, TEXTS[order[-1]], _request("emb-a"))[-1]
    assert "Not this time" in md and "from 2 guesses, 1 spot on" in md
    assert "from 1 guess, 0 spot on" in reveal(texts, QUERY, 5, TEXTS[order[-1]], _request("emb-b"))[-1]
    with pytest.raises(gr.Error, match="not one of the texts"):
        reveal(texts, QUERY, 5, "a recipe with chocolate", _request("emb-a"))
    with pytest.raises(gr.Error, match="query is empty"):
        reveal(texts, "", 5, TEXTS[0], _request("emb-a"))
    assert "from 3 guesses" in reveal(texts, QUERY, 5, TEXTS[order[0]], _request("emb-a"))[-1]
