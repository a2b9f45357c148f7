"""Inside the model: the parameter count against the model's own, the logit lens against the model's
hidden states and logits, the quantized variants against bitsandbytes' own footprint and torch's
kl_div, the rounding curve, bad input, the endpoints through gradio_client and the tab in a browser."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from playground.checks import UserInputError
from playground.lessons.inside import anatomy as A
from playground.lessons.inside import lens as L
from playground.lessons.inside import quantize as Q
from playground.lessons.inside import rounding, tab
from playground.lessons.inside import weights as W

MODEL = tab.MODEL
TEXT = "The capital of France is Paris, and the capital of Italy is"


def unique_count(module) -> int:
    seen = {}
    for p in module.parameters():
        seen[id(p)] = p.numel()
    return sum(seen.values())


@pytest.mark.parametrize("key", [MODEL, "all-minilm-l6-v2"])
def test_the_parts_partition_the_model_and_sum_to_its_own_count(hub, key):
    lm = hub.get(key)
    a = A.count(key, lm.model)
    assert a.total == sum(p.params for p in a.parts) == unique_count(lm.model) == a.own_count
    assert len({p.name for p in a.parts}) == len(a.parts)  # each owner once
    assert "Other" not in a.by_role()  # every part has a job the tab can name
    if key == MODEL:
        assert ["model.embed_tokens.weight", "lm_head.weight"] in a.tied_names
        cfg = lm.model.config
        q = sum(p.params for p in a.parts if p.role == "Attention: q")
        k = sum(p.params for p in a.parts if p.role == "Attention: k")
        assert q == cfg.num_hidden_layers * cfg.hidden_size ** 2
        assert k * cfg.num_attention_heads == q * cfg.num_key_value_heads  # grouped-query attention
        assert a.n_layers() == cfg.num_hidden_layers
        assert a.memory_mb()["fp32"][0] == pytest.approx(lm.model.get_memory_footprint() / 1e6, rel=1e-3)


def test_a_matrix_view_shows_a_slice_and_the_histogram_of_every_value(lm):
    templates = W.matrix_templates(lm.model)
    assert tab.DEFAULT_MATRIX in templates and "model.embed_tokens.weight" in templates
    v = W.matrix_view(lm.model, "model.layers.{layer}.mlp.down_proj.weight", 3, row=10, col=20, size=16)
    w = lm.model.model.layers[3].mlp.down_proj.weight.detach()
    assert v.shape == tuple(w.shape) and int(v.counts.sum()) == w.numel()
    assert torch.equal(torch.from_numpy(v.values), w[10:26, 20:36])
    assert v.mean == pytest.approx(float(w.mean()), abs=1e-6) and v.high == pytest.approx(float(w.max()))
    with pytest.raises(UserInputError, match="no weight called"):
        W.matrix_view(lm.model, "model.layers.{layer}.mlp.down_proj.weight", 99)


def test_the_lens_equals_the_models_own_logits_and_lm_head_of_norm_of_each_hidden_state(lm):
    lens = L.logit_lens(lm, TEXT, " Rome")
    ids = torch.tensor([lens.ids])
    with torch.no_grad():
        out = lm.model(ids, output_hidden_states=True)
        own = torch.softmax(out.logits[0].float(), -1)
        # the last hidden state already has the final norm: that row is the model's own prediction
        assert torch.allclose(lm.model.lm_head(out.hidden_states[-1]), out.logits, atol=1e-5)
        rows = [torch.softmax(lm.model.lm_head(lm.model.model.norm(h))[0], -1) for h in out.hidden_states[:-1]]
    rows.append(own)
    assert lens.n_rows == lm.model.config.num_hidden_layers + 1 == len(rows)
    for r, probs in enumerate(rows):
        top_p, top_i = probs.topk(L.TOP, -1)
        assert (torch.from_numpy(lens.top_ids[r]) == top_i).all()
        assert torch.allclose(torch.from_numpy(lens.top_probs[r]), top_p, atol=1e-5)
    tid = lm.tokenizer(" Rome", add_special_tokens=False)["input_ids"][0]
    assert lens.target_id == tid and lens.target_probs[-1] == pytest.approx(float(own[-1, tid]), abs=1e-5)
    assert lens.target_ranks[-1] == int((own[-1] > own[-1, tid]).sum()) + 1
    j = lens.as_json(lm.tokenizer)
    assert len(j["layers"]) == lens.n_rows and all(len(row) == len(lens.ids) for row in j["layers"])
    assert j["layers"][-1][-1]["id"] == int(own[-1].argmax())


def test_bad_input_to_the_lens_and_the_counts_gets_a_clear_message(hub, lm):
    with pytest.raises(UserInputError, match="encoder"):
        L.logit_lens(hub.get("all-minilm-l6-v2"), TEXT)
    with pytest.raises(UserInputError, match="empty"):
        L.logit_lens(lm, "   ")
    with pytest.raises(UserInputError, match="up to 256"):
        L.logit_lens(lm, "word " * 400)
    with pytest.raises(UserInputError, match="Unknown model"):
        tab.checked_model(hub, "gpt-17")


# --- quantization ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(hub):
    return Q.compare(hub, MODEL, TEXT, ["fp32", "bf16", "int8", "nf4", "q4_1"], seed=3)


def fresh(hub, **kwargs):
    from transformers import AutoModelForCausalLM

    from playground.training.base import base_source

    return AutoModelForCausalLM.from_pretrained(base_source(hub, MODEL).target, attn_implementation="eager",
                                                **kwargs).eval()


def test_each_variant_is_measured_against_fp32_with_torchs_kl_div(hub, lm, compared):
    rows = {r.name: r for r in compared.rows}
    assert [r.name for r in compared.rows] == ["fp32", "bf16", "int8", "nf4", "q4_1"]
    assert all(r.error is None for r in compared.rows)
    assert rows["fp32"].kl == 0 and rows["fp32"].top1_agreement == 1 and rows["fp32"].shared
    ids = torch.tensor([lm.tokenizer(TEXT, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        ref = lm.model(ids).logits[0].float()
        bf16 = fresh(hub, dtype=torch.bfloat16)(ids).logits[0].float()
    expected = F.kl_div(F.log_softmax(bf16, -1), F.log_softmax(ref, -1), log_target=True, reduction="batchmean")
    assert rows["bf16"].kl == pytest.approx(float(expected), rel=1e-4, abs=1e-7)
    assert rows["bf16"].top1_agreement == pytest.approx(float((ref.argmax(-1) == bf16.argmax(-1)).float().mean()))
    for name in ("bf16", "int8", "nf4", "q4_1"):
        assert rows[name].kl > 0 and 0 < rows[name].top1_agreement <= 1 and rows[name].tokens_per_s > 0
        assert rows[name].generation  # a same-seed continuation to read side by side
    assert rows["bf16"].bits == 16 and 8 < rows["int8"].bits < 8.2 and 4 < rows["nf4"].bits < 4.6
    assert rows["q4_1"].bits == pytest.approx(5.0)  # 4 bits + a bf16 step and offset per group of 32
    assert rows["q4_1"].kl < rows["nf4"].kl  # the GGUF's own grid, found again, against a different one
    assert rows["fp32"].memory_mb > rows["bf16"].memory_mb > rows["int8"].memory_mb > rows["nf4"].memory_mb


def test_the_bitsandbytes_variants_memory_is_their_own_footprint(hub, compared):
    from transformers import BitsAndBytesConfig

    rows = {r.name: r for r in compared.rows}
    for name, qconf in (("int8", BitsAndBytesConfig(load_in_8bit=True)),
                        ("nf4", BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                   bnb_4bit_compute_dtype=torch.float32))):
        model = fresh(hub, quantization_config=qconf, device_map={"": "cpu"})
        assert rows[name].memory_mb == pytest.approx(model.get_memory_footprint() / 1e6)
        del model


def test_at_most_one_extra_variant_is_resident_and_the_tab_says_which(hub, compared):
    held = Q.extra_slot().resident()
    assert held is not None and held[:2] == (MODEL, "nf4")  # the last extra one loaded; bf16 and int8 were freed
    lines = Q.resident(hub)
    assert sum("extra copy" in line for line in lines) == 1 and any("the hub's copy" in line for line in lines)


def test_a_variant_that_cannot_run_says_why_and_the_others_still_run(hub, monkeypatch):
    monkeypatch.setattr(Q, "bitsandbytes_reason", lambda: "bitsandbytes is not installed here")
    Q.extra_slot().clear()
    c = Q.compare(hub, MODEL, TEXT, ["int8", "q4_1"])
    rows = {r.name: r for r in c.rows}
    assert rows["int8"].error == "bitsandbytes is not installed here" and rows["q4_1"].error is None
    assert "error" in c.as_json()["variants"][0] and rows["q4_1"].kl > 0
    with pytest.raises(UserInputError, match="Unknown variant"):
        Q.compare(hub, MODEL, TEXT, ["fp8"])
    with pytest.raises(UserInputError, match="at least one variant"):
        Q.compare(hub, MODEL, TEXT, [])


def test_rounding_keeps_2_to_the_bits_levels_per_group_and_quality_falls_with_the_bits(lm):
    w = lm.model.model.layers[0].self_attn.o_proj.weight.detach()
    for bits, group in ((4, 32), (3, 64), (2, 0)):
        q = rounding.fake_quantize(w, bits, group)
        g = w.shape[1] if group == 0 else group
        groups = q.reshape(w.shape[0], -1, g)
        assert max(len(torch.unique(groups[r, c])) for r in range(0, w.shape[0], 97) for c in range(groups.shape[1])) <= 2 ** bits
        span = w.reshape(w.shape[0], -1, g)
        step = (span.amax(-1) - span.amin(-1)) / (2 ** bits - 1)
        assert ((groups - span).abs() <= step[..., None] / 2 + 1e-6).all()  # round to nearest
    points = rounding.curve(lm.model, lm.tokenizer, 64, bits=(8, 3))
    assert points[0].kl < points[1].kl and points[0].top1_agreement > points[1].top1_agreement
    assert points[0].stored_bits == 8.5 and points[1].positions > 50


# --- through the app ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_app(hub):
    from conftest import launch_lesson

    from playground.lessons import inside

    yield from launch_lesson(hub, inside)


@pytest.mark.app
def test_the_endpoints_answer_as_the_api_says(lesson_app, hub, lm):
    from gradio_client import Client

    client = Client(lesson_app, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/anatomy", "/logit_lens", "/quantize_compare"}
    counted = client.predict(MODEL, api_name="/anatomy")
    assert counted["total"] == sum(p["params"] for p in counted["parts"]) == unique_count(lm.model)
    lens = client.predict("The capital of France is", MODEL, api_name="/logit_lens")
    assert len(lens["layers"]) == 31 and len(lens["tokens"]) == len(lens["layers"][0])
    assert lens["layers"][-1][-1]["token"] == " Paris" and 0 < lens["layers"][-1][-1]["prob"] <= 1
    q = client.predict(TEXT, ["fp32", "q4_1"], api_name="/quantize_compare")
    assert [v["name"] for v in q["variants"]] == ["fp32", "q4_1"]
    assert set(q["variants"][1]) >= {"name", "bits", "memory_mb", "kl", "top1_agreement", "tokens_per_s"}
    for args, api, message in (((MODEL.upper(),), "/anatomy", "Unknown model"),
                               (("Hello", "all-minilm-l6-v2"), "/logit_lens", "encoder"),
                               (("", MODEL), "/logit_lens", "empty"),
                               ((TEXT, ["fp64"]), "/quantize_compare", "Unknown variant")):
        with pytest.raises(Exception, match=message):
            client.predict(*args, api_name=api)
    assert client.predict(MODEL, api_name="/anatomy")["total"] == counted["total"]  # still serving


@pytest.fixture
def counted_page(browser, lesson_app):
    """The tab in a desktop-sized page, its parameters counted; the test's screenshot is taken after."""
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), lesson_app)
    pg = watch.open(tab.TITLE)
    pg.get_by_role("button", name="Count the parameters").click()
    pg.get_by_text("134,515,008 parameters").wait_for(timeout=120_000)
    yield watch, pg
    watch.assert_clean()
    context.close()


