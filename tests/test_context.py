"""Context windows: the parts' counts against the tokenizer on the rendered template, what each
strategy drops (exactly what is missing afterwards, and the request then fits), the KV-cache
formula against the real cache, bad input, the endpoints through gradio_client and the tab in a
browser. The needle probe's own tests are in tests/test_needle.py."""

from __future__ import annotations

import json

import pytest

from playground.checks import UserInputError
from playground.lessons.context import budget as B
from playground.lessons.context import cost, tab

MODEL = tab.MODEL


@pytest.fixture(scope="module")
def tok(hub):
    return hub.tokenizer(MODEL)


def request(**changes) -> B.Request:
    base = dict(system=tab.SYSTEM, history_json=json.dumps(tab.HISTORY), documents=tab.DOCUMENTS, question=tab.QUESTION)
    base.update(changes)
    return B.make_request(base["system"], base["history_json"], base["documents"], base["question"])


def test_the_parts_add_up_to_the_tokenizers_count_of_the_rendered_template(tok):
    for req in (request(), request(system=""), request(history_json="[]"), request(documents="")):
        c = B.count(tok, req)
        ids = tok.apply_chat_template(B.messages(req), add_generation_prompt=True, tokenize=True,
                                      return_dict=True)["input_ids"]
        assert c.ids == list(ids) and sum(c.parts.values()) == c.total == len(ids)
        # the question on its own, give or take a token merged across its edge with the layout around it
        assert abs(c.parts["question"] - len(tok(req.question, add_special_tokens=False)["input_ids"])) <= 1
    bare = B.count(tok, request(system=""))
    assert bare.parts["system"] == 0 and bare.parts["template"] > B.count(tok, request()).parts["template"]  # default prompt


@pytest.mark.parametrize("strategy", B.STRATEGIES)
def test_after_a_strategy_the_request_fits_and_what_was_dropped_is_what_is_missing(tok, strategy):
    req = request(history_json=tab.add_turn(tab.add_turn(json.dumps(tab.HISTORY))))
    f = B.fit(tok, req, window=384, reserve=64, strategy=strategy)
    assert f.overflow == f.before.total - 320 > 0 and f.fits and f.after.total <= 320
    assert f.dropped and all(d["text"].strip() for d in f.dropped)
    rendered = f.after.text
    for d in f.dropped:
        assert d["text"].strip() not in rendered  # gone from the request
    if strategy == "drop_oldest":
        kept = [c for _, c in f.request.history]
        assert [d["text"] for d in f.dropped] + kept == [c for _, c in req.history]  # the oldest, in order
        assert f.request.documents == req.documents
    else:
        for i, (doc, after) in enumerate(zip(req.documents, f.request.documents), 1):
            cut = next((d["text"] for d in f.dropped if d["part"].startswith(f"document {i} ")), "")
            ids = tok(doc, add_special_tokens=False)["input_ids"]
            if strategy == "cut_documents":
                assert tok.decode(tok(after, add_special_tokens=False)["input_ids"]) + cut == tok.decode(ids) or \
                    (after + cut).replace(" ", "") == doc.replace(" ", "")
            else:
                head, tail = after.split(B.ELLIPSIS)
                assert (head + cut + tail).replace(" ", "") == doc.replace(" ", "")


def test_the_overflow_examples_overflow_and_the_first_fits(tok):
    fits, *overflowing, bare = tab.budget_examples()
    for system, history, documents, question, reserve, strategy, window in overflowing:
        f = B.fit(tok, B.make_request(system, history, documents, question), window, reserve, strategy)
        assert f.overflow > 0 and f.fits and f.dropped, strategy
    system, history, documents, question, reserve, strategy, window = fits
    assert B.fit(tok, B.make_request(system, history, documents, question), window, reserve, strategy).overflow == 0
    assert bare[0] == "" and B.count(tok, B.make_request(*bare[:4])).parts["system"] == 0


def test_a_strategy_that_cannot_make_room_says_so(tok):
    f = B.fit(tok, request(), window=128, reserve=64, strategy="drop_oldest")
    assert not f.fits and f.after.total > f.budget


