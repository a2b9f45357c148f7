"""The model hub: one object that owns every model the playground uses.

Each model is loaded once per process, lazily, under its own lock; every tab and every user
gets the same instance. `status()` says what is available, from where, and what is loaded,
without loading any weights. A missing model raises `ModelUnavailable` with the fix, which
the tab shows; nothing else is affected.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from playground.config import Settings
from playground.once import process_wide
from playground.models.catalog import CATALOG, Kind, ModelSpec, user_model_spec
from playground.models.device import placement_for
from playground.models.loaders import LOADERS, LoadedModel
from playground.models.sources import Resolution, converted_cache_dir, resolve

log = logging.getLogger(__name__)


class UnknownModel(KeyError):
    """A model key that is not in the catalog (nor in the user's config)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class ModelUnavailable(RuntimeError):
    """A model cannot be loaded here. `str()` is a sentence a learner can act on."""

    def __init__(self, key: str, reason: str, fix: str = ""):
        self.key, self.reason, self.fix = key, reason, fix
        message = f"The model '{key}' is not available: {reason}."
        if fix:
            message += f" To get it: {fix}."
        super().__init__(message)


@dataclass(frozen=True)
class ModelStatus:
    key: str
    kind: str
    available: bool
    source: str
    reason: str
    fix: str
    loaded: bool
    device: str
    precision: str
    memory_mb: float | None
    load_seconds: float | None

    def row(self) -> list:
        return [
            self.key,
            self.kind,
            "yes" if self.available else "no",
            self.source,
            "yes" if self.loaded else "no",
            self.device,
            self.precision,
            "" if self.memory_mb is None else f"{self.memory_mb:.0f}",
            self.reason if self.available else f"{self.reason}. Fix: {self.fix}",
        ]


STATUS_COLUMNS = ["model", "kind", "available", "source", "loaded", "device", "precision", "memory MB", "details"]


class ModelHub:
    def __init__(self, settings: Settings | None = None, check_hub: bool = True):
        self.settings = settings or Settings.from_env()
        self.check_hub = check_hub
        self.specs: dict[str, ModelSpec] = dict(CATALOG)
        for row in self.settings.extra_models():
            try:
                spec = user_model_spec(row["key"], row.get("kind", "causal-lm"), row["hub_id"], row.get("revision", "main"))
            except (KeyError, ValueError) as exc:
                log.warning("ignoring configured model %r: %s", row.get("key"), exc)
                continue
            if spec.key in self.specs:
                log.warning("configured model %r clashes with a built-in key; ignored", spec.key)
                continue
            self.specs[spec.key] = spec
        self._loaded: dict[str, LoadedModel] = {}
        self._tokenizers: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.load_counts: Counter[str] = Counter()  # how often each loader really ran (tests read it)

    # --- lookup -------------------------------------------------------------------------------

    def spec(self, key: str) -> ModelSpec:
        if key not in self.specs:
            known = ", ".join(self.specs)
            raise UnknownModel(f"Unknown model '{key}'. Known models: {known}.")
        return self.specs[key]

    def keys(self, kind: Kind | None = None) -> list[str]:
        return [k for k, s in self.specs.items() if kind is None or s.kind is kind]

    def resolve(self, key: str) -> Resolution:
        return resolve(self.spec(key), self.settings, check_hub=self.check_hub)

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    # --- loading ------------------------------------------------------------------------------

    def is_loaded(self, key: str) -> bool:
        return key in self._loaded

    def get(self, key: str) -> LoadedModel:
        """The one shared instance of a model, loading it on first use."""
        loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        spec = self.spec(key)
        with self._lock(key):
            loaded = self._loaded.get(key)  # another thread may have loaded it while we waited
            if loaded is not None:
                return loaded
            res = self.resolve(key)
            if not res.available:
                raise ModelUnavailable(key, res.reason, res.fix)
            placement = placement_for(spec, self.settings)
            log.info("loading %s from %s on %s", key, res.source, placement.describe())
            self.load_counts[key] += 1
            try:
                loaded = LOADERS[spec.kind](spec, res, placement, self.settings)
            except ModelUnavailable:
                raise
            except Exception as exc:
                log.exception("loading %s failed", key)
                raise ModelUnavailable(
                    key, f"loading from {res.source} failed ({type(exc).__name__}: {exc})", res.fix or ""
                ) from exc
            self._loaded[key] = loaded
            log.info("loaded %s in %.1f s (%.0f MB)", key, loaded.load_seconds, loaded.memory_mb)
            return loaded

    def tokenizer(self, key: str) -> Any:
        """Only the tokenizer, without the weights where that is possible (cheap for the Tokens tab).

        CLIP's BPE vocabulary ships inside open_clip, so it needs no weights at all.
        """
        if key in self._loaded:
            return self._loaded[key].tokenizer
        if key in self._tokenizers:
            return self._tokenizers[key]
        spec = self.spec(key)
        with self._lock(f"tokenizer:{key}"):
            if key in self._tokenizers:
                return self._tokenizers[key]
            tok = self._load_tokenizer(spec)
            self._tokenizers[key] = tok
            return tok

    def _load_tokenizer(self, spec: ModelSpec) -> Any:
        if spec.kind is Kind.CLIP:
            import open_clip

            return open_clip.get_tokenizer(spec.open_clip_arch or "ViT-B-32")
        from transformers import AutoTokenizer

        res = self.resolve(spec.key)
        if not res.available:
            raise ModelUnavailable(spec.key, res.reason, res.fix)
        if spec.kind is Kind.CAUSAL_LM and res.path is not None and res.path.suffix == ".gguf":
            # The GGUF tokenizer conversion alone takes seconds; the first full load writes
            # the converted cache, so load the model once and keep its tokenizer.
            return self.get(spec.key).tokenizer
        if res.path is not None:
            return AutoTokenizer.from_pretrained(str(res.path))
        return AutoTokenizer.from_pretrained(spec.hub_id, revision=spec.revision)

    def loaded_models(self) -> list[LoadedModel]:
        return list(self._loaded.values())

    # --- status -------------------------------------------------------------------------------

    def status(self) -> list[ModelStatus]:
        """What each model is and where it stands, without loading any weights."""
        out = []
        for key, spec in self.specs.items():
            loaded = self._loaded.get(key)
            res = self.resolve(key)
            placement = loaded.placement if loaded else placement_for(spec, self.settings)
            source = loaded.source if loaded else res.source
            reason = res.reason
            if res.path is not None and res.path.suffix == ".gguf":
                reason += f"; converted once to {converted_cache_dir(spec, self.settings)} on first use"
            out.append(
                ModelStatus(
                    key=key,
                    kind=spec.kind.value,
                    available=res.available or loaded is not None,
                    source=source,
                    reason=reason,
                    fix=res.fix,
                    loaded=loaded is not None,
                    device=placement.device,
                    precision=" + ".join([placement.quant or placement.dtype, *(loaded.derived_mb if loaded else [])]),
                    memory_mb=loaded.memory_mb + sum(loaded.derived_mb.values()) if loaded else None,
                    load_seconds=loaded.load_seconds if loaded else None,
                )
            )
        return out


@process_wide
def default_hub() -> ModelHub:
    """The process-wide hub the app uses."""
    return ModelHub()
