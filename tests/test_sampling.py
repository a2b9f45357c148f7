"""Sampling tab: parity of the reshaped distribution with transformers' own warpers, greedy with
generate(do_sample=False), reproducible seeds, the API shapes, bad input, and the page itself."""

from __future__ import annotations

import dataclasses
import math
import re

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
from playground.lessons.sampling import views as V
from playground.lessons.sampling import warpers as W
from playground.lessons.sampling.generation import Generation
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
    s = W.DecodingSettings(1.0)
    counts = torch.zeros(5)
    for i in range(4000):
        counts[W.draw(probs, s, W.step_generator(0, i))] += 1
    assert counts[1] == 0  # a removed token is never drawn
    torch.testing.assert_close(counts / 4000, probs, atol=0.03, rtol=0)
    assert W.draw(probs, W.DecodingSettings(0.0), W.step_generator(0, 0)) == 0


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
    s = W.DecodingSettings(1.0, 0, 0.95, 0.0)
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    for i in range(4):
        step = D.make_step(lm.tokenizer, D.next_logits(lm, ids), ids, s, 7, i)
        assert step.id == a["steps"][i]["id"]
        ids = ids + [step.id]


def test_compare_rows_are_independent_runs(lm):
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    settings = [W.DecodingSettings(0.0), W.DecodingSettings(0.7), W.DecodingSettings(1.5)]
    rows = list(D.decode(lm, ids, settings, 3, 6))
    greedy_alone = [row[0].id for row in D.decode(lm, ids, [W.DecodingSettings(0.0)], 3, 6)]
    assert [row[0].id for row in rows] == greedy_alone
    for row in rows:
        assert all(0.0 < st.prob <= 1.0 for st in row if st is not None)


def test_branch_forces_the_first_token(lm):
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    alt = lm.tokenizer(" because")["input_ids"][0]
    steps = [row[0] for row in D.decode(lm, ids, [W.DecodingSettings(0.0)], 0, 3, forced=alt)]
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


# --- what the tab shows ----------------------------------------------------------------------------------


def example_run(hub, label: str, weights: str = "32-bit") -> tuple:
    """The tab's last outputs (state, text, summary, plot, ...) after clicking an example."""
    prompt, chat, t, k, p, m, r, n, seed = S.EXAMPLES[label]
    return list(S.Handlers(hub).generate_view(prompt, chat, weights, t, k, p, m, r, n, seed, Generation()))[-1]


def test_percent_keeps_two_significant_digits():
    assert V.percent(0.123) == "12.3%"
    assert V.percent(3.1e-5) == "0.0031%"
    assert V.percent(4.2e-9) == "0.00000042%"
    assert V.percent(0.0) == "0%"


def test_the_drawn_token_is_on_the_chart_with_its_rank_and_probability(hub):
    # temperature 1.5, seed 0: the first draw is a token far down the model's ranking
    out = S.Handlers(hub).show("I like cats because", False, "32-bit", 1.5, 0, 1.0, 0.0, 1.0, 0, Generation())
    gen, summary, fig = out[0], out[2], out[3]
    drawn = gen.chart.dist.drawn
    assert drawn.rank > V.N_BARS
    ticks = list(fig.layout.yaxis.ticktext)
    assert len(ticks) == V.N_BARS + 1 and "▶" in ticks[-1] and f"{drawn.rank:,}." in ticks[-1]
    assert fig.data[0].x[-1] == pytest.approx(drawn.prob_raw)
    assert f"rank {drawn.rank:,} of 49,152" in summary
    assert f"model {V.percent(drawn.prob_raw)}" in summary and "model 0.0%" not in summary


def _is_word(w: str) -> bool:
    return re.fullmatch(r"[\W_]*[A-Za-z]+(?:['’-][A-Za-z]+)*[\W_]*", w) is not None


@pytest.mark.parametrize("weights", ["4-bit", "32-bit"])
def test_the_high_temperature_example_rambles_in_words(hub, weights):
    gen = example_run(hub, "Temperature 1.2 rambles", weights)[0]
    assert gen.steps[0].prob_raw > 0.1, "the first token should be an ordinary start, not already broken"
    assert sum(st.prob_raw < 0.01 for st in gen.steps) >= 10, "it should draw tokens the model found unlikely"
    words = gen.text.split()
    share = sum(map(_is_word, words)) / len(words)
    assert share >= 0.85, f"only {share:.0%} of the rambling is words: {gen.text!r}"


