"""The same model in fewer bits: fp32, bf16, bitsandbytes' LLM.int8 / NF4 / FP4, and the Q4_1 engine.

Each variant is measured on the learner's text against the 32-bit model: next-token KL divergence
(how far each position's distribution moved, in nats) and top-1 agreement (how often the most
likely token is still the same), its memory, how long it took to load, and its decode speed on a
same-seed sampled continuation.

Memory is kept in check: the hub's model is the fp32 variant (on a GPU, where the hub holds NF4,
that is the nf4 one), the Q4_1 engine is the one the Sampling tab already built from it, and the
other variants load from the same files into one extra slot, at most one at a time.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F

from playground.checks import UserInputError
from playground.lm import fast_llama
from playground.lm.decode import decode
from playground.lm.engines import ExactEngine
from playground.models import ModelHub
from playground.models.catalog import Kind
from playground.models.loaders import LoadedModel
from playground.once import process_wide

VARIANTS = ("fp32", "bf16", "int8", "nf4", "fp4", "q4_1")
ABOUT = {
    "fp32": "32-bit floats: the model as trained here, the reference",
    "bf16": "bfloat16: 16 bits, fp32's range with fewer digits",
    "int8": "bitsandbytes LLM.int8: 8-bit integers per row, outlier columns kept in 16 bits",
    "nf4": "bitsandbytes NF4: 4-bit 'normal float' levels per block of 64, as QLoRA stores a base",
    "fp4": "bitsandbytes FP4: a 4-bit float per weight, per block of 64",
    "q4_1": "Q4_1 (the GGUF file's format): 4-bit integers per group of 32 with a step and an offset",
}
NEW_TOKENS = 24


class _QuietInt8Cast(logging.Filter):
    """LLM.int8 on a CPU multiplies in float16 and logs so on every layer of every call."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "MatMul8bitLt: inputs will be cast" not in record.getMessage()


logging.getLogger("bitsandbytes.autograd._functions").addFilter(_QuietInt8Cast())
TEMPERATURE = 0.8


@dataclass
class Variant:
    name: str
    engine: Any  # what the shared decode loop runs
    logits: Callable[[list[int]], torch.Tensor]  # every position's logits [T, vocab], float32
    memory_mb: float
    load_seconds: float
    bits: float  # stored bits per weight in the blocks' linear layers, scales included
    shared: bool  # the hub's own copy (or one built from it): no extra memory
    model: Any = None  # the transformers model, where there is one


@dataclass
class Row:
    name: str
    bits: float = float("nan")
    memory_mb: float = float("nan")
    load_seconds: float = float("nan")
    kl: float = float("nan")
    top1_agreement: float = float("nan")
    tokens_per_s: float = float("nan")
    generation: str = ""
    shared: bool = False
    error: str | None = None

    def as_json(self) -> dict:
        def num(x: float) -> float | None:  # a variant that could not run has no numbers: null, not NaN
            return None if x != x else float(x)

        out = {"name": self.name, "bits": num(self.bits), "memory_mb": num(self.memory_mb), "kl": num(self.kl),
               "top1_agreement": num(self.top1_agreement), "tokens_per_s": num(self.tokens_per_s)}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Comparison:
    text: str
    positions: int
    rows: list[Row]
    resident: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"variants": [r.as_json() for r in self.rows]}


def kl_and_agreement(ref: torch.Tensor, got: torch.Tensor) -> tuple[float, float]:
    """Mean over positions of KL(p_ref || p_got) in nats, and the share of positions whose most likely
    token is the same. torch's kl_div(input, target) is KL(target || input) with input as log-probs."""
    p_log, q_log = F.log_softmax(ref.float(), -1), F.log_softmax(got.float(), -1)
    kl = F.kl_div(q_log, p_log, log_target=True, reduction="batchmean")
    return float(kl), float((ref.argmax(-1) == got.argmax(-1)).float().mean())


# --- bits per stored weight ----------------------------------------------------------------------------


def _tensor_bytes(t: Any) -> int:
    return t.numel() * t.element_size() if isinstance(t, torch.Tensor) else 0


def stored_bits(model: Any) -> float:
    """Bits per weight the blocks' linear layers really store: the weight tensor plus what
    dequantising it needs (bitsandbytes' per-block absmax or per-row scales), over the weight count."""
    bits = count = 0
    for name, m in model.named_modules():
        w = getattr(m, "weight", None)
        if ".layers." not in f".{name}." or w is None or not hasattr(m, "in_features"):
            continue
        n = m.in_features * m.out_features
        extra = _tensor_bytes(getattr(w, "SCB", None)) + _tensor_bytes(getattr(m, "SCB", None))
        state = getattr(w, "quant_state", None)
        if state is not None:
            extra += _tensor_bytes(getattr(state, "absmax", None))
        bits += 8 * (_tensor_bytes(w.data if hasattr(w, "data") else w) + extra)
        count += n
    return bits / count if count else float("nan")


