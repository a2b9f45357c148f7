"""Preference lab: pairs checked row by row; each answer's log-probability against the model's own
log-softmax; the tokenisation and DPO numbers against trl's own logged values in a real (tiny,
seeded) DPO run; log 2 before training; a saved adapter applied to the hub's model without
touching it; the length trap; SFT against DPO; the endpoints through gradio_client; the tab in a
browser."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from dataclasses import replace

import pytest
import torch

from playground.checks import UserInputError
from playground.lessons.preference import lab, pairs, scoring, views
from playground.training.jobs import JobRunner


def subset(key: str, n_train: int, n_val: int, n_test: int) -> str:
    lines = pairs.builtin_jsonl(key).splitlines()
    by = {s: [l for l in lines if json.loads(l)["split"] == s] for s in ("train", "validation", "test")}
    return "\n".join(by["train"][:n_train] + by["validation"][:n_val] + by["test"][:n_test]) + "\n"


TINY = subset("concise", 4, 2, 1)
TINY_SETTINGS = lab.Settings(beta=0.1, learning_rate=1e-3, epochs=2, seed=0, batch_size=2)
TINY_LIMITS = {"max_new_tokens": 12, "evaluations": 2}


def weights_hash(model) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tok(hub):
    return hub.tokenizer(lab.MODEL)


# --- pairs and settings --------------------------------------------------------------------------------


def test_pairs_are_checked_row_by_row_and_the_message_names_the_row():
    good = json.dumps({"prompt": "Hi?", "chosen": "Hello.", "rejected": "Go away."})
    cases = {
        good + "\n{oops": "Row 2 is not valid JSON",
        good + "\n" + json.dumps({"prompt": "Q", "chosen": "A"}): "Row 2 has no 'rejected'",
        good + "\n" + json.dumps({"prompt": "Q", "chosen": "Same.", "rejected": " Same. "}): "Row 2: the chosen and the "
                                                                                          "rejected answers are the same",
        good + "\n" + json.dumps({"prompt": "", "chosen": "A", "rejected": "B"}): "Row 2: the prompt is empty",
        good + "\n" + json.dumps({"prompt": "Q", "chosen": "A", "rejected": "  "}): "Row 2: the rejected answer is empty",
        good + "\n" + json.dumps({"prompt": "Q", "chosen": "A", "rejected": "B", "split": "dev"}): "Row 2: \"split\"",
        "": "The preference set is empty",
        good: "needs at least one to train on",
    }
    for text, message in cases.items():
        with pytest.raises(UserInputError, match=message.replace("(", r"\(")):
            pairs.split_pairs(pairs.parse_pairs(text))
    conversational = json.dumps({"prompt": [{"role": "user", "content": "Q?"}],
                                 "chosen": [{"role": "assistant", "content": "A."}],
                                 "rejected": [{"role": "assistant", "content": "B."}]})
    (p,) = pairs.parse_pairs(conversational)
    assert p.messages() == [{"role": "user", "content": "Q?"}] and (p.chosen, p.rejected) == ("A.", "B.")


def test_every_builtin_set_has_held_out_pairs_and_the_length_trap_is_biased():
    for key in pairs.BUILTINS:
        s = pairs.split_pairs(pairs.parse_pairs(pairs.builtin_jsonl(key)))
        assert 40 <= len(s.train) + len(s.validation) + len(s.test) <= 100 and len(s.test) >= 5 and not s.notes
    trap = pairs.parse_pairs(pairs.builtin_jsonl("length_trap"))
    assert all(len(p.chosen.split()) >= 1.8 * len(p.rejected.split()) for p in trap)


@pytest.mark.parametrize("bad, message", [
    ({"beta": 0}, "β \\(beta\\) must be"), ({"beta": float("nan")}, "β \\(beta\\)"), ({"beta": -1}, "β"),
    ({"learning_rate": float("nan")}, "Learning rate"), ({"learning_rate": -1e-3}, "Learning rate"),
    ({"epochs": 0}, "Epochs"), ({"method": "ppo"}, "Method must be one of dpo, sft"),
])
def test_bad_settings_get_a_clear_message(bad, message):
    with pytest.raises(UserInputError, match=message):
        lab.check_settings(**bad)


def test_an_answer_over_the_limit_is_named(tok):
    long = json.dumps({"prompt": "Q", "chosen": "word " * 400, "rejected": "B", "split": "train"})
    text = TINY.splitlines()[0] + "\n" + long + "\n" + "\n".join(TINY.splitlines()[1:])
    with pytest.raises(UserInputError, match="Row 2: the chosen answer is .* tokens; the lab takes up to 160"):
        lab.prepare(tok, text, lab.Settings())


# --- the numbers ---------------------------------------------------------------------------------------


def test_answer_logps_are_the_models_own_log_softmax_over_the_answer_tokens(lm, tok):
    prompt = [{"role": "user", "content": "What is the capital of France?"}]
    prompt_ids, answer_ids = scoring.pair_ids(tok, prompt, "Paris.")
    full = tok.apply_chat_template(prompt + [{"role": "assistant", "content": "Paris."}], tokenize=True,
                                   return_dict=True)["input_ids"]
    assert prompt_ids + answer_ids == list(full) and tok.decode(answer_ids).startswith("Paris.<|im_end|>")
    with torch.no_grad():
        logits = lm.model(torch.tensor([full])).logits[0]
    expected = torch.log_softmax(logits, -1)[torch.arange(len(prompt_ids) - 1, len(full) - 1), torch.tensor(answer_ids)]
    got = scoring.answer_logps(scoring.model_logits(lm.model), prompt_ids, answer_ids)
    assert got.shape == (len(answer_ids),) and torch.allclose(got, expected, atol=1e-5, rtol=0)


def test_before_training_both_rewards_are_zero_and_the_loss_is_log_2(hub):
    for q, c, r in [("Why is the sky blue?", "Rayleigh scattering.", "Because it is.")] + []:
        s = lab.score(hub, q, c, r, 0.1)
        assert s.dpo.chosen_reward == 0 and s.dpo.rejected_reward == 0 and s.dpo.margin == 0
        assert abs(s.dpo.loss - math.log(2)) < 1e-6
        assert s.chosen_logp == pytest.approx(sum(lp for _, lp in s.chosen_tokens), abs=1e-4)


def test_dpo_numbers_follow_the_formula():
    d = scoring.dpo_numbers(-10.0, -20.0, -12.0, -18.0, beta=0.5)
    assert (d.chosen_reward, d.rejected_reward, d.margin) == (1.0, -1.0, 2.0)
    assert d.loss == pytest.approx(-math.log(1 / (1 + math.exp(-2.0))), abs=1e-12)


# --- a real DPO run in a worker process ---------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(hub, lm, tmp_path_factory):
    hash_before = weights_hash(lm.model)
    out = tmp_path_factory.mktemp("dpo-run")
    runner = JobRunner()
    job, prepared = lab.start(hub, runner, "tester", TINY, TINY_SETTINGS, out, **TINY_LIMITS)
    *_, last = lab.follow(job, runner)
    return {"result": last.result, "out": out, "prepared": prepared, "hash_before": hash_before}


def test_a_dpo_run_streams_trls_own_loss_margin_and_accuracy(tiny_run):
    r = tiny_run["result"]
    assert [p["step"] for p in r["train"]] == [1, 2, 3, 4] and r["eval"][0]["step"] == 0 and r["eval"][-1]["step"] == 4
    first = r["eval"][0]
    assert abs(first["loss"] - math.log(2)) < 1e-6 and first["margin"] == 0  # the policy is the reference
    assert r["eval"][-1]["margin"] > first["margin"] and r["eval"][-1]["accuracy"] > 0.5
    assert r["eval"][-1]["loss"] < math.log(2)
    assert all(set(p) >= {"step", "loss", "margin", "accuracy"} for p in r["train"] + r["eval"])


def test_our_scores_equal_trls_logged_numbers_before_and_after(tiny_run, hub, tok, lm):
    """trl's own eval log-probs at step 0 are our base scores; its eval loss and margin at the last step
    are ours for the saved adapter, applied to the hub's model on the fly."""
    r, prepared = tiny_run["result"], tiny_run["prepared"]
    val = prepared.validation
    base = [lab.score(hub, v["prompt"], v["chosen"], v["rejected"], 0.1) for v in val]
    assert statistics.fmean(s.chosen_logp for s in base) == pytest.approx(r["eval"][0]["chosen_logp"], abs=2e-3)
    assert statistics.fmean(s.rejected_logp for s in base) == pytest.approx(r["eval"][0]["rejected_logp"], abs=2e-3)
    adapter = tiny_run["out"] / "adapter"
    tuned = [lab.score(hub, v["prompt"], v["chosen"], v["rejected"], 0.1, adapter) for v in val]
    last = r["eval"][-1]
    assert statistics.fmean(s.dpo.loss for s in tuned) == pytest.approx(last["loss"], abs=2e-4)
    assert statistics.fmean(s.dpo.margin for s in tuned) == pytest.approx(last["margin"], abs=2e-4)
    assert statistics.fmean(s.chosen_logp for s in tuned) == pytest.approx(last["chosen_logp"], abs=2e-3)
    assert weights_hash(lm.model) == tiny_run["hash_before"]  # training and scoring left the shared model as it was


