"""The hub's measurements: first load of the GGUF model from its wheel against the cached load,
and the hub's cached load against a bare `from_pretrained` of the same folder."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from playground.bench import Measurement, timed
from playground.models import ModelHub
from playground.models.loaders import gguf_in_memory, save_converted
from playground.models.sources import wheel_path

KEY = "smollm2-135m-instruct"


def measure(hub: ModelHub) -> list[Measurement]:
    import torch
    from transformers import AutoModelForCausalLM

    spec = hub.spec(KEY)
    gguf = wheel_path(spec)
    if gguf is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(hub.settings, home=Path(tmp))
        start = time.perf_counter()
        model, tok = gguf_in_memory(gguf)
        save_converted(model, tok, gguf, Path(tmp) / "models" / KEY)
        first = time.perf_counter() - start
        del model, tok
        cache_dir = Path(tmp) / "models" / KEY

        def bare():
            AutoModelForCausalLM.from_pretrained(cache_dir, dtype=torch.float32, attn_implementation="eager")

        def ours():
            ModelHub(settings, check_hub=False).get(KEY)

        bare_s = timed(bare, repeat=3)
        ours_s = timed(ours, repeat=3)
    return [
        Measurement("hub", "first load: GGUF wheel -> converted cache", first, bare_s,
                    "bare from_pretrained of the cache", note="one-off, then cached"),
        Measurement("hub", "warm start: hub.get from converted cache", ours_s, bare_s,
                    "bare from_pretrained of the cache", target="about a second"),
    ]
