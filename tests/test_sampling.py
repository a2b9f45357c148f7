"""Sampling tab: parity of the reshaped distribution with transformers' own warpers, greedy with
generate(do_sample=False), reproducible seeds, the API shapes, bad input, and the page itself."""

from __future__ import annotations

import math

import pytest
import torch
from transformers.generation.logits_process import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from playground.lessons.sampling import tab as S
from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import warpers as W
from playground.lm import engines, prompts
from playground.checks import UserInputError
from playground.lru import BoundedLRU

PROMPT = "The best thing about rainy days is"


def reference_probs(logits: torch.Tensor, t: float, k: int, p: float, m: float) -> torch.Tensor:
    """transformers' warpers, built the way generate builds them (generation/utils.py)."""
    procs = []
    if t != 1.0:
        procs.append(TemperatureLogitsWarper(t))
    if k != 0:
        procs.append(TopKLogitsWarper(top_k=k, min_tokens_to_keep=1))
    if p < 1.0:
        procs.append(TopPLogitsWarper(top_p=p, min_tokens_to_keep=1))
    procs.append(MinPLogitsWarper(min_p=m, min_tokens_to_keep=1))  # generate adds it whenever min_p is set
    scores = logits[None, :].clone()
    ids = torch.zeros((1, 1), dtype=torch.long)
    for proc in procs:
        scores = proc(ids, scores)
    return torch.softmax(scores, dim=-1)[0]


GRID = [
    (t, k, p, m)
    for t in (0.5, 1.0, 1.7)
    for k in (0, 1, 7, 50)
    for p in (1.0, 0.9, 0.3)
    for m in (0.0, 0.05, 0.3)
]


@pytest.mark.parametrize("chat", [False, True])
def test_prob_matches_transformers_warpers_over_a_grid(hub, lm, chat):
    prompt = "Write one sentence about the sea." if chat else PROMPT
    ids = prompts.encode(lm.tokenizer, prompt, chat)
    with torch.inference_mode():
        plain = lm.model(torch.tensor([ids])).logits[0, -1].float()
    # the tab's kept logits are the model's own (lm_head on the last position only, so the float
    # sums run in another order: equal to ~1e-5); the warpers are then compared on exactly them
    logits = D.next_logits(lm, ids)
    torch.testing.assert_close(logits, plain, atol=1e-4, rtol=0)
    raw = torch.softmax(logits, dim=-1)
    for t, k, p, m in GRID:
        result = S.next_token_result(hub, prompt, t, k, p, m, chat)
        ref = reference_probs(logits, t, k, p, m)
        cands = result["candidates"]
        assert len(cands) == 50
        assert [c["id"] for c in cands] == torch.topk(raw, 50).indices.tolist()
        for c in cands:
            assert c["prob"] == pytest.approx(float(ref[c["id"]]), abs=1e-6), (t, k, p, m, c)
            assert c["prob_raw"] == pytest.approx(float(raw[c["id"]]), abs=1e-6)
            assert c["logit"] == pytest.approx(float(logits[c["id"]]), abs=1e-4)
        ent = float(torch.special.entr(ref.double()).sum() / math.log(2))
        assert result["entropy"] == pytest.approx(ent, abs=1e-5)


def test_off_values_change_nothing_and_greedy_is_one_hot(hub):
    plain = S.next_token_result(hub, PROMPT, 1.0, 0, 1.0, 0.0, False)
    for c in plain["candidates"]:
        assert c["prob"] == pytest.approx(c["prob_raw"], abs=1e-7)
    assert plain["entropy"] == pytest.approx(plain["entropy_raw"], abs=1e-9)
    greedy = S.next_token_result(hub, PROMPT, 0.0, 0, 1.0, 0.0, False)
    assert greedy["candidates"][0]["prob"] == 1.0
    assert all(c["prob"] == 0.0 for c in greedy["candidates"][1:])
    assert greedy["entropy"] == 0.0


@pytest.mark.parametrize("scale", [0.05, 1.0, 4.0, 12.0])
def test_top_p_matches_transformers_on_flat_and_peaked_distributions(scale):
    # flat rows force the search past its first 256 candidates; peaked ones stop inside them
    g = torch.Generator().manual_seed(int(scale * 100))
    logits = torch.randn(3, 49152, generator=g) * scale
    for p in (0.05, 0.3, 0.5, 0.9, 0.95, 0.999):
        ref = TopPLogitsWarper(top_p=p, min_tokens_to_keep=1)(torch.zeros((3, 1), dtype=torch.long), logits.clone())
        ours = W.top_p(logits, p)
        assert torch.equal(torch.isinf(ours), torch.isinf(ref)), (scale, p)