@pytest.mark.browser
def test_the_tab_counts_the_parameters_and_shows_the_lens(counted_page):
    watch, pg = counted_page
    assert pg.get_by_text("are one tensor, counted once").is_visible()
    pg.get_by_role("button", name="Run the lens").click()
    pg.get_by_text("which is the model's own prediction").wait_for(timeout=120_000)
    assert pg.locator(".js-plotly-plot").count() >= 4
    watch.screenshot("inside-tab")


@pytest.mark.browser
def test_the_tab_fits_a_phone(browser, lesson_app):
    from conftest import assert_fits_a_phone

    assert_fits_a_phone(browser, lesson_app, tab.TITLE,
                        lambda pg: pg.get_by_role("button", name="Count the parameters").wait_for(), "inside-phone")


@pytest.mark.browser
def test_the_tab_shows_a_matrix_and_compares_the_variants(counted_page):
    watch, pg = counted_page
    pg.get_by_role("button", name="A parameter, up close").click()
    pg.get_by_text("576 × 576 = 331,776 numbers").wait_for(timeout=60_000)  # layer 0's q_proj, drawn by itself
    pg.get_by_role("button", name="Quantization: the same model in fewer bits").click()
    pg.get_by_role("button", name="Compare", exact=True).click()
    pg.get_by_text("Measured on your text").wait_for(timeout=300_000)
    assert pg.get_by_text("this tab's one extra copy").is_visible()
    pg.get_by_role("button", name="Draw the curve").click()
    pg.get_by_text("stored (with scales)").wait_for(timeout=300_000)
    watch.screenshot("inside-quantization")
