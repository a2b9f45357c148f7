"""Grounding: retrieval finds the gold passages, the support checker keeps its measured precision
on labelled hard negatives and certifies no invention built from other passages' words, the
grounded side abstains on the unanswerable questions by default, token probabilities are the model's own
softmax, the same seed gives the same answers, the API returns its documented shape, and
bad input (empty question, empty knowledge base, very long question) gets a clear message."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from playground.lm.prompts import chat_ids
from playground.lessons.grounding import answer as ans
from playground.lessons.grounding import evaluation as ev
from playground.lessons.grounding import pipeline as pipe
from playground.lessons.grounding import retrieval as ret
from playground.lessons.grounding import support as sup
from playground.checks import UserInputError

KB = ret.builtin_passages()


@pytest.fixture(scope="module")
def st(encoder):
    return encoder.model


# --- knowledge base and retrieval ------------------------------------------------------------------


def test_builtin_knowledge_base_and_questions():
    assert 45 <= len(KB) <= 60
    qs = ev.load_questions()
    assert 10 <= sum(bool(q.gold) for q in qs) <= 15
    for q in qs:
        if q.passage is not None:  # every gold answer is really in its gold passage
            assert any(ev.is_correct(KB[q.passage], q.gold) for _ in [0]), q


@pytest.mark.parametrize("mode", ["hybrid"])
def test_retrieval_finds_gold_passage_in_top3(st, mode):
    qs = [q for q in ev.load_questions() if q.passage is not None]
    found = [q.passage in [h.id for h in ret.retrieve(st, KB, q.question, 3, mode)] for q in qs]
    assert sum(found) / len(found) >= 0.9, found


def test_dense_scores_are_sentence_transformer_cosines(st):
    q = "Who wrote the Quillmere anthem?"
    hits = ret.retrieve(st, KB, q, 5, "dense")
    p = st.encode(KB, normalize_embeddings=True)
    qv = st.encode([q], normalize_embeddings=True)[0]
    ref = p @ qv
    assert [h.id for h in hits] == list(np.argsort(-ref)[:5])
    np.testing.assert_allclose([h.score for h in hits], np.sort(ref)[::-1][:5], atol=1e-5)


def test_hybrid_uses_rank_bm25_scores(st):
    from rank_bm25 import BM25Okapi

    q = "Who is the Harbourwarden of Quillmere today?"
    ref = BM25Okapi([ret.words(p) for p in KB]).get_scores(ret.words(q))
    hits = ret.retrieve(st, KB, q, 4, "hybrid")
    for h in hits:
        assert h.bm25 == pytest.approx(ref[h.id])
        assert 0 <= h.score <= 1
    assert hits[0].id == 14  # BM25's exact word "Harbourwarden" finds what the cosine alone misses


def test_embedding_cache_reuses_passages(st):
    from playground.models.embedding_cache import CACHE

    ret.embed(st, KB)
    before = CACHE.encoded
    edited = KB[:-1] + ["Quillmere has a brand-new passage about lighthouses."]
    vecs = ret.embed(st, edited)
    assert CACHE.encoded == before + 1  # only the new passage went through the model
    np.testing.assert_allclose(vecs, st.encode(edited, normalize_embeddings=True), atol=1e-5)


@pytest.mark.parametrize("text", ["", "  \n\n  ", None])
def test_empty_knowledge_base_message(text):
    with pytest.raises(ret.KnowledgeBaseError, match="knowledge base is empty"):
        ret.parse_passages(text)
    with pytest.raises(UserInputError, match="knowledge base is empty"):
        pipe.knowledge_base_from(text, "dense")


def test_empty_knowledge_base_in_ground(hub):
    with pytest.raises(UserInputError, match="knowledge base is empty"):
        pipe.ground(hub, "What is the capital of Quillmere?", 3, 0.4, 0, [])


@pytest.mark.parametrize(
    "question, message",
    [("", "question is empty"), ("   ", "question is empty"), ("x" * 1000, "1,000 characters long"), (None, "enter some question")],
)
def test_question_messages(question, message):
    with pytest.raises(UserInputError, match=re.escape(message)):
        pipe.check_question(question)


def test_upload_messages(tmp_path):
    good = tmp_path / "kb.txt"
    good.write_text("Zorvia has three moons.\n\nIts capital is Pell.\n", encoding="utf-8")
    assert ret.parse_passages(pipe.read_upload(str(good))) == ["Zorvia has three moons.", "Its capital is Pell."]
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(UserInputError, match="not UTF-8"):
        pipe.read_upload(str(latin))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(UserInputError, match="empty"):
        pipe.read_upload(str(empty))


# --- support checker --------------------------------------------------------------------------------


def _retrieved(st, question, mode="hybrid", k=3):
    return [h.text for h in ret.retrieve(st, KB, question, k, mode)]


def test_support_flags_planted_and_accepts_copied(st):
    q = "What is the capital of Quillmere?"
    passages = _retrieved(st, q)
    copied = KB[1]
    planted = "The capital of Quillmere is Lisbon, which was founded in 1147."
    checks = sup.check_support([copied, planted], passages, q, sup.corpus_for(KB))
    assert checks[0].supported and passages[checks[0].passage] == copied
    assert not checks[1].supported
    assert "lisbon" in checks[1].missing


def test_support_rejects_a_wrong_number(st):
    q = "How tall is Mount Corvel?"
    [c] = sup.check_support(["Mount Corvel rises to 1,512 metres above sea level."], _retrieved(st, q), q, sup.corpus_for(KB))
    assert not c.supported and not c.numbers_ok


@pytest.mark.parametrize(
    "question, sentence, mode",
    [  # what the old checker certified: words from passages about other things
        ("Who designed the flag of Quillmere?", "The flag of Quillmere is designed by the Quillish people.", "hybrid"),
        ("Who designed the flag of Quillmere?", "The flag of Quillmere is designed by the Quillish people.", "dense"),
        ("Who is the Harbourwarden of Quillmere today?", "The Harbourwarden of Quillmere is the port and city of Port Anselm", "dense"),
        ("Who is the Harbourwarden of Quillmere today?", "The Harbourwarden of Quillmere is the port and city of Port Anselm", "hybrid"),
    ],
)
def test_support_does_not_certify_inventions_from_other_passages(st, question, sentence, mode):
    corpus = sup.corpus_for(KB)
    [c] = sup.check_support([sentence], _retrieved(st, question, mode), question, corpus)
    assert not c.supported, c
    [c] = sup.check_support([sentence], KB, question, corpus)  # not even against the whole base
    assert not c.supported, c


def test_support_checker_on_the_labelled_hard_negatives(st):
    """Precision of "supported" on the labelled set (hard negatives: wrong numbers, swapped
    names, inventions in the passages' words, SmolLM2's own sentences) must stay high."""
    labels = sup.load_labels()
    assert len(labels) >= 60 and 0.3 <= sum(lab.supported for lab in labels) / len(labels) <= 0.7
    corpus = sup.corpus_for(KB)
    measured = {
        "hybrid top-3": sup.measure(labels, lambda q: _retrieved(st, q, "hybrid"), corpus),
        "dense top-3": sup.measure(labels, lambda q: _retrieved(st, q, "dense"), corpus),
        "whole knowledge base": sup.measure(labels, lambda q: KB, corpus),
    }
    held_out = [lab for lab in labels if lab.split == "test"]
    measured["held-out, whole base"] = sup.measure(held_out, lambda q: KB, corpus)
    report = "; ".join(
        f"{name}: precision {q.precision:.3f} ({q.true_positives}/{q.true_positives + q.false_positives}), "
        f"recall {q.recall:.3f} ({q.true_positives}/{q.positives})"
        for name, q in measured.items()
    )
    # measured when the checker was written: 0.965 / 0.959 / 0.953 precision, 1.0 on the held-out part
    assert all(q.precision >= 0.93 for q in measured.values()), report
    assert measured["hybrid top-3"].recall >= 0.9 and measured["whole knowledge base"].recall >= 0.9, report
    assert pipe.checker_quality_whole_kb() == measured["whole knowledge base"]


def test_support_terms_numbers_names_and_stems():
    lower = sup.lower_case_words(KB)
    got = {t.stem: t.kind for t in sup.terms("Tidecourt is played by seventeen Quillish teams, not 1,412.", lower)}
    assert got == {"tidecourt": "word", "play": "word", "17": "number", "quillish": "name", "team": "word",
                   "not": "negation", "1412": "number"}
    assert sup.main_clause("The national bird is the ashwing heron, a proud creature.") == "The national bird is the ashwing heron"


def test_a_bare_answer_is_read_with_its_question():
    q_members, q_hotels = "How many members does the Tidemoot have?", "How many hotels are there in Port Anselm?"
    corpus = sup.corpus_for(KB)
    [yes] = sup.check_support(["The answer is: 17"], [KB[12]], q_members, corpus)
    [no] = sup.check_support(["The answer is: 61000"], [KB[2]], q_hotels, corpus)
    assert yes.supported and not no.supported


def test_sentence_split_keeps_citations_with_their_sentence():
    assert sup.split_sentences("Port Anselm is the capital. [1] It is on the east coast [2].") == [
        "Port Anselm is the capital. [1]",
        "It is on the east coast [2].",
    ]
    assert ans.citations("It is [2] and [9] and [1].", 3) == [2, 1]


# --- scoring rule --------------------------------------------------------------------------------------


def test_correctness_rule():
    assert ev.is_correct("The capital is PORT ANSELM.", ("Port Anselm",))
    assert ev.is_correct("It is 1,412 metres high.", ("1412",))
    assert not ev.is_correct("It has 170 members.", ("17",))
    assert not ev.is_correct("Port Anselm", ("Port Anselm",), abstained=True)
    assert ev.is_correct("I don’t know.", ())
    assert ev.is_correct("Anything", (), abstained=True)
    assert not ev.is_correct("The bank is called Quillbank.", ())


def _row(gold, answer, top, backed):
    return ev.EvalRow("q?", tuple(gold), "closed", answer, top, None, 0, 1, int(backed), 1, backed)


def test_evaluation_scores_both_abstain_rules():
    rows = [
        _row(["Port Anselm"], "It is Port Anselm.", 0.8, True),  # right and backed
        _row(["17"], "It has 17 members, which is a lot.", 0.7, False),  # right, but the checker backs nothing
        _row([], "The bank is the Quillmark Bank.", 0.6, False),  # an invention the checker refuses
        _row([], "The flag was designed by the Quillish.", 0.3, False),  # below the retrieval threshold
    ]
    plain, gated = ev.summarise(rows, 0.4, support_rule=False), ev.summarise(rows, 0.4, support_rule=True)
    assert (plain.answerable_right, plain.unanswerable_abstained, plain.wrong_answers) == (2, 1, 1)
    assert (gated.answerable_right, gated.unanswerable_abstained, gated.wrong_answers) == (1, 2, 0)
    assert plain.coverage == 0.75 and gated.coverage == 0.25


# --- generation: the model's own probabilities, seeds ---------------------------------------------------


def _prompt(lm, question="What is the capital of Quillmere?"):
    return chat_ids(lm.tokenizer, ans.closed_book_messages(question))


@pytest.mark.parametrize("temperature", [0.0, 0.8])
def test_token_probs_equal_model_softmax(lm, temperature):
    prompt = _prompt(lm)
    [g] = ans.generate(lm, prompt, max_new_tokens=8, temperature=temperature, seed=5)
    assert len(g.ids) > 0
    with torch.no_grad():
        logits = lm.model(torch.tensor([prompt + g.ids])).logits[0].float()
    probs = torch.softmax(logits, dim=-1)
    expected = [float(probs[len(prompt) - 1 + i, t]) for i, t in enumerate(g.ids)]
    np.testing.assert_allclose([t.prob for t in g.tokens], expected, atol=1e-4)
    assert "".join(t.token for t in g.tokens).strip() == g.text
    if temperature == 0.0:  # greedy equals transformers' own greedy search
        out = lm.model.generate(torch.tensor([prompt]), max_new_tokens=8, do_sample=False)
        assert out[0, len(prompt):].tolist()[: len(g.ids)] == g.ids


def test_same_seed_same_answers(lm):
    prompt = _prompt(lm, "Who is the Harbourwarden of Quillmere?")
    run = lambda seed: [g.ids for g in ans.generate(lm, prompt, max_new_tokens=6, temperature=1.0, seed=seed, n=3)]  # noqa: E731
    first = run(11)
    assert run(11) == first
    assert any(run(12)[i] != first[i] for i in range(3))  # a different seed draws differently


# --- the API, through the launched app --------------------------------------------------------------------


@pytest.fixture
def short_answers(monkeypatch):
    monkeypatch.setattr(pipe, "MAX_NEW_TOKENS", 12)  # the shape is the point here, not long answers


@pytest.mark.app
def test_api_ground_shape(client, short_answers):
    out = client.predict("What is the capital of Quillmere?", 3, 0.0, 7, api_name="/ground")
    assert set(out) == {"closed_book", "grounded", "retrieved"}
    assert set(out["closed_book"]) == {"answer", "tokens"}
    assert set(out["grounded"]) == {"answer", "tokens", "abstained", "sentences"}
    assert out["grounded"]["abstained"] is False
    assert [set(r) for r in out["retrieved"]] == [{"id", "text", "score"}] * 3
    assert 1 in [r["id"] for r in out["retrieved"]]
    for side in ("closed_book", "grounded"):
        assert all(set(t) == {"token", "prob"} and 0 < t["prob"] <= 1 for t in out[side]["tokens"])
        assert "".join(t["token"] for t in out[side]["tokens"]).strip() == out[side]["answer"]
    ids = {r["id"] for r in out["retrieved"]}
    for s in out["grounded"]["sentences"]:
        assert set(s) == {"text", "supported", "score", "passage"} and s["passage"] in ids
    again = client.predict("What is the capital of Quillmere?", 3, 0.0, 7, api_name="/ground")
    assert again == out  # same seed, same answers


@pytest.mark.app
def test_api_ground_abstains_below_threshold(client, short_answers):
    out = client.predict("Who won the 1998 World Cup?", 2, 0.99, 0, api_name="/ground")
    g = out["grounded"]
    assert g["abstained"] is True and g["answer"] == pipe.IDK and g["tokens"] == [] and g["sentences"] == []
    assert out["retrieved"][0]["score"] < 0.99


UNANSWERABLE = [q.question for q in ev.load_questions() if not q.gold]


@pytest.mark.app
@pytest.mark.parametrize("question", UNANSWERABLE)
def test_api_ground_abstains_on_the_unanswerable_questions_by_default(client, question):
    """Default k, threshold and seed, the built-in knowledge base: the model would invent (a bank,
    61,000 hotels, a flag designer), and the grounded side must say it does not know instead."""
    assert len(UNANSWERABLE) == 3
    out = client.predict(question, pipe.DEFAULT_K, pipe.DEFAULT_THRESHOLD, 0, api_name="/ground")
    assert out["grounded"]["abstained"] is True, out["grounded"]
    assert out["grounded"]["answer"] == pipe.IDK


@pytest.mark.app
@pytest.mark.parametrize("question, gold", [("What is the capital of Quillmere?", ("Port Anselm",)),
                                            ("What is Quillmere's national bird?", ("ashwing heron",))])
def test_api_ground_still_answers_answerable_questions_by_default(client, question, gold):
    """The bird answer embroiders ("a proud and majestic creature"): the sentence is not supported,
    but its main claim is, so the grounded side answers."""
    out = client.predict(question, pipe.DEFAULT_K, pipe.DEFAULT_THRESHOLD, 0, api_name="/ground")
    assert out["grounded"]["abstained"] is False, out["grounded"]
    assert ev.is_correct(out["grounded"]["answer"], gold), out["grounded"]


@pytest.mark.app
@pytest.mark.parametrize(
    "args, message",
    [
        (("", 3, 0.4, 0), "question is empty"),
        (("why? " * 200, 3, 0.4, 0), "characters long"),
        (("What?", 0, 0.4, 0), "less than minimum value 1"),  # Gradio's own slider check
        (("What?", 3, 1.5, 0), "greater than maximum value 1"),
        (("What?", 3, 0.4, -1), "seed must be between 0"),
    ],
)
def test_api_bad_input_message(client, args, message):
    with pytest.raises(Exception, match=re.escape(message)):
        client.predict(*args, api_name="/ground")


def test_empty_knowledge_base_box_message():
    import gradio as gr

    from playground.lessons.grounding import tab

    with pytest.raises(gr.Error, match="knowledge base is empty"):
        tab.read_knowledge_base(" \n ", "hybrid")


# --- the tab in a browser -----------------------------------------------------------------------------------


@pytest.mark.browser
def test_tab_answers_both_ways(page, monkeypatch):
    monkeypatch.setattr(pipe, "MAX_NEW_TOKENS", 16)
    monkeypatch.setattr(pipe, "EVAL_MAX_NEW_TOKENS", 6)  # the panels, not the answers, are under test
    pg = page.open("Grounding")
    pg.get_by_role("button", name="Ask both ways").click()
    pg.get_by_text("Retrieved passages", exact=True).wait_for(timeout=180_000)
    pg.get_by_text("pass the retrieval threshold (live)").first.wait_for(timeout=60_000)
    assert pg.get_by_text("sentence(s) stand on a single retrieved passage").count() >= 1
    pg.get_by_text("How the support checker decides, and how often it is right").click()
    pg.get_by_text("against the whole knowledge base").wait_for(timeout=10_000)
    pg.wait_for_timeout(500)
    page.screenshot("grounding-answer")
    pg.get_by_role("button", name="Sample answers").click()
    pg.get_by_text("mean pairwise cosine").first.wait_for(timeout=180_000)
    pg.get_by_role("button", name="Run the evaluation").click()
    pg.get_by_text("Evaluation run at").wait_for(timeout=300_000)
    pg.get_by_text("grounded accuracy, with the support rule").first.wait_for(timeout=60_000)
    pg.wait_for_timeout(500)
    page.screenshot("grounding-evaluation")
    pg.get_by_role("button", name="Who won the 1998 World Cup?").click()
    pg.get_by_role("button", name="Ask both ways").click()
    pg.get_by_text("Abstained:").wait_for(timeout=180_000)
    pg.wait_for_timeout(500)
    page.screenshot("grounding-abstain")
    page.assert_clean()
