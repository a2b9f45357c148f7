"""The numbers behind the Attention lesson: run a model once, keep every layer's attention.

`compute(loaded, text)` tokenizes the text the way the model's own tokenizer does (so the
special tokens are the tokenizer's choice: MiniLM's BERT gets [CLS] … [SEP], SmolLM2's
tokenizer adds no BOS), cuts it to `MAX_TOKENS`, runs the model once with
`output_attentions=True` and keeps all layers as one float32 array (layers, heads, query, key).
A bounded LRU cache keeps recent texts, so moving the layer or head sliders never re-runs the
model. SmolLM2 uses grouped-query attention (3 key/value heads shared by 9 query heads); the
probabilities the model reports, and that we keep, are per query head.

`attentions_for(hub, text, model)` is the tab's compute step (checks, then the cache), and
`attention(...)` the `attention` API's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.lm.text import byte_decoder
from playground.lru import BoundedLRU
from playground.checks import UserInputError, check_int, check_text
from playground.models import Kind, LoadedModel, ModelHub

MAX_TOKENS = 256
MAX_CHARS = 4000
ATTENTION_KINDS = (Kind.CAUSAL_LM, Kind.SENTENCE_ENCODER)


@dataclass(frozen=True)
class Attentions:
    """All of one model's attention on one text. weights[l, h, i, j]: how much token i looks at j."""

    model_key: str
    tokens: list[str]  # one readable string per token (special tokens included)
    weights: np.ndarray  # (layers, heads, tokens, tokens), float32, rows sum to 1
    causal: bool  # True for a decoder: a token sees only itself and earlier tokens
    notice: str | None = None  # set when the text was cut

    @property
    def n_layers(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_heads(self) -> int:
        return int(self.weights.shape[1])

    def head(self, layer: int, head: int) -> np.ndarray:
        """One head's (tokens × tokens) map; head -1 is the mean over the layer's heads."""
        if head == -1:
            return self.weights[layer].mean(axis=0)
        return self.weights[layer, head]

    def as_json(self, layer: int, head: int) -> dict:
        """The `attention` API's JSON: weights[i][j] is how much token i attends to token j."""
        return {
            "tokens": self.tokens,
            "weights": self.head(layer, head).tolist(),
            "n_layers": self.n_layers,
            "n_heads": self.n_heads,
        }


def network(loaded: LoadedModel):
    """The transformer whose attention we read: the LM itself, or the BERT inside MiniLM."""
    if loaded.kind is Kind.SENTENCE_ENCODER:
        return loaded.model[0].auto_model
    if loaded.kind is Kind.CAUSAL_LM:
        return loaded.model
    raise ValueError(f"{loaded.key} is not a text transformer with attention weights")


def model_shape(loaded: LoadedModel) -> tuple[int, int]:
    """(layers, query heads), read from the model's config without running it."""
    config = network(loaded).config
    return int(config.num_hidden_layers), int(config.num_attention_heads)


def token_texts(tokenizer, ids: list[int]) -> list[str]:
    """Each token as text (byte-level 'Ġcat' becomes ' cat'; WordPiece keeps '##ing').

    A byte-level token holding only part of a character (a piece of an emoji) cannot be shown
    as text on its own; it is shown as its bytes in hex, e.g. '⟨f0 9f⟩', instead of '�'."""
    out = []
    for raw in tokenizer.convert_ids_to_tokens(ids):
        text = tokenizer.convert_tokens_to_string([raw])
        if "\ufffd" in text and raw and all(c in byte_decoder() for c in raw):
            text = "⟨" + " ".join(f"{byte_decoder()[c]:02x}" for c in raw) + "⟩"
        out.append(text)
    return out


def special_wrap(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a text ([CLS] / [SEP] for BERT,
    nothing for SmolLM2), found by tokenizing one word with and without them."""
    with_special = tokenizer("x")["input_ids"]
    bare = tokenizer("x", add_special_tokens=False)["input_ids"]
    for k in range(len(with_special) - len(bare) + 1):
        if with_special[k:k + len(bare)] == bare:
            return list(with_special[:k]), list(with_special[k + len(bare):])
    raise ValueError("cannot tell where this tokenizer puts its special tokens")


def wrap(tokenizer, body: list[int]) -> list[int]:
    prefix, suffix = special_wrap(tokenizer)
    return prefix + list(body) + suffix


def encode(tokenizer, text: str, max_tokens: int = MAX_TOKENS) -> tuple[list[int], str | None]:
    """Token ids with the tokenizer's own special tokens, cut to max_tokens in all."""
    body = tokenizer(text, add_special_tokens=False)["input_ids"]
    prefix, suffix = special_wrap(tokenizer)
    if not body and not prefix and not suffix:
        raise UserInputError("The text gives no tokens at all. Type some words, or click one of the examples.")
    room = max_tokens - len(prefix) - len(suffix)
    notice = None
    if len(body) > room:
        notice = (f"The text is {len(body):,} tokens long; only the first {room:,} were used "
                  f"(this lesson shows at most {max_tokens} tokens, special tokens included).")
        body = body[:room]
    return prefix + list(body) + suffix, notice


def forward_attentions(loaded: LoadedModel, ids: list[int]) -> np.ndarray:
    """One forward pass; every layer's attention probabilities as (layers, heads, T, T) float32."""
    import torch

    net = network(loaded)
    device = next(net.parameters()).device
    input_ids = torch.tensor([ids], device=device)
    kwargs = {"attention_mask": torch.ones_like(input_ids)}
    if loaded.kind is Kind.SENTENCE_ENCODER:
        kwargs["token_type_ids"] = torch.zeros_like(input_ids)
    with torch.inference_mode():
        out = net(input_ids=input_ids, output_attentions=True, **kwargs)
    if not out.attentions or out.attentions[0] is None:
        raise RuntimeError(f"{loaded.key} returned no attention weights (it needs eager attention)")
    return torch.stack([a[0] for a in out.attentions]).float().cpu().numpy()


def compute(loaded: LoadedModel, text: str) -> Attentions:
    ids, notice = encode(loaded.tokenizer, text)
    weights = forward_attentions(loaded, ids)
    return Attentions(loaded.key, token_texts(loaded.tokenizer, ids), weights,
                      causal=loaded.kind is Kind.CAUSAL_LM, notice=notice)


class AttentionCache:
    """Recent texts' attentions, least recently used dropped first, bounded in entries and bytes
    (256 tokens on SmolLM2 is 30×9×256×256 floats, about 71 MB)."""

    def __init__(self, max_entries: int = 16, max_bytes: int = 320_000_000):
        self._lru: BoundedLRU[Attentions] = BoundedLRU(max_entries, max_bytes=max_bytes, size_of=lambda a: a.weights.nbytes)

    @property
    def misses(self) -> int:
        """How often the model really ran (tests and the benchmark read it)."""
        return self._lru.computed

    def __len__(self) -> int:
        return len(self._lru)

    def get(self, loaded: LoadedModel, text: str) -> Attentions:
        return self._lru.get_or_compute((loaded.key, id(loaded.model), text), lambda: compute(loaded, text))

    def clear(self) -> None:
        self._lru.clear()


def head_summary(weights: np.ndarray) -> dict[str, np.ndarray]:
    """Per (layer, head) scores that point at the interesting heads.

    entropy: mean over query rows of -Σ p log2 p, in bits (low = looks at few tokens);
    first: mean weight on token 0, over queries 1..T-1 (an 'attention sink' scores high);
    previous: mean weight on token i-1, over queries 1..T-1 (a previous-token head scores high).
    With a single token the last two are undefined (NaN).
    """
    p = weights.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=-1).mean(axis=-1)
    t = weights.shape[-1]
    if t < 2:
        nan = np.full(weights.shape[:2], np.nan)
        return {"entropy": entropy, "first": nan, "previous": nan.copy()}
    rows = np.arange(1, t)
    first = p[:, :, rows, 0].mean(axis=-1)
    previous = p[:, :, rows, rows - 1].mean(axis=-1)
    return {"entropy": entropy, "first": first, "previous": previous}


# --- from the hub, with the learner's input checked -----------------------------------------------

CACHE = AttentionCache()


def attention_models(hub: ModelHub) -> list[str]:
    return [k for k in hub.keys() if hub.spec(k).kind in ATTENTION_KINDS]


def load_model(hub: ModelHub, model: object) -> LoadedModel:
    known = attention_models(hub)
    if not isinstance(model, str) or model not in known:
        raise UserInputError(f"Unknown model '{model}'. This lesson works with: {', '.join(known)}.")
    return hub.get(model)


def check_layer_head(key: str, n_layers: int, n_heads: int, layer: object, head: object) -> tuple[int, int]:
    try:
        layer = check_int(layer, low=0, high=n_layers - 1, what="Layer")
        head = check_int(head, low=-1, high=n_heads - 1, what="Head")
    except UserInputError as exc:
        raise UserInputError(
            f"{exc} {key} has {n_layers} layers (0 to {n_layers - 1}) and {n_heads} heads per layer "
            f"(0 to {n_heads - 1}, or -1 for the mean over heads)."
        ) from None
    return layer, head


def attentions_for(hub: ModelHub, text: object, model: object) -> tuple[Attentions, str]:
    """Everything the model attends to in this text (cached), and any notice about cutting."""
    loaded = load_model(hub, model)
    text, char_notice = check_text(text, max_chars=MAX_CHARS)
    att = CACHE.get(loaded, text)
    notice = " ".join(n for n in (char_notice, att.notice) if n)
    return att, notice


def attention(hub: ModelHub, text: object, model: object, layer: object, head: object) -> dict:
    """{"tokens", "weights", "n_layers", "n_heads"}: the model's own attention probabilities for
    that layer and head (-1 = mean). Layer and head are checked before the model runs."""
    loaded = load_model(hub, model)
    layer, head = check_layer_head(loaded.key, *model_shape(loaded), layer, head)
    att, _ = attentions_for(hub, text, model)
    return att.as_json(layer, head)