def test_a_saved_adapter_applied_on_the_fly_equals_peft(tiny_run, hub, tok, lm):
    from peft import PeftModel

    from playground.training.adapters import adapted_logits
    from playground.training.base import base_source, load_base

    ids = torch.tensor([tok("A cat sat on the mat, and then")["input_ids"]])
    fly = adapted_logits(lm.model, tiny_run["out"] / "adapter")(ids)
    base, _, _ = load_base(base_source(hub, lab.MODEL), attn_implementation="eager")
    peft_model = PeftModel.from_pretrained(base, tiny_run["out"] / "adapter").eval()
    with torch.no_grad():
        expected = peft_model(input_ids=ids).logits
        plain = lm.model(ids).logits
    # merged weights round differently from the adapter beside them: float32 noise on logits of size ~20
    assert (fly - expected).abs().max() < 5e-4 and (fly - plain).abs().max() > 1e-2


def test_held_out_pairs_are_rescored_and_summarised(tiny_run):
    r = tiny_run["result"]
    assert all(b["margin"] == 0 for b in r["test_before"]) and len(r["test_after"]) == 1
    h = views.heldout_summary(r["test_before"], r["test_after"])
    assert h["margin"] == pytest.approx(r["test_after"][0]["margin"]) and h["accuracy"] in (0.0, 1.0)
    assert [b["prompt"] for b in r["before"]] == [b["prompt"] for b in r["after"]] == [tiny_run["prepared"].test[0]["question"]]


