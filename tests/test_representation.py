"""Representation lab: logistic regression on the cached embeddings against scikit-learn on
SentenceTransformer.encode, the generative zero-shot scores against the model's own log-probabilities,
the metrics against scikit-learn, MRR against a direct computation, SetFit and the embedding-model run
through the real worker, bad input, the endpoints through gradio_client and the tab in a browser."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.checks import UserInputError
from playground.lessons.representation import classify as C
from playground.lessons.representation import lab, retrieval, tab
from playground.lessons.representation import sets as S
from playground.training.jobs import JobRunner


@pytest.fixture(scope="module")
def split():
    return S.builtin_split("tickets")


@pytest.fixture(scope="module")
def runner():
    return JobRunner()


def small_pairs(n_train: int = 32, n_test: int = 12) -> str:
    rows = [json.loads(line) for line in S.builtin_pairs().splitlines() if line.strip()]
    train = [r for r in rows if r.get("split") != "test"][:n_train]
    test = [r for r in rows if r.get("split") == "test"][:n_test]
    return "\n".join(json.dumps(r) for r in train + test)


def test_the_built_in_sets_are_balanced_and_split_by_label():
    for name in S.BUILTIN_SETS:
        train, test = S.builtin_split(name)
        labels = set(S.DESCRIPTIONS[name])
        assert {e.label for e in train} == {e.label for e in test} == labels
        assert not {e.text for e in train} & {e.text for e in test}
        assert S.builtin_split(name) == (train, test)  # the same split every time
    train, test, notes = S.parse_pairs(S.builtin_pairs())
    assert len(test) >= 10 and len(train) >= 60 and not notes


def test_logistic_regression_on_the_cache_equals_sklearn_on_encode(hub, encoder, split):
    from sklearn.linear_model import LogisticRegression

    train, test = split
    ours = C.embeddings_logreg(hub, train, test)
    enc = lambda texts: encoder.model.encode(texts, convert_to_numpy=True)  # noqa: E731
    ref = LogisticRegression(max_iter=1000, random_state=0).fit(enc([e.text for e in train]), [e.label for e in train])
    assert ours.predictions == list(ref.predict(enc([e.text for e in test])))


def test_the_metrics_are_scikit_learns_and_supervised_beats_chance(hub, split):
    from sklearn.metrics import accuracy_score, f1_score

    train, test = split
    labels = S.check_split(train, test)
    r = C.score(C.embeddings_logreg(hub, train, test), [e.label for e in test], labels)
    truth = [e.label for e in test]
    assert r.accuracy == accuracy_score(truth, r.predictions)
    assert r.macro_f1 == pytest.approx(f1_score(truth, r.predictions, average="macro"))
    assert r.accuracy > 2 / len(labels)  # clearly above chance (1/4)
    assert sum(map(sum, r.confusion)) == len(test)
    curve = C.few_shot_curve(hub, train, test, labels, sizes=(1, 8, 0))
    assert [n for n, _ in curve][:2] == [1, 8] and curve[-1][1] == r.accuracy


def test_generative_zero_shot_scores_are_the_models_own_summed_log_probs(lm, split):
    _, test = split
    labels = list(S.DESCRIPTIONS["tickets"])
    text = test[0].text
    got = C.label_scores(lm.model, lm.tokenizer, text, labels)
    prompt = C.generative_prompt(lm.tokenizer, text, labels)
    for label, score in zip(labels, got):
        answer = lm.tokenizer(label, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(lm.model(torch.tensor([prompt + answer])).logits[0], -1)
        own = sum(float(logp[len(prompt) - 1 + i, t]) for i, t in enumerate(answer))
        assert score == pytest.approx(own, abs=1e-4)  # padded batch of all labels = each alone


def test_zero_shot_with_embeddings_picks_the_nearest_description(hub, encoder, split):
    _, test = split
    desc = S.DESCRIPTIONS["tickets"]
    r = C.zero_shot_embeddings(hub, test[:10], desc)
    x = encoder.model.encode([e.text for e in test[:10]], normalize_embeddings=True)
    d = encoder.model.encode(list(desc.values()), normalize_embeddings=True)
    assert r.predictions == [list(desc)[i] for i in (x @ d.T).argmax(1)]


def test_mrr_equals_a_direct_computation():
    rng = np.random.default_rng(0)
    a, p = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    sims = [[float(np.dot(x, y) / np.linalg.norm(x) / np.linalg.norm(y)) for y in p] for x in a]
    ranks = [1 + sum(s > row[i] for s in row) for i, row in enumerate(sims)]
    m = retrieval.metrics(a, p)
    assert m["mrr"] == pytest.approx(np.mean([1 / r for r in ranks])) and m["recall_at_1"] == np.mean([r == 1 for r in ranks])
    assert retrieval.metrics(a, a)["mrr"] == 1.0
    others = rng.normal(size=(4, 5))  # distractors can only push an answer down
    with_others = retrieval.ranks(a, p, others)
    assert (with_others >= np.array(ranks)).all() and (with_others <= np.array(ranks) + 4).all()


@pytest.mark.parametrize("train, test, message", [
    ('{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}', '{"text": "c", "label": "x"}', "one class only"),
    ('{"text": "a", "label": "x"}\n{"text": "b", "label": "y"}', '{"text": "c", "label": "z"}', "never shows"),
    ('{"text": "  ", "label": "x"}', '{"text": "c", "label": "x"}', "Row 1 of the training set has an empty"),
    ('{"text": "a", "label": "x"}\n{"txt": "b"}', '{"text": "c", "label": "x"}', "Row 2 of the training set needs"),
    ('{"text": "a", "label": "x"}\n[1, 2]', '{"text": "c", "label": "x"}', "Row 2 of the training set is not a JSON obj"),
    ('{"text": "a", "label": "x"}\n{"text": "b"', '{"text": "c", "label": "x"}', "Row 2 is not valid JSON"),
])
def test_bad_classification_data_is_named(train, test, message):
    with pytest.raises(UserInputError, match=message):
        lab.prepare(train, test)


def test_an_uploaded_csv_is_split_by_label(tmp_path):
    path = tmp_path / "mine.csv"
    rows = [("Where is my parcel?", "shipping"), ("Refund please", "billing"), ("Parcel late again", "shipping"),
            ("Charged twice", "billing"), ("No label here", ""), ("Lost in the post", "shipping")]
    path.write_text("text,label\n" + "\n".join(f"{t},{lab}" for t, lab in rows), encoding="utf-8")
    train_jsonl, test_jsonl, desc = tab.upload_set(str(path))
    train, test = S.parse_examples(train_jsonl), S.parse_examples(test_jsonl)
    assert len(train) + len(test) == 5 and {e.label for e in test} == {"billing", "shipping"}
    assert S.check_split(train, test) and json.loads(desc) == {"billing": "billing", "shipping": "shipping"}


def test_bad_pairs_are_named():
    pair = '{"anchor": "q", "positive": "a"}'
    with pytest.raises(UserInputError, match="repeats row 1"):
        S.parse_pairs("\n".join([pair, pair]))
    with pytest.raises(UserInputError, match='empty "positive"'):
        S.parse_pairs('{"anchor": "q", "positive": ""}')
    with pytest.raises(UserInputError, match="at least 4"):
        S.parse_pairs("\n".join(json.dumps({"anchor": f"q{i}", "positive": f"a{i}"}) for i in range(4)))
    with pytest.raises(UserInputError, match="not a label"):
        S.parse_descriptions('{"nope": "x"}', ["a", "b"])


# --- the training runs, through the real worker ---------------------------------------------------------


def test_setfit_trains_in_the_worker_and_beats_chance(hub, runner, split):
    train, test = split
    c, _ = lab.quick_methods(hub, S.examples_jsonl(train), S.examples_jsonl(test), "")
    seen = list(lab.setfit_steps(hub, runner, "t", c, train, per_class=4))
    assert seen[-1].result is not None and [m.name for m in c.methods] == list(C.METHODS)
    fit = c.methods[-1]
    assert len(fit.predictions) == len(test) and set(fit.predictions) <= set(c.labels)
    assert fit.accuracy > 2 / len(c.labels) and seen[-1].train  # its own logged loss streamed


def test_embedding_training_lowers_the_loss_keeps_mrr_and_repeats_with_the_seed(hub, encoder, runner):
    pairs = small_pairs()
    first = lab.train_embeddings_to_end(hub, runner, "t", pairs, 2, 5e-5, 3)
    again = lab.train_embeddings_to_end(hub, runner, "t", pairs, 2, 5e-5, 3)
    losses = [p["loss"] for p in first["train"]]
    assert len(losses) == 4 and np.mean(losses[-2:]) < np.mean(losses[:2])
    assert first["after"]["mrr"] >= first["before"]["mrr"]
    assert losses == pytest.approx([p["loss"] for p in again["train"]], abs=1e-6)
    assert first["after"] == pytest.approx(again["after"], abs=1e-6)
    _, test, _ = S.parse_pairs(pairs)  # the worker's "before" is the shared encoder's own retrieval
    enc = lambda texts: encoder.model.encode(texts, convert_to_numpy=True)  # noqa: E731
    train, _, _ = S.parse_pairs(pairs)  # every training answer is a distractor too
    direct = retrieval.metrics(enc([p.anchor for p in test]), enc([p.positive for p in test]),
                               enc([p.positive for p in train]))
    assert first["before"] == pytest.approx(direct, abs=1e-5)


# --- through the app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_app(hub):
    from conftest import launch_lesson

    from playground.lessons import representation

    yield from launch_lesson(hub, representation)


@pytest.mark.app
def test_the_endpoints_answer_as_the_api_says(lesson_app, split):
    from gradio_client import Client

    client = Client(lesson_app, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/classify_compare", "/embedding_train"}
    train, test = split
    out = client.predict(S.examples_jsonl(train), S.examples_jsonl(test[:20]), json.dumps(S.DESCRIPTIONS["tickets"]),
                         api_name="/classify_compare")
    assert out["labels"] == list(dict.fromkeys(e.label for e in train))
    assert [m["name"] for m in out["methods"]] == list(C.METHODS)
    assert all(len(m["predictions"]) == 20 and 0 <= m["accuracy"] <= 1 and m["seconds"] > 0 for m in out["methods"])
    with pytest.raises(Exception, match="one class only"):
        client.predict('{"text": "a", "label": "x"}', '{"text": "b", "label": "x"}', "", api_name="/classify_compare")
    run = client.predict(small_pairs(16, 6), 1, 5e-5, 0, api_name="/embedding_train")
    assert set(run) == {"before", "after", "train", "seconds"} and set(run["after"]) == {"mrr", "recall_at_1"}
    assert [p["step"] for p in run["train"]] == [1]
    with pytest.raises(Exception, match="repeats row"):
        client.predict('{"anchor": "q", "positive": "a"}\n{"anchor": "q", "positive": "a"}', 1, 5e-5, 0,
                       api_name="/embedding_train")


@pytest.mark.browser
def test_the_tab_compares_four_ways_and_trains_an_embedding_model(browser, lesson_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), lesson_app)
    pg = watch.open(tab.TITLE)
    pg.get_by_role("button", name="Compare", exact=True).click()
    pg.get_by_text("contrastive pairs, then a head").wait_for(timeout=300_000)  # SetFit's row of the table
    assert pg.get_by_role("cell", name="SetFit (few-shot fine-tuning)").is_visible()
    assert pg.get_by_text("wrong").first.is_visible()
    pg.get_by_role("button", name="Train an embedding model").click()
    pg.get_by_role("button", name="Train", exact=True).click()
    pg.get_by_role("cell", name="after training").wait_for(timeout=400_000)
    assert pg.locator(".js-plotly-plot").count() >= 4
    watch.screenshot("representation-tab")
    watch.assert_clean()
    context.close()


@pytest.mark.browser
def test_the_tab_fits_a_phone(browser, lesson_app):
    from conftest import assert_fits_a_phone

    assert_fits_a_phone(browser, lesson_app, tab.TITLE,
                        lambda pg: pg.get_by_role("button", name="Compare", exact=True).wait_for(), "representation-phone")
