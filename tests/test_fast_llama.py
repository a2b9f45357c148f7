"""The fast decode engine: its architecture against transformers (with the model's own float32
weights), its 4-bit packing against known groups, how close 4-bit stays to float32 on the real
model, and the Sampling tab's decode loop on it."""

from __future__ import annotations

import pytest
import torch

from playground.lessons.sampling import distribution as D
from playground.lessons.sampling import warpers as W
from playground.lm import engines, prompts
from playground.lm import fast_llama as FL

PROMPT = "The best thing about rainy days is"

pytestmark = pytest.mark.skipif(not hasattr(torch, "_weight_int4pack_mm_for_cpu"),
                                reason="this torch has no CPU int4 kernel")


def test_the_kernel_probe_passes_here_and_catches_a_wrong_convention(monkeypatch):
    assert FL.int4_supported()  # the pinned torch on x86: the 4-bit path must really run in CI
    monkeypatch.setattr(FL, "_KERNEL_OK", None)
    real = FL.pack_int4
    monkeypatch.setattr(FL, "pack_int4", lambda w, group=FL.GROUP: _shifted(real(w, group)))
    assert not FL.int4_supported()  # (monkeypatch puts the real probe result back afterwards)


def _shifted(packed):
    packed.scales_zeros[..., 1] += 1  # every zero point off by one: the probe must notice
    return packed


@pytest.fixture(scope="module")
def exact_engine(lm):
    """The same forward with the model's own float32 weights: checks everything but the packing."""
    return FL.FastLlama(lm.model, bits=32)


def test_float32_engine_matches_transformers_prefill_and_cached_steps(lm, exact_engine):
    prompt = prompts.encode(lm.tokenizer, PROMPT, False)
    rows = [[11, 260, 3100, 28, 9], [17, 17, 17, 17, 17]]  # two rows that part after the prompt
    state, first = exact_engine.start(prompt, rows=2, capacity=len(prompt) + 5)
    with torch.inference_mode():
        ref_first = lm.model(torch.tensor([prompt])).logits[0, -1]
    torch.testing.assert_close(first[0], ref_first, atol=2e-4, rtol=0)
    torch.testing.assert_close(first[1], ref_first, atol=2e-4, rtol=0)
    for j in range(5):
        got = exact_engine.step(state, [rows[0][j], rows[1][j]])
        for r in range(2):
            with torch.inference_mode():
                ref = lm.model(torch.tensor([prompt + rows[r][: j + 1]])).logits[0, -1]
            torch.testing.assert_close(got[r], ref, atol=2e-4, rtol=0)
    assert state.length == len(prompt) + 5
    with pytest.raises(ValueError, match="KV cache holds"):
        exact_engine.step(state, [1, 1])


def test_float32_engine_greedy_equals_generate(lm, exact_engine):
    for prompt in (PROMPT, "def fibonacci(n):"):
        ids = prompts.encode(lm.tokenizer, prompt, False)
        with torch.inference_mode():
            ref = lm.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    do_sample=False, max_new_tokens=20)[0, len(ids):].tolist()
        state, logits = exact_engine.start(ids, capacity=len(ids) + 20)
        ours = []
        for _ in range(20):
            ours.append(int(logits[0].argmax()))
            logits = exact_engine.step(state, [ours[-1]]) if len(ours) < 20 else logits
        assert ours == ref, prompt


