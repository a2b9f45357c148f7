"""A compact forward pass for Llama-family models with 4-bit weights, for fast token-by-token decoding.

Why it exists: on a 2-core CPU, transformers' `generate` for SmolLM2-135M spends ~44 ms a token
reading fp32 weights and ~20 ms in per-layer Python and cache bookkeeping. This module runs the
same architecture with (a) each layer's linear weights packed as 4-bit groups of 32, read by
torch's own CPU int4 kernel, (b) the vocabulary projection in float16, and (c) a preallocated KV
cache and fused q/k/v and gate/up matrices, so a token costs about a third of `generate`'s time.

Why 4-bit is not a wild guess here: the playground's SmolLM2 ships as a GGUF whose linear weights
are Q4_1: every group of 32 weights is `step * q + min` with q in 0..15. Packing the dequantised
weights into 4-bit groups of 32 finds the same q; what moves is that the kernel keeps each group's
step and offset in bfloat16, and takes and returns bfloat16 activations. The residual stream,
norms, rotary embedding and attention stay in float32. `agreement` measures what all that costs
against the float32 model, so the app can show the number instead of promising one.

The same forward runs with the model's own float32 weights (`FastLlama(model, bits=32)`); the
tests check that against transformers' logits, which pins down the architecture and the cache.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

GROUP = 32  # weights per 4-bit group: Q4_1's block size


_KERNEL_OK: bool | None = None


def int4_supported() -> bool:
    """Whether this torch build has the CPU int4 kernel (added in torch 2.5) and it computes
    (q - 8) * scale + zero as the packing assumes: checked once on a small matrix, so another
    platform or a future torch that differs falls back to the exact path instead of wrong numbers."""
    global _KERNEL_OK
    if _KERNEL_OK is None:
        _KERNEL_OK = False
        if hasattr(torch, "_weight_int4pack_mm_for_cpu") and hasattr(torch, "_convert_weight_to_int4pack_for_cpu"):
            try:
                g = torch.Generator().manual_seed(0)
                q = torch.randint(0, 16, (64, 2, GROUP), generator=g)
                q[..., 0], q[..., 1] = 0, 15  # every group spans its range, as Q4_1's do
                w = ((q - 8) / 16 + 0.25).reshape(64, 2 * GROUP)  # 4-bit groups, exact in bf16
                x = torch.randint(-4, 5, (2, 2 * GROUP), generator=g) / 4
                got = FastLlama._mm(x, pack_int4(w)).float()
                _KERNEL_OK = bool(torch.allclose(got, x @ w.T, rtol=1e-2, atol=1e-2))
            except Exception:  # no kernel for this CPU or build
                _KERNEL_OK = False
    return _KERNEL_OK


@dataclass
class Int4Weight:
    """One linear layer's weight as torch's CPU int4 kernel wants it."""

    packed: torch.Tensor  # uint8 [N, K/2]
    scales_zeros: torch.Tensor  # bf16 [K/GROUP, N, 2]: w = (q - 8) * scale + zero
    out_features: int
    max_error: float  # largest |dequantised - original| over the layer

    @property
    def nbytes(self) -> int:
        return self.packed.numel() + self.scales_zeros.numel() * self.scales_zeros.element_size()


def pack_int4(weight: torch.Tensor, group: int = GROUP) -> Int4Weight:
    """Quantise a float [N, K] weight to 4 bits per value, asymmetric, per group of `group` inputs.

    Each group keeps its min and a step of (max - min) / 15, the Q4_1 recipe, so weights that were
    Q4_1 to begin with map back to their own q; other weights get ordinary round-to-nearest 4-bit
    quantisation. `max_error` says how far the dequantised weights are from the originals."""
    w = weight.detach().float()
    n, k = w.shape
    if k % group:
        raise ValueError(f"input size {k} is not a multiple of the group size {group}")
    g = w.reshape(n, k // group, group)
    lo, hi = g.amin(-1, keepdim=True), g.amax(-1, keepdim=True)
    step = (hi - lo) / 15
    q = torch.clamp(torch.round((g - lo) / torch.where(step > 0, step, torch.ones_like(step))), 0, 15)
    # the kernel computes (q - 8) * scale + zero, so zero = min + 8 * step, both in bf16
    scale, zero = step.to(torch.bfloat16).float(), (lo + 8 * step).to(torch.bfloat16).float()
    max_error = float(((q - 8) * scale + zero - g).abs().max())
    sz = torch.stack([scale.squeeze(-1).T, zero.squeeze(-1).T], dim=-1).to(torch.bfloat16).contiguous()
    packed = torch._convert_weight_to_int4pack_for_cpu(q.reshape(n, k).to(torch.int32), 1)
    return Int4Weight(packed, sz, n, max_error)


@dataclass
class DecodeState:
    """One run's KV cache: rows × kv-heads × capacity × head-dim per layer, and how much is filled."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]
    length: int = 0

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[2]


