"""The Sampling tab's speed: the streamed decode loop (with per-step alternatives) on the tab's
default 4-bit engine and on the exact 32-bit forward, against transformers' `generate` sampling the
same number of tokens; the 32-bit loop against a bare KV-cached forward pass (the fp32 floor); the
warm next-token distribution for a 256-token prompt; three temperatures in one batch against three
runs; and what the 4-bit engine costs in memory and in agreement with the 32-bit model."""

from __future__ import annotations

import statistics
import time

from playground.bench import Measurement, timed
from playground.lm import fast_llama
from playground.models import ModelHub

KEY = "smollm2-135m-instruct"
N_TOKENS = 32
PROMPT = "The best thing about rainy days is"


def measure(hub: ModelHub) -> list[Measurement]:
    import torch

    from playground.lessons.sampling import tab as S
    from playground.lessons.sampling import distribution as D
    from playground.lessons.sampling import warpers as W
    from playground.lm import engines, prompts
    from playground.lessons.sampling.views import chips_html

    lm = hub.get(KEY)
    model, tok = lm.model, lm.tokenizer
    ids = prompts.encode(tok, PROMPT, False)
    settings = W.DecodingSettings(temperature=1.0, top_p=0.95)
    counts: list[int] = []

    def stream(weights: str) -> float:
        # what the tab's stream does per token: draw, record the top alternatives, render chips
        start = time.perf_counter()
        steps = []
        for (step,) in D.decode(lm, ids, [settings], 0, N_TOKENS, weights=weights):
            steps.append(step)
        chips_html(PROMPT, steps)
        counts.append(len(steps))
        return (time.perf_counter() - start) / len(steps)

    build_start = time.perf_counter()
    engine = fast_llama.engine_for(lm)
    build_s = time.perf_counter() - build_start
    agree = engines.fast_agreement(lm).agreement

    enc = tok(PROMPT, return_tensors="pt")

    def reference_generate():
        with torch.inference_mode():
            model.generate(**enc, do_sample=True, temperature=1.0, top_p=0.95, max_new_tokens=N_TOKENS,
                           min_new_tokens=N_TOKENS, pad_token_id=tok.eos_token_id)

    def bare_forward_loop():
        # the floor: prefill, then one KV-cached forward per token and an argmax, nothing else
        with torch.inference_mode():
            out = model(torch.tensor([ids]), use_cache=True, logits_to_keep=1)
            cache, nxt = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
            for _ in range(N_TOKENS - 1):
                out = model(nxt, past_key_values=cache, use_cache=True)
                nxt = out.logits[:, -1].argmax(-1, keepdim=True)

    # This CPU is shared and its load swings within seconds: interleave them, take medians.
    gen_t, floor_t, fast_t, exact_t = [], [], [], []
    reference_generate(), bare_forward_loop(), stream(engines.FAST), stream(engines.EXACT)  # warm-up
    for _ in range(3):
        gen_t.append(timed(reference_generate, repeat=1) / N_TOKENS)
        floor_t.append(timed(bare_forward_loop, repeat=1) / N_TOKENS)
        fast_t.append(stream(engines.FAST))
        exact_t.append(stream(engines.EXACT))
    ref_s, floor_s, per_token, exact_token = (statistics.median(t) for t in (gen_t, floor_t, fast_t, exact_t))

    # a 256-token prompt: cold (one forward, kept), then warm (only the reshaping)
    long_prompt = " ".join(["Rain falls on the quiet town while people read by the window."] * 40)
    long_ids = tok(long_prompt)["input_ids"][:256]
    long_text = tok.decode(long_ids)
    assert len(prompts.encode(tok, long_text, False)) >= 250

    def bare_prefill():
        with torch.inference_mode():
            model(torch.tensor([long_ids]), use_cache=False, logits_to_keep=1)

    prefill_s = timed(bare_prefill, repeat=3, warmup=1)
    # the warm-up call runs the model once and keeps the logits; the timed calls only reshape them
    warm_s = timed(lambda: S.next_token_result(hub, long_text, 0.8, 40, 0.9, 0.05, False), repeat=5, warmup=1)

    # three temperatures: one batch of three rows against three single runs
    three = [W.DecodingSettings(0.0), W.DecodingSettings(0.7), W.DecodingSettings(1.5)]
    batched_s = timed(lambda: list(D.decode(lm, ids, three, 0, 16)), repeat=2, warmup=1)
    single_s = timed(lambda: [list(D.decode(lm, ids, [s], 0, 16)) for s in three], repeat=2, warmup=0)

    return [
        Measurement("sampling", f"streamed decode, 4-bit (the tab's default), per token ({N_TOKENS} tokens + "
                    "alternatives)", per_token, ref_s,
                    "model.generate(do_sample=True, top_p=0.95), fp32, per token",
                    target="ratio <= 0.5 (2x generate's tokens/s)",
                    note=f"{1 / per_token:.1f} tok/s vs {1 / ref_s:.1f} tok/s"),
        Measurement("sampling", "streamed decode, 32-bit (exact), per token", exact_token, ref_s,
                    "model.generate(do_sample=True, top_p=0.95), fp32, per token",
                    note=f"{1 / exact_token:.1f} tok/s"),
        Measurement("sampling", "streamed decode 32-bit vs the bare KV-cached forward", exact_token, floor_s,
                    "prefill + KV-cached forward + argmax per token (the fp32 floor)",
                    note=f"floor {floor_s * 1000:.0f} ms/token; the 4-bit stream is "
                         f"{floor_s / per_token:.2f}x faster than this floor"),
        Measurement("sampling", "4-bit engine: pack the weights (once per process)", build_s, lm.load_seconds,
                    "loading the model itself",
                    note=f"+{engine.weight_mb():.0f} MB beside the {lm.memory_mb:.0f} MB model; vs 32-bit on "
                         f"{agree.positions} tokens: top token same at {agree.top1_same}, "
                         f"max prob diff {agree.max_prob_diff:.3f}, mean KL {agree.kl_mean:.1e}"),
        Measurement("sampling", "warm next-token distribution, 256-token prompt", warm_s, prefill_s,
                    "one bare forward of the 256 tokens", target="under 150 ms"),
        Measurement("sampling", "compare 3 temperatures x 16 tokens, one batch", batched_s, single_s,
                    "the same three runs one after another"),
    ]