@pytest.mark.slow
def test_the_length_trap_teaches_longer_answers(hub, tmp_path):
    """The trap's chosen answers are always the longer ones: after DPO on the tab's default run (its first 12
    pairs) the held-out prompts are answered at greater length, and the held-out long answers gained far more."""
    from playground.lessons.preference.tab import DEFAULT_TRAIN_PAIRS

    runner = JobRunner()
    s = lab.Settings(train_pairs=DEFAULT_TRAIN_PAIRS)
    job, _ = lab.start(hub, runner, "tester", pairs.builtin_jsonl("length_trap"), s, tmp_path, evaluations=1)
    *_, last = lab.follow(job, runner)
    r = last.result
    assert statistics.fmean(r["after_tokens"]) > statistics.fmean(r["before_tokens"])
    h = views.heldout_summary(r["test_before"], r["test_after"])
    assert h["d_chosen"] > h["d_rejected"] and h["accuracy"] > 0.5


def test_sft_on_the_chosen_answers_raises_them(hub, tmp_path):
    runner = JobRunner()
    s = replace(TINY_SETTINGS, method=lab.SFT)
    job, _ = lab.start(hub, runner, "tester", TINY, s, tmp_path, **TINY_LIMITS)
    *_, last = lab.follow(job, runner)
    r = last.result
    assert r["method"] == "sft" and r["eval"][-1]["loss"] < r["eval"][0]["loss"]
    assert "margin" not in r["train"][0]  # SFT has no rewards
    h = views.heldout_summary(r["test_before"], r["test_after"])
    assert h["d_chosen"] > 0  # SFT pushes the chosen answer up
    assert "SFT on the chosen answers" in views.compare_md({"sft": r})