def test_draw_follows_the_distribution():
    probs = torch.tensor([0.5, 0.0, 0.3, 0.15, 0.05])
    s = W.Settings(1.0)
    counts = torch.zeros(5)
    for i in range(4000):
        counts[W.draw(probs, s, W.step_generator(0, i))] += 1
    assert counts[1] == 0  # a removed token is never drawn
    torch.testing.assert_close(counts / 4000, probs, atol=0.03, rtol=0)
    assert W.draw(probs, W.Settings(0.0), W.step_generator(0, 0)) == 0


def test_repetition_penalty_matches_transformers(lm):
    ids = prompts.encode(lm.tokenizer, "the cat and the dog and the cat", False)
    logits = torch.randn(1, len(lm.tokenizer), generator=torch.Generator().manual_seed(0))
    for penalty in (0.7, 1.3, 2.0):
        ref = RepetitionPenaltyLogitsProcessor(penalty)(torch.tensor([ids]), logits.clone())
        ours = W.repetition_penalty(logits, [torch.tensor(ids)], penalty)
        assert torch.equal(ours, ref)


def test_raw_prompt_is_encoded_as_the_tokenizer_does_and_chat_uses_the_template(lm):
    assert prompts.encode(lm.tokenizer, PROMPT, False) == lm.tokenizer(PROMPT)["input_ids"]
    chat_ids = prompts.encode(lm.tokenizer, "Hi", True)
    text = lm.tokenizer.decode(chat_ids)
    assert text.endswith("<|im_start|>assistant\n") and "<|im_start|>user\nHi<|im_end|>" in text


def test_greedy_equals_generate_without_sampling(hub, lm):
    n = 24
    ours = S.generate_result(hub, PROMPT, n, 0.0, 0, 1.0, 0.0, 0, False)
    enc = lm.tokenizer(PROMPT, return_tensors="pt")
    with torch.inference_mode():
        out = lm.model.generate(**enc, do_sample=False, max_new_tokens=n)
    ref = out[0, enc["input_ids"].shape[1]:].tolist()
    assert [s["id"] for s in ours["steps"]] == ref[: len(ours["steps"])]
    assert all(s["prob"] == 1.0 for s in ours["steps"])


def test_same_seed_same_text_and_steps_match_the_stream(hub, lm):
    a = S.generate_result(hub, PROMPT, 12, 1.0, 0, 0.95, 0.0, 7, False)
    b = S.generate_result(hub, PROMPT, 12, 1.0, 0, 0.95, 0.0, 7, False)
    assert a == b
    c = S.generate_result(hub, PROMPT, 12, 1.0, 0, 0.95, 0.0, 8, False)
    assert c["text"] != a["text"]  # another seed, another draw (true for this prompt and these seeds)
    # clicking "Step" n times (a full forward each time) draws what the streamed run drew
    s = W.Settings(1.0, 0, 0.95, 0.0)
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    for i in range(4):
        step = D.make_step(lm.tokenizer, D.next_logits(lm, ids), ids, s, 7, i)
        assert step.id == a["steps"][i]["id"]
        ids = ids + [step.id]


def test_compare_rows_are_independent_runs(lm):
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    settings = [W.Settings(0.0), W.Settings(0.7), W.Settings(1.5)]
    rows = list(D.decode(lm, ids, settings, 3, 6))
    greedy_alone = [row[0].id for row in D.decode(lm, ids, [W.Settings(0.0)], 3, 6)]
    assert [row[0].id for row in rows] == greedy_alone
    for row in rows:
        assert all(0.0 < st.prob <= 1.0 for st in row if st is not None)


def test_branch_forces_the_first_token(lm):
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    alt = lm.tokenizer(" because")["input_ids"][0]
    steps = [row[0] for row in D.decode(lm, ids, [W.Settings(0.0)], 0, 3, forced=alt)]
    assert steps[0].id == alt and steps[0].forced
    assert steps[0].prob == 0.0  # greedy would never have drawn it: all its mass is on the argmax
    assert not steps[1].forced and steps[1].prob == 1.0


@pytest.mark.parametrize(
    "args, words",
    [
        ((PROMPT, float("nan"), 0, 1.0, 0.0, False), "Temperature"),
        ((PROMPT, -0.5, 0, 1.0, 0.0, False), "Temperature"),
        ((PROMPT, 1.0, 0, 0.0, 0.0, False), "Top-p"),
        ((PROMPT, 1.0, 0, 1.5, 0.0, False), "Top-p"),
        ((PROMPT, 1.0, -3, 1.0, 0.0, False), "Top-k"),
        ((PROMPT, 1.0, 0, 1.0, 2.0, False), "Min-p"),
        (("   ", 1.0, 0, 1.0, 0.0, False), "empty"),
        (("word " * 9000, 1.0, 0, 1.0, 0.0, False), "context window"),
        (("word " * 3000, 1.0, 0, 1.0, 0.0, False), "This tab stops at"),
    ],
)
def test_bad_input_gets_a_clear_message(hub, args, words):
    with pytest.raises(UserInputError, match=words):
        S.next_token_result(hub, *args)


