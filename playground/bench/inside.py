"""Inside the model's costs: the logit lens on 64 tokens against one forward with
output_hidden_states=True (and against that forward plus the bare lm_head(norm(h)) on every hidden
state, which is the lens's own arithmetic), and each quantized variant's decode speed through the
shared loop against the bare `generate` of the same model."""

from __future__ import annotations

import time

import torch

from playground.bench import Measurement, timed
from playground.models import ModelHub

TEXT = ("The history of the bicycle begins in the early nineteenth century, when inventors in Germany and France "
        "built wooden machines that riders pushed along with their feet. Pedals came later, then chains, gears and "
        "air-filled tyres, and by the end of the century the bicycle had become cheap enough for many")


def measure(hub: ModelHub) -> list[Measurement]:
    from playground.lessons.inside import lens as L
    from playground.lessons.inside import quantize as Q
    from playground.lessons.inside import tab

    lm = hub.get(tab.MODEL)
    ids = lm.tokenizer(TEXT, add_special_tokens=False)["input_ids"][:64]
    text = lm.tokenizer.decode(ids)
    n = len(lm.tokenizer(text, add_special_tokens=False)["input_ids"])
    x = torch.tensor([ids])

    def forward():
        with torch.inference_mode():
            lm.model(x, output_hidden_states=True, use_cache=False)

    def forward_and_heads():
        with torch.inference_mode():
            out = lm.model(x, output_hidden_states=True, use_cache=False)
            for h in out.hidden_states[:-1]:
                torch.softmax(lm.model.lm_head(lm.model.model.norm(h)), -1)

    ours = timed(lambda: L.logit_lens(lm, text), repeat=5, warmup=1)
    out = [
        Measurement("inside", f"logit lens, {n} tokens x {lm.model.config.num_hidden_layers + 1} rows", ours,
                    timed(forward, repeat=5, warmup=1), "one forward with output_hidden_states=True",
                    target="ratio <= 1.2"),
        Measurement("inside", f"logit lens, {n} tokens (same)", ours, timed(forward_and_heads, repeat=5, warmup=1),
                    "that forward + lm_head(norm(h)) and softmax on every hidden state",
                    note="the lens's own arithmetic: 30 vocabulary projections more than one forward"),
    ]
    prompt = lm.tokenizer(TEXT[:120], add_special_tokens=False)["input_ids"]
    steps = Q.NEW_TOKENS
    with Q.extra_slot().lock:
        for name in Q.VARIANTS:
            try:
                v = Q.variant(hub, tab.MODEL, name)
            except Exception as exc:  # e.g. bitsandbytes missing: the row says so
                out.append(Measurement("inside", f"{name}: decode", float("nan"), float("nan"), "-", note=str(exc)))
                continue
            _, speed = Q.sampled_continuation(v, lm.tokenizer, prompt, seed=0)  # warm
            _, speed = Q.sampled_continuation(v, lm.tokenizer, prompt, seed=0)
            model = v.model if v.model is not None else lm.model
            began = time.perf_counter()
            with torch.inference_mode():
                model.generate(torch.tensor([prompt], device=model.device), max_new_tokens=steps, min_new_tokens=steps,
                               do_sample=False)
            bare = (time.perf_counter() - began) / steps
            ref = f"{'the fp32 model' if v.model is None else 'its own'} generate(), per token (prompt read included)"
            out.append(Measurement("inside", f"{name}: decode, s per token ({speed:.1f} tokens/s)", 1 / speed, bare,
                                   ref, note=f"{v.memory_mb:,.0f} MB, {v.bits:.2f} bits per block weight"))
    Q.extra_slot().clear()
    return out