class FastLlama:
    """Llama forward with a preallocated KV cache. `start(ids, rows, capacity)` reads a prompt and
    `step(state, ids)` feeds one token per row; both return float32 logits [rows, vocab] for the
    last position. Built from a loaded transformers model, sharing its embedding and norm weights.
    The engine holds no per-run state, so several runs can use it at once."""

    def __init__(self, model, bits: int = 4):
        cfg = model.config
        if bits not in (4, 32):
            raise ValueError("bits must be 4 or 32")
        if bits == 4 and not int4_supported():
            raise RuntimeError(f"torch {torch.__version__} has no working CPU int4 kernel here")
        if cfg.model_type != "llama" or getattr(cfg, "attention_bias", False) or getattr(cfg, "mlp_bias", False):
            raise ValueError(f"FastLlama handles bias-free Llama models, not {cfg.model_type}")
        rope = getattr(cfg, "rope_parameters", None) or {}
        if rope.get("rope_type", "default") != "default":
            raise ValueError(f"FastLlama handles plain rotary embeddings, not {rope.get('rope_type')}")
        theta = rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))
        self.bits = bits
        self.n_heads, self.n_kv = cfg.num_attention_heads, cfg.num_key_value_heads
        self.head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self.eps = cfg.rms_norm_eps
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        inner = model.model
        self.embed = inner.embed_tokens.weight.detach()
        self.final_norm = inner.norm.weight.detach()
        self.layers: list[dict] = []
        self._own_bytes = 0
        for layer in inner.layers:
            a, m = layer.self_attn, layer.mlp
            mats = {
                "qkv": torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]).detach(),
                "o": a.o_proj.weight.detach(),
                "gate_up": torch.cat([m.gate_proj.weight, m.up_proj.weight]).detach(),
                "down": m.down_proj.weight.detach(),
            }
            if bits == 4:
                mats = {k: pack_int4(v) for k, v in mats.items()}
                self._own_bytes += sum(w.nbytes for w in mats.values())
            else:  # the fused matrices are copies; o and down are the model's own tensors
                self._own_bytes += sum(mats[k].numel() * 4 for k in ("qkv", "gate_up"))
            mats["norm1"] = layer.input_layernorm.weight.detach()
            mats["norm2"] = layer.post_attention_layernorm.weight.detach()
            self.layers.append(mats)
        head = model.lm_head.weight.detach()
        # float16 halves what the vocabulary projection reads and measured as close as float32
        self.head = head.to(torch.float16) if bits == 4 else head
        if bits == 4:
            self._own_bytes += self.head.numel() * self.head.element_size()

    def weight_mb(self) -> float:
        """Memory this engine adds beyond the model it was built from (its KV caches not counted)."""
        return self._own_bytes / 1e6

    # --- the forward pass ---------------------------------------------------------------------------

    @staticmethod
    def _mm(x: torch.Tensor, w) -> torch.Tensor:
        """x @ w.T; bf16 out of the int4 kernel (callers convert only where it matters), else float32."""
        if isinstance(w, Int4Weight):
            flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
            y = torch._weight_int4pack_mm_for_cpu(flat, w.packed, GROUP, w.scales_zeros)
            return y.view(*x.shape[:-1], w.out_features)
        return F.linear(x, w)

    def _rope(self, start: int, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin [t, 1, head_dim] for positions start..start+t-1, broadcast over heads."""
        freqs = torch.arange(start, start + t, dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)[:, None, :]
        return emb.cos(), emb.sin()

    @staticmethod
    def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = x.shape[-1] // 2
        return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin

    def _forward(self, state: DecodeState, ids: torch.Tensor, every: bool = False) -> torch.Tensor:
        """ids [B, T] at positions state.length.. onwards; fills the cache; the last position's logits
        [B, vocab], or every position's [B, T, vocab] with `every`."""
        b, t = ids.shape
        start, end = state.length, state.length + t
        if end > state.capacity:
            raise ValueError(f"the KV cache holds {state.capacity} tokens; {end} asked for")
        cos, sin = self._rope(start, t)
        nh, nkv, hd = self.n_heads, self.n_kv, self.head_dim
        x = F.embedding(ids, self.embed)
        for i, mats in enumerate(self.layers):
            h = F.rms_norm(x, (x.shape[-1],), mats["norm1"], self.eps)
            qkv = self._mm(h, mats["qkv"]).float().view(b, t, nh + 2 * nkv, hd)
            qk = self._rotate(qkv[:, :, : nh + nkv], cos, sin)  # queries and keys turn together
            state.keys[i][:, :, start:end] = qk[:, :, nh:].transpose(1, 2)
            state.values[i][:, :, start:end] = qkv[:, :, nh + nkv:].transpose(1, 2)
            # a fresh prompt attends causally; a single new token attends to everything before it
            att = F.scaled_dot_product_attention(
                qk[:, :, :nh].transpose(1, 2), state.keys[i][:, :, :end], state.values[i][:, :, :end],
                is_causal=t > 1, enable_gqa=True,
            )
            x = x + self._mm(att.transpose(1, 2).reshape(b, t, nh * hd), mats["o"])  # bf16 + f32 -> f32
            h = F.rms_norm(x, (x.shape[-1],), mats["norm2"], self.eps)
            gate, up = self._mm(h, mats["gate_up"]).chunk(2, dim=-1)
            x = x + self._mm(F.silu(gate) * up, mats["down"])
        state.length = end
        last = F.rms_norm(x if every else x[:, -1], (x.shape[-1],), self.final_norm, self.eps)
        return F.linear(last.to(self.head.dtype), self.head).float()

    def start(self, ids: list[int], rows: int = 1, capacity: int = 0) -> tuple[DecodeState, torch.Tensor]:
        """Read a prompt (the same for every row) into a new cache with room for `capacity` tokens
        in all. Returns the state and the logits [rows, vocab] for the next token."""
        if not ids:
            raise ValueError("no tokens to read")
        shape = (rows, self.n_kv, max(capacity, len(ids)), self.head_dim)
        state = DecodeState([torch.empty(shape) for _ in self.layers], [torch.empty(shape) for _ in self.layers])
        with torch.inference_mode():
            # the prompt is read once for one row, then copied: rows only differ after it
            logits = self._forward(_one_row(state), torch.tensor([ids], dtype=torch.long))
        for cache in (*state.keys, *state.values):
            cache[1:, :, : len(ids)] = cache[:1, :, : len(ids)]
        state.length = len(ids)
        return state, logits.expand(rows, -1)

    def logits(self, ids: list[int]) -> torch.Tensor:
        """Every position's next-token logits [T, vocab] for one text (what a quality check compares)."""
        if not ids:
            raise ValueError("no tokens to read")
        shape = (1, self.n_kv, len(ids), self.head_dim)
        state = DecodeState([torch.empty(shape) for _ in self.layers], [torch.empty(shape) for _ in self.layers])
        with torch.inference_mode():
            return self._forward(state, torch.tensor([ids], dtype=torch.long), every=True)[0]

    def step(self, state: DecodeState, ids: list[int]) -> torch.Tensor:
        """Feed one new token per row; returns the logits [rows, vocab] for the next one."""
        with torch.inference_mode():
            return self._forward(state, torch.tensor(ids, dtype=torch.long)[:, None])


def _one_row(state: DecodeState) -> DecodeState:
    """A view of the first row of a state's cache (writes land in the shared tensors)."""
    return DecodeState([k[:1] for k in state.keys], [v[:1] for v in state.values], state.length)


@dataclass
class Agreement:
    """How close an engine's next-token distributions are to the float32 model's, over one text."""

    positions: int
    top1_same: int  # positions where both rank the same token first
    kl_mean: float  # mean KL(float32 || engine), nats
    max_prob_diff: float  # largest |p32 - p| over all positions and tokens
    step_ms: float  # the engine's mean time per cached step while measuring

    def sentence(self) -> str:
        return (
            f"the most likely next token is the same at {self.top1_same} of {self.positions} positions, and no "
            f"probability moves by more than {self.max_prob_diff:.1%} (mean KL {self.kl_mean:.1e} nats)"
        )


def agreement(model, engine: FastLlama, ids: list[int]) -> Agreement:
    """Compare the engine, fed `ids` one token at a time, with the model's own float32 forward."""
    with torch.inference_mode():
        ref = model(torch.tensor([ids], device=model.device)).logits[0].float().cpu()
        state, first = engine.start(ids[:1], capacity=len(ids))
        began = time.perf_counter()
        out = [first[0]] + [engine.step(state, [i])[0] for i in ids[1:]]
        step_ms = (time.perf_counter() - began) * 1000 / max(len(ids) - 1, 1)
    got = torch.stack(out)
    p_log, q_log = torch.log_softmax(ref, -1), torch.log_softmax(got, -1)
    kl = (p_log.exp() * (p_log - q_log)).sum(-1)
    return Agreement(
        positions=len(ids),
        top1_same=int((ref.argmax(-1) == got.argmax(-1)).sum()),
        kl_mean=float(kl.mean()),
        max_prob_diff=float((p_log.exp() - q_log.exp()).abs().max()),
        step_ms=step_ms,
    )


# --- one engine per loaded model ---------------------------------------------------------------------

_build_lock = threading.Lock()
ENGINE_KEY = "fast_llama_int4"
BUILD_SECONDS_KEY = "fast_llama_int4_build_s"  # how long packing the weights took, for the learner
DERIVED_NAME = "int4 decode copy"


def unsupported_reason(lm) -> str | None:
    """Why a loaded model cannot get the 4-bit engine, or None when it can."""
    model = lm.model
    if lm.device != "cpu":
        return f"the model runs on {lm.device}, where its own forward is already fast"
    if getattr(getattr(model, "config", None), "model_type", None) != "llama":
        return "the 4-bit engine handles Llama-family models only"
    if next(model.parameters()).dtype != torch.float32:
        return "the model is not loaded in float32"
    if not int4_supported():
        return f"torch {torch.__version__} has no working CPU int4 kernel here"
    return None


def engine_for(lm) -> FastLlama:
    """The model's 4-bit engine, built on first use (about a second) and kept with the model."""
    with _build_lock:
        engine = lm.extras.get(ENGINE_KEY)
        if engine is None:
            reason = unsupported_reason(lm)
            if reason:
                raise RuntimeError(f"No 4-bit engine for {lm.key}: {reason}.")
            began = time.perf_counter()
            engine = FastLlama(lm.model, bits=4)
            lm.extras[BUILD_SECONDS_KEY] = time.perf_counter() - began
            lm.extras[ENGINE_KEY] = engine
            lm.derived_mb[DERIVED_NAME] = engine.weight_mb()
        return engine