# --- through the app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_app(hub):
    from conftest import launch_lesson

    from playground.lessons import preference

    yield from launch_lesson(hub, preference)


ONE_EPOCH = subset("concise", 2, 1, 1)


@pytest.mark.app
def test_the_endpoints_answer_as_the_api_says_and_bad_input_is_named(lab_app):
    from gradio_client import Client

    client = Client(lab_app, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/preference_score", "/dpo_train"}
    base = client.predict("What is 2 + 2?", "4.", "It is 5.", 0.1, api_name="/preference_score")
    assert set(base) == {"chosen_logp", "rejected_logp", "chosen_tokens", "rejected_tokens", "chosen_reward",
                         "rejected_reward", "margin", "loss"}  # no "adapter": this client has trained nothing
    assert base["chosen_reward"] == base["rejected_reward"] == base["margin"] == 0
    assert abs(base["loss"] - math.log(2)) < 1e-6
    assert base["chosen_logp"] == pytest.approx(sum(t["logp"] for t in base["chosen_tokens"]), abs=1e-4)
    assert base["chosen_tokens"][0]["token"] == "4"
    with pytest.raises(Exception, match="the chosen and the rejected answers are the same"):
        client.predict("Q?", "Same.", "Same.", 0.1, api_name="/preference_score")
    with pytest.raises(Exception, match="β \\(beta\\) must be"):
        client.predict("Q?", "A.", "B.", 0, api_name="/preference_score")
    with pytest.raises(Exception, match="Row 2 is not valid JSON"):
        client.predict(ONE_EPOCH.splitlines()[0] + "\n{oops", 0.1, 1e-3, 1, 0, api_name="/dpo_train")
    first = client.predict(ONE_EPOCH, 0.1, 1e-3, 1, 3, api_name="/dpo_train")
    assert set(first) == {"train", "eval", "before", "after", "seconds"}
    assert first["eval"][0]["step"] == 0 and set(first["train"][0]) >= {"step", "loss", "margin", "accuracy"}
    second = client.predict(ONE_EPOCH, 0.1, 1e-3, 1, 3, api_name="/dpo_train")
    for key in ("train", "eval", "before", "after"):
        assert first[key] == second[key], key  # same inputs, same seed: the same curves and texts
    tuned = client.predict("What is 2 + 2?", "4.", "It is 5.", 0.1, api_name="/preference_score")
    assert "trained in this session" in tuned["adapter"] and tuned["margin"] != 0


@pytest.mark.browser
def test_the_tab_scores_trains_and_rescores(browser, lab_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), lab_app)
    pg = watch.open("Preference")
    pg.get_by_role("button", name="Score", exact=True).click()
    pg.get_by_text("both rewards are exactly 0").wait_for(timeout=60_000)
    assert pg.locator(".pf-tok").count() > 10
    pg.get_by_label("Pairs (JSONL)").fill(ONE_EPOCH)
    pg.get_by_role("button", name="Train", exact=True).click()
    pg.get_by_text("Done in").wait_for(timeout=600_000)
    assert pg.locator(".js-plotly-plot").count() >= 1
    assert pg.locator("table.pf-heldout tbody tr").count() == 1
    assert pg.get_by_text("DPO on the pairs").first.is_visible()
    pg.get_by_role("button", name="Score", exact=True).click()
    pg.get_by_text("with your tuned adapter").wait_for(timeout=60_000)
    watch.screenshot("preference-tab")
    watch.assert_clean()
    context.close()


@pytest.mark.browser
def test_the_tab_fits_a_phone(browser, lab_app):
    from conftest import assert_fits_a_phone

    assert_fits_a_phone(browser, lab_app, "Preference",
                        lambda pg: pg.get_by_text("Pairs:").first.wait_for(timeout=30_000), "preference-phone")