def test_split_characters_are_byte_boxes_merged_when_complete():
    # 🍵 is F0 9F 8D B5: two tokens of two bytes each
    steps = [D.Step(1, "\ufffd", 0.5, 0.5, piece=b"\xf0\x9f"), D.Step(2, "\ufffd", 0.5, 0.5, piece=b"\x8d\xb5"),
             D.Step(3, " ok", 0.5, 0.5, piece=b" ok")]
    first, second, third = V.chip_bodies(steps)
    assert "tc-byte" in first and "F0 9F" in first and "🍵" not in first
    assert "🍵" in second and "tc-byte" not in second
    assert "ok" in third
    assert V.piece_label("\ufffd", b"\x8d\xb5", pending=b"\xf0\x9f") == "<8D B5> → 🍵"
    assert V.piece_label("\ufffd", b"\x8d\xb5") == "<8D B5>"
    assert V.pending_after(steps[:1]) == b"\xf0\x9f" and V.pending_after(steps) == b""


def test_the_min_p_example_shows_emoji_not_replacement_characters(hub):
    gen, text_html = example_run(hub, "Min-p keeps only close rivals")[:2]
    split = [i for i, st in enumerate(gen.steps) if st.piece is not None and "\ufffd" in st.token]
    assert split, "this example should draw emoji cut into byte tokens"
    assert "\ufffd" not in text_html  # chips and their alternatives
    assert "tc-byte" in text_html and "🍵" in text_html
    for i in split:
        choices, _ = V.branch_options(gen, i + 1)
        assert choices and not any("\ufffd" in label for label, _ in choices)
    chart = S.chart_at(hub.get(S.MODEL), gen, gen.chart.settings, 0, "32-bit", split[0])
    fig = V.chart_figure(dataclasses.replace(gen, chart=chart))
    assert not any("\ufffd" in t for t in fig.layout.yaxis.ticktext)


def test_step_after_generate_continues_from_the_end_of_the_text(hub):
    h = S.Handlers(hub)
    streamed = list(h.generate_view(PROMPT, False, "32-bit", 0.7, 0, 1.0, 0.0, 1.0, 10, 3, Generation()))[-1][0]
    ids = [st.id for st in streamed.steps]
    text = streamed.text
    stepped, text_html = h.step(PROMPT, False, "32-bit", 0.7, 0, 1.0, 0.0, 1.0, 3, streamed)[:2]
    assert [st.id for st in stepped.steps][:10] == ids and len(stepped.steps) == 11
    assert stepped.text.startswith(text) and text_html.count("sx-chip'") == 11
    # one more click draws what an 11-token stream with this seed draws
    assert [st["id"] for st in S.generate_result(hub, PROMPT, 11, 0.7, 0, 1.0, 0.0, 3, False)["steps"]] == \
        [st.id for st in stepped.steps]


def test_earlier_texts_are_kept_per_prompt(hub):
    h = S.Handlers(hub)

    def generate(prompt: str, seed: int, gen: Generation) -> tuple[Generation, str]:
        out = list(h.generate_view(prompt, False, "32-bit", 1.0, 0, 1.0, 0.0, 1.0, 5, seed, gen))[-1]
        return out[0], out[-1]

    a1, _ = generate("The sea is", 1, Generation())
    a2, shown = generate("The sea is", 2, a1)
    assert a1.text[:20] in shown
    b, shown = generate("My cat", 1, a2)
    assert shown == "" and b.earlier_texts() == []
    a3, shown = generate("The sea is", 3, b)
    assert a1.text[:20] in shown and a2.text[:20] in shown and b.text[:20] not in shown


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


def test_generate_stream_streams_the_generate_json_and_ends_with_it(client):
    args = (PROMPT, 40, 0.8, 0, 0.95, 0.0, 3, False)
    job = client.submit(*args, "32-bit", api_name="/generate_stream")
    job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3, "the endpoint should send the growing text, not only the end"
    for out in outputs:
        assert set(out) == {"text", "steps"}
    lengths = [len(out["steps"]) for out in outputs]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    assert outputs[-1] == client.predict(*args, api_name="/generate")
    four_bit = client.submit(PROMPT, 6, 0.0, 0, 1.0, 0.0, 0, False, "4-bit", api_name="/generate_stream")
    assert len(four_bit.result(timeout=300)["steps"]) == 6


@pytest.mark.parametrize("weights, words", [("4-bit", "4-bit weights"), ("32-bit", "32-bit weights")])
def test_streamed_generation_in_the_tab_says_which_weights(hub, weights, words):
    outs = list(S.Handlers(hub).generate_view(PROMPT, False, weights, 0.0, 0, 1.0, 0.0, 1.0, 12, 0, Generation()))
    # outputs: state, text, summary, ...; the stream sends the growing text, then a closing summary
    summaries = [out[2] for out in outs if isinstance(out[2], str) and "tokens/s" in out[2]]
    assert summaries and words in summaries[-1]
    assert all("token-chip" in out[1] for out in outs)


