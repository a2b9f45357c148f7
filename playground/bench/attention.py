"""Attention: server time for a 64-token text against the bare model forward with
`output_attentions=True` on the same ids, timed in the same run.

- first view: what "Show attention" does on the server with an empty cache: run the model
  once, keep every layer, build and serialise all five figures (target: under 1 s);
- changing head: the light path a slider takes (figures from the cache, no model run);
- API: the `attention` endpoint's function with an empty cache.
"""

from __future__ import annotations

from playground.bench import Measurement, timed
from playground.lessons.attention import weights
from playground.lessons.attention.figures import (
    head_figure,
    layer_figure,
    summary_figure,
    summary_pointers,
    token_figure,
)
from playground.lessons.attention.weights import encode, network
from playground.models import ModelHub

TOKENS = 64
WORDS = ("the cat that the dog chased ran up a tall tree and it stayed there until dusk "
         "while the dog barked at the bottom of the tree for an hour").split()


def text_of(tokenizer, n: int) -> str:
    """Plain words, as many as make exactly n tokens with the tokenizer's special tokens."""
    words = [WORDS[0]]
    while len(encode(tokenizer, " ".join(words))[0]) < n:
        words.append(WORDS[len(words) % len(WORDS)])
    return " ".join(words)


def measure(hub: ModelHub) -> list[Measurement]:
    import torch

    out = []
    for key in ("smollm2-135m-instruct", "all-minilm-l6-v2"):
        loaded = hub.get(key)
        text = text_of(loaded.tokenizer, TOKENS)
        ids, _ = encode(loaded.tokenizer, text)
        net = network(loaded)
        input_ids = torch.tensor([ids])

        def bare():
            with torch.inference_mode():
                net(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), output_attentions=True)

        def first_view():
            weights.CACHE.clear()
            att, _ = weights.attentions_for(hub, text, key)
            figs = [head_figure(att, 0, -1), layer_figure(att, 0), summary_figure(att),
                    token_figure(att, 0, -1, len(ids) - 1)]
            summary_pointers(att)
            for fig in figs:
                fig.to_json()  # Gradio serialises each figure before sending it

        def change_head():
            att, _ = weights.attentions_for(hub, text, key)
            for fig in (head_figure(att, 1, 2), token_figure(att, 1, 2, len(ids) - 1)):
                fig.to_json()

        def api():
            weights.CACHE.clear()
            weights.attention(hub, text, key, 1, 2)

        bare_s = timed(bare, repeat=5, warmup=1)
        first_s = timed(first_view, repeat=3, warmup=1)
        runs = weights.CACHE.misses
        head_s = timed(change_head, repeat=5)
        reran = weights.CACHE.misses - runs
        api_s = timed(api, repeat=3)
        ref = f"bare forward, output_attentions=True, {len(ids)} tokens"
        out += [
            Measurement("attention", f"{key}: first view, {len(ids)} tokens", first_s, bare_s, ref,
                        target="under 1 s", note="model once + all figures serialised"),
            Measurement("attention", f"{key}: change head (cached)", head_s, bare_s, ref,
                        note=f"model re-ran {reran} times"),
            Measurement("attention", f"{key}: /attention API, empty cache", api_s, bare_s, ref),
        ]
    return out
