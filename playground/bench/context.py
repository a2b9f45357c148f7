"""The Context lesson's costs: the default needle grid through the lesson (its prompts built, one
forward per cell, the answer's probability read off) against the bare forwards it needs on the same
prompts; and the budget's count of the default request against the tokenizer's own
apply_chat_template on it."""

from __future__ import annotations

import json
import time

import torch

from playground.bench import Measurement, timed
from playground.models import ModelHub


def measure(hub: ModelHub) -> list[Measurement]:
    from playground.lessons.context import budget as B
    from playground.lessons.context import needle, tab

    lm = hub.get(tab.MODEL)
    tok = lm.tokenizer
    lengths, depths = needle.DEFAULT_LENGTHS, needle.DEFAULT_DEPTHS
    prompts = [needle.build_prompt(tok, n, d, 0) for n in lengths for d in depths]
    needle.cache.clear()
    began = time.perf_counter()
    needle.probe(lm.model, tok, lengths, depths, 0)
    ours = time.perf_counter() - began
    began = time.perf_counter()
    with torch.inference_mode():
        for prompt_ids, answer_ids, _ in prompts:  # the same forwards, nothing around them
            lm.model(input_ids=torch.tensor([prompt_ids + answer_ids]), logits_to_keep=len(answer_ids) + 1,
                     use_cache=False)
    bare = time.perf_counter() - began

    req = B.make_request(tab.SYSTEM, json.dumps(tab.HISTORY), tab.DOCUMENTS, tab.QUESTION)
    ours_count = timed(lambda: B.count(tok, req), repeat=20, warmup=2)
    bare_count = timed(lambda: tok.apply_chat_template(B.messages(req), add_generation_prompt=True, tokenize=True),
                       repeat=20, warmup=2)
    return [
        Measurement("context", f"needle grid {len(lengths)}x{len(depths)} (up to {max(lengths):,} tokens)", ours, bare,
                    "the bare forwards on the same prompts", target="ratio <= 1.2",
                    note=f"{len(prompts)} cells, one forward each"),
        Measurement("context", "budget of the default request (parts per token)", ours_count, bare_count,
                    "apply_chat_template(tokenize=True)", note="the count runs on every keystroke"),
    ]