def q4_1_bits(engine: fast_llama.FastLlama) -> float:
    packed = [w for layer in engine.layers for w in layer.values() if isinstance(w, fast_llama.Int4Weight)]
    weights = sum(w.out_features * w.packed.shape[1] * 2 for w in packed)
    return 8 * sum(w.nbytes for w in packed) / weights


# --- loading the variants --------------------------------------------------------------------------------


def _model_logits(model: Any) -> Callable[[list[int]], torch.Tensor]:
    def run(ids: list[int]) -> torch.Tensor:
        with torch.inference_mode():
            return model(torch.tensor([ids], device=model.device), use_cache=False).logits[0].float().cpu()
    return run


def _from_model(name: str, model: Any, load_seconds: float, shared: bool) -> Variant:
    return Variant(name, ExactEngine(_View(model)), _model_logits(model), model.get_memory_footprint() / 1e6,
                   load_seconds, stored_bits(model), shared, model)


@dataclass
class _View:  # what ExactEngine reads of a LoadedModel
    model: Any


def bitsandbytes_reason() -> str | None:
    from playground.models.device import bitsandbytes_available

    return None if bitsandbytes_available() else "bitsandbytes is not installed here (pip install bitsandbytes)"


def load_extra(hub: ModelHub, key: str, name: str) -> Variant:
    """A variant that is not the hub's copy, loaded from the hub's own files."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    from playground.training.base import base_source

    lm = hub.get(key)
    source = base_source(hub, key)
    device = lm.device
    began = time.perf_counter()
    if name in ("int8", "nf4", "fp4"):
        reason = bitsandbytes_reason()
        if reason:
            raise UserInputError(reason)
        if source.gguf:
            raise UserInputError("bitsandbytes quantises while loading safetensors, and only the GGUF file is here.")
        if name == "int8":
            qconf = BitsAndBytesConfig(load_in_8bit=True)
        else:
            compute = torch.bfloat16 if device == "cuda" else torch.float32
            qconf = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=name, bnb_4bit_compute_dtype=compute)
        kwargs: dict[str, Any] = {"quantization_config": qconf, "device_map": {"": device}}
    elif name in ("bf16", "fp32"):
        kwargs = {"dtype": torch.bfloat16 if name == "bf16" else torch.float32}
    else:
        raise UserInputError(f"Unknown variant {name!r}.")
    if source.gguf:  # no safetensors written: cast a copy of the hub's weights instead
        import copy

        model = copy.deepcopy(lm.model).to(kwargs["dtype"])
    else:
        rev = {"revision": source.revision} if source.revision else {}
        model = AutoModelForCausalLM.from_pretrained(source.target, attn_implementation="eager", **rev, **kwargs)
        if "device_map" not in kwargs:
            model = model.to(device)
    model.eval()
    return _from_model(name, model, time.perf_counter() - began, shared=False)


def hub_variant_name(lm: LoadedModel) -> str:
    """Which variant the hub's own copy is: fp32 on a CPU, the configured quantisation on a GPU."""
    p = lm.placement
    return p.quant if p.quant in ("nf4", "int8") else ("bf16" if p.dtype == "bfloat16" else "fp32")