def test_pack_int4_recovers_q4_1_groups_exactly():
    # weights made the way a Q4_1 file stores them: q in 0..15 per group of 32, with a step and an
    # offset that bf16 holds exactly, and every group using its full range (q = 0 and q = 15)
    g = torch.Generator().manual_seed(0)
    n, k = 64, 128
    q = torch.randint(0, 16, (n, k // 32, 32), generator=g).float()
    q[..., 0], q[..., 1] = 0, 15
    step = (torch.randint(1, 64, (n, k // 32, 1), generator=g) / 1024).to(torch.bfloat16).float()
    zero = (torch.randn(n, k // 32, 1, generator=g) / 4).to(torch.bfloat16).float()
    w = ((q - 8) * step + zero).reshape(n, k)
    packed = FL.pack_int4(w)
    assert packed.max_error == 0.0
    # and the kernel multiplies by exactly those weights (bf16 in, bf16 out)
    x = torch.randn(3, k, generator=g)
    got = FL.FastLlama._mm(x, packed).float()
    ref = x.to(torch.bfloat16).float() @ w.T
    torch.testing.assert_close(got, ref, rtol=1e-2, atol=1e-2)


def test_pack_int4_is_close_on_the_real_weights(lm):
    w = lm.model.model.layers[0].mlp.down_proj.weight
    packed = FL.pack_int4(w)
    # the GGUF's groups come back up to bf16 rounding of each group's offset: well under a step
    assert packed.max_error <= float(w.detach().abs().max()) * 2**-7
    assert packed.nbytes < w.numel() * 4 / 6  # 4 bits a weight plus the groups' bf16 step and offset


def test_4bit_engine_agrees_with_float32(lm):
    check = engines.fast_agreement(lm)
    a = check.agreement
    assert a.step_ms > 0 and check.exact_step_ms > 0
    assert a.positions >= 40
    assert a.top1_same >= 0.9 * a.positions
    assert a.kl_mean < 2e-3
    assert a.max_prob_diff < 0.06
    note = engines.weights_note(lm, engines.FAST)
    assert f"{a.top1_same} of {a.positions}" in note


def test_4bit_decode_is_reproducible_and_rows_are_independent(lm):
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    s = W.DecodingSettings(1.0, 0, 0.95, 0.0)
    a = [row[0] for row in D.decode(lm, ids, [s], 7, 12, weights=engines.FAST)]
    b = [row[0] for row in D.decode(lm, ids, [s], 7, 12, weights=engines.FAST)]
    assert [x.id for x in a] == [x.id for x in b] and [x.prob for x in a] == [x.prob for x in b]
    three = [W.DecodingSettings(0.0), W.DecodingSettings(0.7), W.DecodingSettings(1.5)]
    batch = list(D.decode(lm, ids, three, 3, 6, weights=engines.FAST))
    for r, setting in enumerate(three):
        alone = [row[0].id for row in D.decode(lm, ids, [setting], 3, 6, weights=engines.FAST)]
        assert [row[r].id for row in batch if row[r] is not None] == alone[: len(batch)]


def test_4bit_step_probabilities_are_the_warped_engine_logits(lm):
    ids = prompts.encode(lm.tokenizer, PROMPT, False)
    s = W.DecodingSettings(0.8, 40, 0.9, 0.05)
    logits = D.next_logits(lm, ids, engines.FAST)
    step = next(D.decode(lm, ids, [s], 1, 1, weights=engines.FAST))[0]
    probs = torch.softmax(W.warp(logits[None], s), dim=-1)[0]
    assert step.prob == pytest.approx(float(probs[step.id]), abs=1e-6)
    # the 4-bit and 32-bit logits are kept apart
    assert not torch.equal(logits, D.next_logits(lm, ids, engines.EXACT))


def test_engine_is_built_once_and_its_memory_is_reported(hub, lm):
    engine = FL.engine_for(lm)
    assert FL.engine_for(lm) is engine
    assert 80 < engine.weight_mb() < 200
    row = next(st for st in hub.status() if st.key == lm.key)
    assert FL.DERIVED_NAME in row.precision
    assert row.memory_mb == pytest.approx(lm.memory_mb + engine.weight_mb())


def test_4bit_falls_back_where_there_is_no_engine(lm):
    from dataclasses import replace

    from playground.models.device import Placement

    on_gpu = replace(lm, placement=Placement(device="cuda", dtype="bfloat16", quant="nf4"), extras={})
    assert engines.weights_choice(on_gpu, engines.FAST) == engines.EXACT
    assert "cuda" in engines.weights_note(on_gpu, engines.FAST)
    with pytest.raises(RuntimeError, match="No 4-bit engine"):
        FL.engine_for(on_gpu)
