"""The Tokens tab's measurements: our `tokenize` for 20,000 characters against the tokenizer's
own bare call on the same text, for each tokenizer family, and the chips drawn for that text.

Our path is what the `tokenize` endpoint runs: the input checks, the encode with offsets and
pieces, and the JSON payload. The reference is the bare call the issue names:
`tokenizer(text, add_special_tokens=False).input_ids` (Hugging Face) or `tokenizer.encode(text)`
(open_clip). Both run warm (CLIP's BPE cache filled by a first call).
"""

from __future__ import annotations

import statistics
import time

from playground.bench import Measurement, timed
from playground.lessons.tokens import analysis, views
from playground.models import ModelHub
from playground.viz.token_chips import render_chips

N_CHARS = 20_000

# Mixed prose, code, numbers and three scripts, so every family does real work.
_SAMPLE = (
    "A language model never sees words: it sees token ids. Tokenizers cut the same text differently, "
    "and that costs context, money and arithmetic. In 2024, 8,118,835,999 people; 3.14159 × 2 = 6.28318.\n"
    "def greet(name):\n    if name:\n        return f\"Hello, {name}!\"\n    return None\n"
    "Café, naïve, Zürich — don’t “quote” me. 语言模型把文字切成词元。 النماذج اللغوية تقسم النص. "
    "भाषा मॉडल पाठ को काटते हैं। Emoji: 🍕 👨‍👩‍👧‍👦 🇯🇵\n\n"
)
TEXT = (_SAMPLE * (N_CHARS // len(_SAMPLE) + 1))[:N_CHARS]


def _bare(tok, key: str):
    if key == "clip-vit-b-32":
        return lambda: tok.encode(TEXT)
    return lambda: tok(TEXT, add_special_tokens=False).input_ids


def interleaved(ours, bare, repeat: int = 15, warmup: int = 2) -> tuple[float, float]:
    """Median seconds of each, timed alternately so that load from other processes on this
    shared machine falls on both alike."""
    for _ in range(warmup):
        ours()
        bare()
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    for _ in range(repeat):
        for name, fn in (("bare", bare), ("ours", ours)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return statistics.median(times["ours"]), statistics.median(times["bare"])


def measure(hub: ModelHub) -> list[Measurement]:
    out = []
    for key in ("smollm2-135m-instruct", "all-minilm-l6-v2", "clip-vit-b-32"):
        try:
            tok = hub.tokenizer(key)
        except Exception as exc:  # a missing tokenizer must not hide the others
            print(f"  tokens: {key} skipped ({type(exc).__name__}: {exc})")
            continue
        bare = _bare(tok, key)

        def ours(key=key):
            result, _ = analysis.tokenize(hub, TEXT, key)
            return result.as_json()

        ours_s, bare_s = interleaved(ours, bare)
        n = len(ours()["ids"])
        out.append(
            Measurement(
                "tokens", f"tokenize 20k chars: {key}", ours_s, bare_s,
                "bare tokenizer call, same text", target="< 1.5x and < 50 ms", note=f"{n:,} tokens",
            )
        )
        if key == "smollm2-135m-instruct":
            result, _ = analysis.tokenize(hub, TEXT, key)

            def chips():
                render_chips(views.chips_for(result, views.MAX_CHIPS), total=result.n_tokens)

            out.append(
                Measurement(
                    "tokens", f"chips HTML, first {views.MAX_CHIPS:,} tokens", timed(chips, repeat=5, warmup=1),
                    bare_s, "bare tokenizer call, same text", note="drawn once per edit, after tokenize",
                )
            )
    return out