class ExtraSlot:
    """Room for one variant besides the hub's model, process-wide: loading another frees the last."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # held while a variant is loaded or used
        self._held: tuple[str, str] | None = None
        self._variant: Variant | None = None

    def get(self, hub: ModelHub, key: str, name: str, loading: Callable[[str], None] | None = None) -> Variant:
        with self.lock:
            if self._held != (key, name):
                self.clear()
                if loading is not None:
                    loading(name)
                self._variant = load_extra(hub, key, name)
                self._held = (key, name)
            assert self._variant is not None
            return self._variant

    def clear(self) -> None:
        with self.lock:
            self._variant, self._held = None, None
            gc.collect()

    def resident(self) -> tuple[str, str, float] | None:
        """(model key, variant, MB) of what the slot holds, or None."""
        v = self._variant
        return None if v is None or self._held is None else (self._held[0], v.name, v.memory_mb)


@process_wide
def extra_slot() -> ExtraSlot:
    return ExtraSlot()


def variant(hub: ModelHub, key: str, name: str, loading: Callable[[str], None] | None = None) -> Variant:
    """The variant `name` of `key`, from the hub's copy where it is that variant, else the extra slot.
    Call it holding `extra_slot().lock` and use the variant before releasing it."""
    if name not in VARIANTS:
        raise UserInputError(f"Unknown variant {name!r}: pick from {', '.join(VARIANTS)}.")
    lm = hub.get(key)
    if name == hub_variant_name(lm):
        return _from_model(name, lm.model, lm.load_seconds, shared=True)
    if name == "q4_1":
        reason = fast_llama.unsupported_reason(lm)
        if reason:
            raise UserInputError(f"The Q4_1 engine does not run here: {reason}.")
        began = time.perf_counter()
        engine = fast_llama.engine_for(lm)  # the Sampling tab's, built once per process
        built = lm.extras.get(fast_llama.BUILD_SECONDS_KEY, time.perf_counter() - began)
        shared_mb = sum(_tensor_bytes(t) for t in (engine.embed, engine.final_norm,
                                                   *(l[k] for l in engine.layers for k in ("norm1", "norm2"))))
        return Variant(name, engine, engine.logits, engine.weight_mb() + shared_mb / 1e6, built, q4_1_bits(engine),
                       shared=True)
    return extra_slot().get(hub, key, name, loading)


# --- the comparison ---------------------------------------------------------------------------------------


@dataclass
class Drawn:
    id: int


def sampled_continuation(v: Variant, tokenizer: Any, ids: list[int], seed: int,
                         new_tokens: int = NEW_TOKENS) -> tuple[str, float]:
    """(text, tokens per second) of a seeded sampled continuation through the shared decode loop; the
    speed counts the decode steps after the prompt is read, every run the same length (no stops)."""
    g = torch.Generator().manual_seed(int(seed))
    chosen: list[int] = []
    marks: list[float] = []

    def pick(row, position, logits, seen):
        probs = torch.softmax(logits.float() / TEMPERATURE, -1)
        return Drawn(int(torch.multinomial(probs, 1, generator=g)))

    for (step,) in decode(v.engine, ids, pick, rows=1, max_new_tokens=new_tokens, stops=set(),
                          on_start=lambda _: marks.append(time.perf_counter())):
        chosen.append(step.id)
    elapsed = time.perf_counter() - marks[0]
    return tokenizer.decode(chosen, skip_special_tokens=True), (len(chosen) - 1) / elapsed if elapsed > 0 else 0.0


def check_variants(variants: Any) -> list[str]:
    if isinstance(variants, str):
        variants = [variants]
    names = [str(v).strip().lower() for v in (variants or [])]
    if not names:
        raise UserInputError(f"Pick at least one variant from {', '.join(VARIANTS)}.")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise UserInputError(f"Unknown variant {unknown[0]!r}: pick from {', '.join(VARIANTS)}.")
    return list(dict.fromkeys(names))


def compare(hub: ModelHub, key: str, text: str, variants: Any, seed: int = 0,
            on_variant: Callable[[int, int, str], None] | None = None) -> Comparison:
    """Every asked variant against fp32 on `text`. A variant that cannot run here (bitsandbytes missing,
    no int4 kernel) gets its reason in `error`; the others still run."""
    from playground.lessons.inside.lens import check_causal, encode_text

    names = check_variants(variants)
    lm = hub.get(key)
    check_causal(lm)
    ids = encode_text(lm, text)
    if len(ids) < 2:
        raise UserInputError("Give at least two tokens of text to compare predictions on.")
    rows: list[Row] = []
    with extra_slot().lock:
        ref = variant(hub, key, "fp32").logits(ids)
        for n, name in enumerate(names):
            if on_variant is not None:
                on_variant(n, len(names), name)
            try:
                v = variant(hub, key, name)
            except UserInputError as exc:
                rows.append(Row(name, error=str(exc)))
                continue
            kl, top1 = kl_and_agreement(ref, v.logits(ids))
            text_out, speed = sampled_continuation(v, lm.tokenizer, ids, seed)
            rows.append(Row(name, v.bits, v.memory_mb, v.load_seconds, kl, top1, speed, text_out, v.shared))
    return Comparison(text, len(ids), rows, resident(hub))


def resident(hub: ModelHub) -> list[str]:
    """What this lesson's variants hold in memory now, one line each."""
    out = []
    for lm in hub.loaded_models():
        if lm.kind is Kind.CAUSAL_LM:
            out.append(f"{lm.key} {hub_variant_name(lm)}: the hub's copy, {lm.memory_mb:,.0f} MB, shared by every tab")
            if fast_llama.ENGINE_KEY in lm.extras:
                out.append(f"{lm.key} q4_1: the 4-bit engine built from it, {lm.derived_mb.get(fast_llama.DERIVED_NAME, 0):,.0f} MB "
                           "(the Sampling tab's too)")
    held = extra_slot().resident()
    if held:
        out.append(f"{held[0]} {held[1]}: this tab's one extra copy, {held[2]:,.0f} MB (the next variant replaces it)")
    return out