@pytest.mark.parametrize("args, message", [
    ({"history_json": "[{oops"}, "The chat history is not valid JSON"),
    ({"history_json": '{"role": "user"}'}, "must be a JSON list"),
    ({"history_json": '[{"role": "robot", "content": "x"}]'}, "History turn 1 must be"),
    ({"history_json": '[{"role": "user", "content": "  "}]'}, "History turn 1 is empty"),
    ({"question": ""}, "The question is empty"),
])
def test_bad_requests_get_a_clear_message(args, message):
    with pytest.raises(UserInputError, match=message):
        request(**args)


def test_a_reserve_as_large_as_the_window_and_an_unknown_strategy_are_refused(tok):
    with pytest.raises(UserInputError, match="must be less than the window"):
        B.fit(tok, request(), window=512, reserve=512, strategy="drop_oldest")
    with pytest.raises(UserInputError, match="The strategy must be one of"):
        B.fit(tok, request(), window=512, reserve=0, strategy="random")


def test_the_kv_formula_equals_the_measured_cache(lm):
    points = cost.measure(lm, (16, 64))
    per_token = cost.kv_bytes_per_token(lm.model.config)
    assert per_token == 2 * 30 * 3 * 64 * 4  # SmolLM2-135M: 30 layers, 3 key/value heads of 64, float32
    for p in points:
        assert p.measured_bytes == p.formula_bytes == per_token * p.length and p.prefill_s > 0 and p.decode_ms > 0


# --- through the app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_app(hub):
    from conftest import launch_lesson

    from playground.lessons import context

    yield from launch_lesson(hub, context)


@pytest.mark.app
def test_the_endpoints_answer_as_the_api_says(lesson_app, tok):
    from gradio_client import Client

    client = Client(lesson_app, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/context_budget", "/needle"}
    hist = tab.add_turn(tab.add_turn(json.dumps(tab.HISTORY)))
    fits = client.predict(tab.SYSTEM, json.dumps(tab.HISTORY), tab.DOCUMENTS, tab.QUESTION, 256, "drop_oldest",
                          api_name="/context_budget")
    assert fits["window"] == 8192 and fits["overflow"] == 0 and fits["dropped"] == []
    assert [p["name"] for p in fits["parts"]] == list(B.PARTS) and sum(p["tokens"] for p in fits["parts"]) == fits["total"]
    assert fits["total"] == B.count(tok, request()).total
    over = client.predict(tab.SYSTEM, hist, tab.DOCUMENTS, tab.QUESTION, 8000, "drop_oldest", api_name="/context_budget")
    assert over["overflow"] > 0 and over["dropped"][0]["part"] == "history turn 1 (user)"
    with pytest.raises(Exception, match="The chat history is not valid JSON"):
        client.predict(tab.SYSTEM, "[{", tab.DOCUMENTS, tab.QUESTION, 256, "drop_oldest", api_name="/context_budget")
    with pytest.raises(Exception, match="must be less than the window"):
        client.predict(tab.SYSTEM, "[]", "", "Hi", 9000, "drop_oldest", api_name="/context_budget")
    cells = client.predict([128, 256], [0.0, 1.0], 0, api_name="/needle")["cells"]
    assert len(cells) == 4 and all(0 < c["answer_prob"] <= 1 for c in cells)
    with pytest.raises(Exception, match="8192|8,192"):
        client.predict([9000], [0.5], 0, api_name="/needle")


@pytest.mark.browser
def test_the_tab_shows_the_budget_and_what_a_cut_removes(browser, lesson_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), lesson_app)
    pg = watch.open("Context windows")
    pg.get_by_text("It fits, with").wait_for(timeout=30_000)
    pg.get_by_role("button", name="A 384-token model: drop the oldest turns").click()
    pg.get_by_text("tokens over").wait_for(timeout=30_000)
    pg.locator(".cw-gone").first.wait_for(timeout=30_000)
    assert pg.locator(".js-plotly-plot").count() >= 1
    pg.get_by_role("button", name="What a longer context costs").click()
    pg.get_by_role("button", name="Measure on this machine").click()
    pg.get_by_text("46,080 bytes").wait_for(timeout=120_000)  # the formula, beside the measured cache
    assert pg.get_by_text("the extra is attention reading the longer cache").is_visible()
    watch.screenshot("context-tab")
    watch.assert_clean()
    context.close()
