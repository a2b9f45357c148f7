"""The Grounding tab's measurements: our KV-cached decoding loop (which also records each token's
probability and entropy) against transformers' greedy `generate` for the same answer; hybrid
retrieval over the cached knowledge base against a bare SentenceTransformer encode of the
question; and one whole `ground` call (retrieve, two answers, support check) against the two
bare `generate` calls inside it."""

from __future__ import annotations

import torch

from playground.lm.prompts import chat_ids
from playground.bench import Measurement, timed
from playground.lessons.grounding import answer as ans
from playground.lessons.grounding import pipeline as pipe
from playground.lessons.grounding import retrieval as ret
from playground.models import ModelHub

QUESTION = "What is the capital of Quillmere?"


def measure(hub: ModelHub) -> list[Measurement]:
    lm = hub.get(pipe.LM_KEY)
    st = hub.get(pipe.ENCODER_KEY).model
    kb = ret.builtin_passages()
    n = pipe.MAX_NEW_TOKENS

    closed = chat_ids(lm.tokenizer, ans.closed_book_messages(QUESTION))
    hits = ret.retrieve(st, kb, QUESTION, 3)  # also warms the passage-embedding cache
    grounded = chat_ids(lm.tokenizer, ans.grounded_messages(QUESTION, [h.text for h in hits]))

    def ours(prompt):
        return lambda: ans.generate(lm, prompt, max_new_tokens=n, temperature=0.0)

    def bare(prompt):
        ids = torch.tensor([prompt])

        def run():
            with torch.no_grad():
                lm.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False)

        return run

    tokens = len(ours(closed)()[0].ids)
    ours_gen = timed(ours(closed), repeat=3, warmup=1)
    bare_gen = timed(bare(closed), repeat=3, warmup=1)

    ours_ret = timed(lambda: ret.retrieve(st, kb, QUESTION, 3, "hybrid"), repeat=5, warmup=1)
    bare_ret = timed(lambda: st.encode([QUESTION], normalize_embeddings=True, show_progress_bar=False), repeat=5, warmup=1)
    cold_kb = timed(lambda: st.encode(kb, normalize_embeddings=True, show_progress_bar=False), repeat=2)

    ours_ground = timed(lambda: pipe.ground(hub, QUESTION, 3, 0.0, 0, kb, "hybrid"), repeat=2)
    bare_two = timed(lambda: (bare(closed)(), bare(grounded)()), repeat=2)

    return [
        Measurement("grounding", f"greedy answer, our loop + token probs ({tokens} tok)", ours_gen, bare_gen,
                    "model.generate(do_sample=False), same answer"),
        Measurement("grounding", "hybrid retrieval, 50 cached passages", ours_ret, bare_ret,
                    "st.encode(question) alone", note=f"re-embedding the base cold: {cold_kb * 1000:.0f} ms"),
        Measurement("grounding", "ground(): retrieve, 2 answers, support check", ours_ground, bare_two,
                    "the two bare generate calls", note=f"answers sampled at T={pipe.ANSWER_TEMPERATURE}, up to {n} tokens"),
    ]
