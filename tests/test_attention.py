"""Attention lesson: the weights are the model's own `output_attentions`, the cache keeps the
model from re-running, the probe finds SmolLM2's induction head, bad input gets clear
messages, and the tab renders its heatmap in a browser."""

from __future__ import annotations

import re
import numpy as np
import pytest
import torch

from playground.lessons.attention import tab, weights
from playground.lessons.attention.probe import induction_scores, previous_token_scores, run_probe, top_heads
from playground.lessons.attention.weights import MAX_TOKENS, AttentionCache, head_summary
from playground.checks import UserInputError

LM = "smollm2-135m-instruct"
ENC = "all-minilm-l6-v2"
TEXT = "The trophy didn't fit in the suitcase because it was too big."

# What the induction probe finds on SmolLM2 (30 random tokens, repeated; seeds 0 and 1).
INDUCTION_HEAD = (18, 6)
PREVIOUS_TOKEN_HEAD = (16, 0)


def reference(net, tokenizer, text: str) -> tuple[list[int], np.ndarray]:
    """The bare library call: the tokenizer's own ids, the model's own attention probabilities."""
    enc = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        out = net(**enc, output_attentions=True)
    return enc["input_ids"][0].tolist(), torch.stack([a[0] for a in out.attentions]).numpy()


@pytest.mark.parametrize("key", [LM, ENC])
def test_weights_equal_output_attentions(hub, key):
    loaded = hub.get(key)
    net = loaded.model if key == LM else loaded.model[0].auto_model
    ids, ref = reference(net, loaded.tokenizer, TEXT)
    n_layers, n_heads = ref.shape[:2]
    assert (n_layers, n_heads) == ((30, 9) if key == LM else (6, 12))
    for layer, head in [(0, 0), (n_layers // 2, n_heads - 1), (n_layers - 1, 3), (2, -1)]:
        out = weights.attention(hub, TEXT, key, layer, head)
        assert set(out) == {"tokens", "weights", "n_layers", "n_heads"}
        assert (out["n_layers"], out["n_heads"]) == (n_layers, n_heads)
        assert out["tokens"] == [loaded.tokenizer.convert_tokens_to_string([t])
                                 for t in loaded.tokenizer.convert_ids_to_tokens(ids)]
        w = np.array(out["weights"])
        expected = ref[layer].mean(axis=0) if head == -1 else ref[layer, head]
        assert w.shape == (len(ids), len(ids))
        np.testing.assert_allclose(w, expected, atol=1e-5, rtol=0)
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)
        upper = w[np.triu_indices(len(ids), k=1)]
        if key == LM:
            assert np.all(upper == 0), "a decoder token must not see the future"
        else:
            assert upper.max() > 0.01, "an encoder token looks both ways"
    # the whole cached array matches too, every layer and head
    att, _ = weights.attentions_for(hub, TEXT, key)
    np.testing.assert_allclose(att.weights, ref, atol=1e-5, rtol=0)


def test_special_tokens_are_the_tokenizers_own(hub):
    tokens = weights.attention(hub, TEXT, ENC, 0, 0)["tokens"]
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert weights.attention(hub, TEXT, LM, 0, 0)["tokens"][0] == "The"  # SmolLM2's tokenizer adds no BOS


def test_part_character_tokens_show_their_bytes(hub):
    text = "ok 👨\u200d👩\u200d👧"
    tokens = weights.attention(hub, text, LM, 0, 0)["tokens"]
    assert any(t.startswith("⟨") for t in tokens) and "\ufffd" not in "".join(tokens)
    raw = b"".join(bytes.fromhex(t[1:-1]) if t.startswith("⟨") else t.encode() for t in tokens)
    assert raw.decode("utf-8") == text


def test_changing_layer_or_head_does_not_rerun_the_model(hub):
    text = "Cache me once: every layer is kept."
    weights.attention(hub, text, LM, 0, 0)
    runs = weights.CACHE.misses
    for layer, head in [(1, 1), (29, 8), (5, -1)]:
        weights.attention(hub, text, LM, layer, head)
    assert weights.CACHE.misses == runs


def test_handlers_redraw_from_the_kept_result(hub):
    """The tab keeps the Attentions in its state: sliders, the token picker and the numbers
    redraw from it and never reach the model or the cache."""
    import gradio as gr

    out = tab.show_attention(hub, TEXT, LM, 18, 6)
    att = out[-1]
    assert "layer 18 · head 6" in out[1].layout.title.text
    expected = weights.attention(hub, TEXT, LM, 18, 2)
    weights.CACHE.clear()
    runs = weights.CACHE.misses
    heat, bars, lines = tab.change_head(att, 18, 2, 3)
    assert "layer 18 · head 2" in heat.layout.title.text and "layer 18 · head 2" in lines.layout.title.text
    assert len(tab.change_layer(att, 0, -1, 3)) == 4 and len(tab.change_token(att, 0, -1, 0)) == 2
    assert tab.shown_numbers(att, 18, 2) == expected
    assert weights.CACHE.misses == runs and len(weights.CACHE) == 0
    with pytest.raises(gr.Error, match="Show attention"):
        tab.change_layer(None, 0, 0, 0)
    with pytest.raises(gr.Error, match="30 layers"):
        tab.shown_numbers(att, 30, 0)
    example = tab.show_example(hub, tab.REPEAT, LM, "layer 18, head 6, token 'house'")
    assert example[-1].tokens[example[2]["value"]].strip() == "house"


def test_lines_view_draws_the_models_own_weights(hub):
    from playground.lessons.attention.figures import LINES_MIN_WEIGHT, attention_lines, lines_figure, lines_window

    att, _ = weights.attentions_for(hub, TEXT, LM)
    layer, head = INDUCTION_HEAD
    matrix = att.head(layer, head)
    n = len(att.tokens)
    lines = attention_lines(matrix, 0, n)
    # every look of at least 2% is a line with its exact weight, and nothing lighter is drawn
    assert len(lines) == int((matrix >= LINES_MIN_WEIGHT).sum())
    for q, k, w in lines:
        assert w == float(matrix[q, k]) and w >= LINES_MIN_WEIGHT
        assert k <= q  # a decoder only looks back
    focus = n - 1
    fig = lines_figure(att, layer, head, focus)
    orange = [t for t in fig.data if t.mode == "lines" and t.line.color == "#ff7f0e"]
    assert sum(len(t.x) // 3 for t in orange) == sum(1 for q, _, _ in lines if q == focus)
    assert f"{sum(w for q, _, w in lines if q == focus):.0%} of its attention" in fig.layout.title.text
    # a long text shows a window that keeps the picked token inside it
    assert lines_window(10, 3) == (0, 10)
    for focus in (0, 100, 255):
        start, end = lines_window(256, focus)
        assert end - start == 64 and start <= focus < end


def test_cache_is_bounded(lm):
    cache = AttentionCache(max_entries=2)
    for text in ["one", "two", "three"]:
        cache.get(lm, text)
    assert cache.misses == 3 and len(cache) == 2
    cache.get(lm, "three")
    assert cache.misses == 3
    cache.get(lm, "one")  # was dropped, least recently used
    assert cache.misses == 4


@pytest.mark.parametrize("key", [LM, ENC])
def test_long_text_is_cut_with_a_notice(hub, key):
    att, notice = weights.attentions_for(hub, "word " * 600, key)
    assert len(att.tokens) == MAX_TOKENS and att.weights.shape[-1] == MAX_TOKENS
    assert "only the first" in notice
    if key == ENC:
        assert att.tokens[0] == "[CLS]" and att.tokens[-1] == "[SEP]"


@pytest.mark.parametrize(
    "args, message",
    [
        (("", LM, 0, 0), "empty"),
        (("   ", LM, 0, 0), "empty"),
        ((TEXT, "gpt-17", 0, 0), "Unknown model 'gpt-17'"),
        ((TEXT, "clip-vit-b-32", 0, 0), "Unknown model"),
        ((TEXT, LM, 30, 0), "30 layers (0 to 29)"),
        ((TEXT, LM, -1, 0), "Layer must be between 0 and 29"),
        ((TEXT, LM, 0, 9), "9 heads per layer"),
        ((TEXT, LM, 0, -2), "Head must be between -1 and 8"),
        ((TEXT, ENC, 6, 0), "6 layers (0 to 5)"),
        ((TEXT, LM, 1.5, 0), "whole number"),
    ],
)
def test_bad_input_gets_a_clear_message(hub, args, message):
    with pytest.raises(UserInputError, match=re.escape(message)):
        weights.attention(hub, *args)


def test_probe_scores_on_a_perfect_pattern():
    offset, half = 1, 5
    t = offset + 2 * half
    w = np.zeros((1, 2, t, t))
    for q in range(t):
        w[0, 0, q, max(q - 1, 0)] = 1.0  # head 0: previous token
        w[0, 1, q, q - half + 1 if q >= offset + half + 1 else 0] = 1.0  # head 1: induction
    assert previous_token_scores(w, offset, half).tolist() == [[1.0, 0.0]]
    assert induction_scores(w, offset, half)[0, 1] == 1.0
    assert induction_scores(w, offset, half)[0, 0] == 0.0
    assert top_heads(np.array([[0.1, 0.9], [0.5, 0.2]]), 2) == [(0, 1, 0.9), (1, 0, 0.5)]


@pytest.mark.parametrize("seed", [0, 1])
def test_induction_probe_finds_smollm2s_induction_head(lm, seed):
    res = run_probe(lm, half=30, seed=seed)
    assert len(res.tokens) == 60 and res.tokens[:30] == res.tokens[30:]
    (layer, head, score), (_, _, second) = top_heads(res.induction, 2)
    assert (layer, head) == INDUCTION_HEAD
    # clearly above the rest: most of its weight on the induction target, far above the typical head
    assert score > 0.6 and score > 50 * np.median(res.induction) and score > second
    assert top_heads(res.previous, 1)[0][:2] == PREVIOUS_TOKEN_HEAD


def test_probe_on_the_encoder_keeps_its_special_tokens(encoder):
    res = run_probe(encoder, half=10, seed=3)
    assert res.tokens[0] == "[CLS]" and res.tokens[-1] == "[SEP]" and res.offset == 1
    assert res.tokens[1:11] == res.tokens[11:21]


def test_head_summary_scores():
    w = np.zeros((1, 2, 3, 3))
    w[0, 0, :, 0] = 1.0  # a sink
    w[0, 1, 0, 0] = 1.0
    w[0, 1, 1, 0] = w[0, 1, 2, 1] = 1.0  # previous token
    s = head_summary(w)
    assert s["first"].tolist() == [[1.0, 0.5]]
    assert s["previous"].tolist() == [[0.5, 1.0]]
    assert s["entropy"].tolist() == [[0.0, 0.0]]
    uniform = np.full((1, 1, 4, 4), 0.25)
    assert head_summary(uniform)["entropy"][0, 0] == pytest.approx(2.0)


@pytest.mark.app
def test_api_shape_through_the_app(client, hub):
    out = client.predict(TEXT, LM, 18, 6, api_name="/attention")
    assert set(out) == {"tokens", "weights", "n_layers", "n_heads"}
    direct = weights.attention(hub, TEXT, LM, 18, 6)
    assert out["tokens"] == direct["tokens"] and (out["n_layers"], out["n_heads"]) == (30, 9)
    np.testing.assert_allclose(np.array(out["weights"]), np.array(direct["weights"]), atol=1e-6)
    mean = client.predict("a b a b", ENC, 5, -1, api_name="/attention")
    assert len(mean["weights"]) == len(mean["tokens"]) == 6


@pytest.mark.app
@pytest.mark.parametrize(
    "args, message",
    [(("", LM, 0, 0), "empty"), ((TEXT, "nope", 0, 0), "Unknown model"), ((TEXT, LM, 99, 0), "30 layers")],
)
def test_api_bad_input_message(client, args, message):
    with pytest.raises(Exception, match=re.escape(message)):
        client.predict(*args, api_name="/attention")


@pytest.mark.browser
def test_tab_renders_heatmap_and_probe(page):
    pg = page.open("Attention")
    pg.get_by_role("button", name="Show attention").click()
    heat = pg.locator("#attention-heatmap .js-plotly-plot")
    heat.wait_for(timeout=60_000)
    assert heat.locator(".hm, .heatmaplayer, image").count() > 0  # plotly drew the heatmap layer
    pg.locator("#attention-layer-grid .js-plotly-plot").wait_for(timeout=30_000)
    pg.locator("#attention-lines .js-plotly-plot").wait_for(timeout=30_000)
    pg.wait_for_timeout(500)
    page.screenshot("attention-decoder")
    title = pg.locator("#attention-heatmap .gtitle")
    # the repeated-sequence example starts at the induction head
    pg.get_by_text("layer 18, head 6, token 'house'").click()
    pg.wait_for_function("document.querySelector('#attention-heatmap .gtitle')?.textContent.includes('layer 18 · head 6')",
                         timeout=60_000)
    pg.wait_for_timeout(500)
    page.screenshot("attention-induction-example")
    # switching to the encoder re-runs and clamps layer 18 to MiniLM's last layer, 5; no mask any more
    pg.get_by_label("all-minilm-l6-v2").check()
    pg.wait_for_function("document.querySelector('#attention-heatmap .gtitle')?.textContent.includes('all-minilm-l6-v2 · layer 5')",
                         timeout=60_000)
    assert "no mask" in title.text_content()
    page.screenshot("attention-encoder")
    pg.get_by_role("button", name="Run the probe", exact=True).click()
    pg.locator("#attention-probe-patterns .js-plotly-plot").wait_for(timeout=60_000)
    assert pg.get_by_text("The top induction head is").count() > 0
    pg.wait_for_timeout(500)
    page.screenshot("attention-probe")
    page.assert_clean()