def test_unknown_weights_get_a_clear_message_and_the_app_keeps_serving(client, lm):
    from gradio_client.exceptions import AppError

    with pytest.raises(UserInputError, match="Weights must be one of"):
        engines.weights_choice(lm, "8-bit")
    with pytest.raises(AppError, match="Weights must be one of 4-bit, 32-bit"):
        client.submit(PROMPT, 4, 0.0, 0, 1.0, 0.0, 0, False, "8-bit", api_name="/generate_stream").result(timeout=120)
    assert client.predict(PROMPT, 0.8, 40, 0.9, 0.05, False, api_name="/next_token")["candidates"]


def test_api_bad_input_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Top-p"):
        client.predict(PROMPT, 1.0, 0, 1.5, 0.0, False, api_name="/next_token")


@pytest.mark.browser
def test_sampling_tab_in_the_browser(page):
    pg = page.open("Sampling")
    pg.get_by_role("button", name="Temperature 0 repeats itself").click()
    chips = pg.locator(".sx-chip")
    chips.first.wait_for(timeout=60_000)
    page.screenshot("sampling-streaming")
    # generous: on a shared 2-core CPU 80 tokens can take a while; no speed is asserted here
    pg.get_by_text("tokens/s").first.wait_for(timeout=240_000)
    assert chips.count() >= 10
    assert "alternatives" in chips.first.inner_html()
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


# --- layouts: a phone and a projector ---------------------------------------------------------------

_OVERLAPS = """(root) => {
    const boxes = (sel) => [...root.querySelectorAll(sel)].map(e => e.getBoundingClientRect())
        .filter(r => r.width > 0 && r.height > 0);
    const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
    const pairs = (rs) => rs.flatMap((a, i) => rs.slice(i + 1).filter(b => hit(a, b)).map(b => [a, b]));
    const legend = boxes('.legend');
    const titles = boxes('.gtitle, .g-gtitle text');
    return {
        ticks: pairs(boxes('.xtick text')).length + pairs(boxes('.ytick text')).length,
        title_legend: titles.filter(t => legend.some(l => hit(t, l))).length,
        legend_ticks: boxes('.xtick text, .ytick text').filter(t => legend.some(l => hit(t, l))).length,
        tick_px: Math.min(...[...root.querySelectorAll('.xtick text, .ytick text')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))),
    };
}"""


def _run_example(pg, label: str):
    pg.get_by_role("button", name=label).click()
    pg.locator("#sampling-summary", has_text="tokens/s").wait_for(timeout=300_000)
    pg.locator("#sampling-chart .ytick text").first.wait_for(timeout=60_000)


@pytest.mark.browser
def test_sampling_on_a_phone(browser, app_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  device_scale_factor=2)
    try:
        page = PageWatch(context.new_page(), app_url)
        pg = page.open("Sampling")
        pg.get_by_label("32-bit").check()
        _run_example(pg, "Min-p keeps only close rivals")
        page.screenshot("sampling-phone")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
        chart = pg.locator("#sampling-chart").element_handle()
        found = pg.evaluate(_OVERLAPS, chart)
        assert found["ticks"] == 0 and found["title_legend"] == 0 and found["legend_ticks"] == 0, found
        text = pg.locator("#sampling-text")
        assert "\ufffd" not in text.inner_text() and text.locator(".tc-byte").count() > 0
        # the alternatives open with a tap, inside the screen
        chip = text.locator(".sx-chip").nth(2)
        details = chip.locator(".sx-pop")
        assert not details.is_visible()
        chip.tap()
        details.wait_for(state="visible", timeout=5_000)
        assert "alternatives" in details.inner_text()
        box = details.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.screenshot("sampling-phone-details")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        page.assert_clean()
    finally:
        context.close()


@pytest.mark.browser
def test_sampling_on_a_projector(browser, app_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = PageWatch(context.new_page(), app_url)
        pg = page.open("Sampling")
        pg.get_by_label("32-bit").check()
        _run_example(pg, "Temperature 0 repeats itself")
        page.screenshot("sampling-projector")
        text = pg.locator("#sampling-text").bounding_box()
        chart = pg.locator("#sampling-chart").bounding_box()
        assert text["y"] + text["height"] <= chart["y"], "the generated text should come before the chart"
        assert chart["height"] <= 720, "the chart should not be taller than the screen"
        found = pg.evaluate(_OVERLAPS, pg.locator("#sampling-chart").element_handle())
        assert found["ticks"] == 0 and found["tick_px"] >= 13, found
        assert pg.evaluate("document.documentElement.scrollWidth") <= 1280
        page.assert_clean()
    finally:
        context.close()