def test_generate_bad_input(hub):
    with pytest.raises(UserInputError, match="Number of new tokens"):
        S.generate_result(hub, PROMPT, 0, 1.0, 0, 1.0, 0.0, 0, False)
    with pytest.raises(UserInputError, match="Seed"):
        S.generate_result(hub, PROMPT, 5, 1.0, 0, 1.0, 0.0, -1, False)


def test_logits_cache_is_bounded():
    cache = BoundedLRU(3)
    for i in range(5):
        cache.put(("m", (i,)), torch.zeros(2))
    assert cache.get(("m", (0,))) is None and cache.get(("m", (4,))) is not None
    assert len(cache) == 3


# --- through the launched app ------------------------------------------------------------------------


def test_api_shapes(client):
    nt = client.predict(PROMPT, 0.8, 40, 0.9, 0.05, False, api_name="/next_token")
    assert set(nt) == {"candidates", "entropy_raw", "entropy"}
    assert len(nt["candidates"]) == 50
    assert set(nt["candidates"][0]) == {"id", "token", "logit", "prob_raw", "prob"}
    probs_raw = [c["prob_raw"] for c in nt["candidates"]]
    assert probs_raw == sorted(probs_raw, reverse=True)
    gen = client.predict(PROMPT, 5, 0.8, 40, 0.9, 0.05, 1, False, api_name="/generate")
    assert set(gen) == {"text", "steps"}
    assert 1 <= len(gen["steps"]) <= 5
    step = gen["steps"][0]
    assert set(step) == {"id", "token", "prob", "alternatives"}
    assert set(step["alternatives"][0]) == {"token", "prob"}
    assert gen == client.predict(PROMPT, 5, 0.8, 40, 0.9, 0.05, 1, False, api_name="/generate")


@pytest.mark.parametrize("weights, words", [("4-bit", "4-bit weights"), ("32-bit", "32-bit weights")])
def test_streamed_generation_through_the_app_says_which_weights(client, weights, words):
    job = client.submit(PROMPT, False, weights, 0.0, 0, 1.0, 0.0, 1.0, 12, 0, api_name="/sampling_generate_stream")
    job.result(timeout=300)
    # the stream sends the growing text, then a closing summary; later updates may skip a field
    summaries = [out[2] for out in job.outputs() if isinstance(out[2], str) and "tokens/s" in out[2]]
    assert summaries and words in summaries[-1]
    assert any(isinstance(out[0], str) and "token-chip" in out[0] for out in job.outputs())


def test_unknown_weights_get_a_clear_message_and_the_app_keeps_serving(client, lm):
    from gradio_client.exceptions import AppError

    with pytest.raises(UserInputError, match="Weights must be one of"):
        engines.weights_choice(lm, "8-bit")
    with pytest.raises(AppError, match="8-bit"):
        client.submit(PROMPT, False, "8-bit", 0.0, 0, 1.0, 0.0, 1.0, 4, 0,
                      api_name="/sampling_generate_stream").result(timeout=120)
    assert client.predict(PROMPT, 0.8, 40, 0.9, 0.05, False, api_name="/next_token")["candidates"]


def test_api_bad_input_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Top-p"):
        client.predict(PROMPT, 1.0, 0, 1.5, 0.0, False, api_name="/next_token")


@pytest.mark.browser
def test_sampling_tab_in_the_browser(page):
    pg = page.open("Sampling")
    pg.get_by_role("button", name="Temperature 0 repeats itself").click()
    chips = pg.locator(".token-chip[title]")
    chips.first.wait_for(timeout=60_000)
    page.screenshot("sampling-streaming")
    # generous: on a shared 2-core CPU 80 tokens can take a while; no speed is asserted here
    pg.get_by_text("tokens/s").first.wait_for(timeout=240_000)
    assert chips.count() >= 10
    assert "alternatives" in chips.first.get_attribute("title")
    page.screenshot("sampling-greedy")
    pg.get_by_role("button", name="Top-p cuts the tail").click()
    pg.get_by_text("can no longer be drawn").first.wait_for(timeout=120_000)
    assert pg.get_by_text("groups of 32 the GGUF file ships").count() >= 1  # the 4-bit default says so
    pg.get_by_label("32-bit").check()
    pg.get_by_text("the same numbers transformers gives").first.wait_for(timeout=120_000)
    pg.get_by_role("button", name="Compare", exact=True).click()
    pg.locator("b", has_text="temperature 1.5").first.wait_for(timeout=120_000)
    pg.wait_for_timeout(3000)
    page.screenshot("sampling-top-p-compare")
    page.assert_clean()
