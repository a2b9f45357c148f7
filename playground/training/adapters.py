"""Each session's LoRA adapters on disk: capped, and removed when the session ends.

An adapter is a folder in peft's own format (`adapter_config.json` + `adapter_model.safetensors`),
loadable with `PeftModel.from_pretrained(base, folder)`, plus a zip of it to download. A run writes
into a folder the store reserved for its session; `keep` registers it once the run has succeeded
(`discard` drops it otherwise). A session keeps its newest `per_session` runs; the store keeps at
most `max_sessions` sessions and `max_bytes` in all, dropping the least recently used session first;
`remove_session` deletes everything of one session (the tab calls it when the browser tab closes).
Folders are named by a hash of the session id, so no path tells one learner's session to another.

`adapted_logits` runs the hub's shared model as if a saved adapter were merged into it, without
touching it: the adapted weights W + scale·B·A are handed to `torch.func.functional_call` (they take
the adapted layers' size in memory while the function lives, then go).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import tempfile
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.once import process_wide

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


@dataclass(frozen=True)
class StoredAdapter:
    folder: Path  # peft's format: PeftModel.from_pretrained(base, folder)
    zip_path: Path  # the same files, zipped, for the download button
    nbytes: int  # the safetensors file


def lora_parameters(config: Any, rank: int, targets: tuple[str, ...]) -> int:
    """The trainable parameters of a LoRA adapter on a Llama-family model, before it is built: every
    adapted projection W (out × in) gains A (rank × in) and B (out × rank), in every layer."""
    hidden, inter = config.hidden_size, config.intermediate_size
    head_dim = getattr(config, "head_dim", None) or hidden // config.num_attention_heads
    q, kv = config.num_attention_heads * head_dim, config.num_key_value_heads * head_dim
    shapes = {"q_proj": (hidden, q), "k_proj": (hidden, kv), "v_proj": (hidden, kv), "o_proj": (q, hidden),
              "gate_proj": (hidden, inter), "up_proj": (hidden, inter), "down_proj": (inter, hidden)}
    return config.num_hidden_layers * sum(rank * (shapes[t][0] + shapes[t][1]) for t in targets)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def zip_adapter(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ADAPTER_FILES:
            zf.write(folder / name, arcname=f"{folder.name}/{name}")
    return zip_path


class AdapterStore:
    def __init__(self, root: Path | None = None, per_session: int = 2, max_sessions: int = 32,
                 max_bytes: int = 2_000_000_000):
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="playground-adapters-"))
        self.per_session, self.max_sessions, self.max_bytes = per_session, max_sessions, max_bytes
        self._runs: OrderedDict[str, list[Path]] = OrderedDict()  # session -> run folders, oldest first
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def _session_dir(self, session: str) -> Path:
        return self.root / hashlib.sha256(session.encode("utf-8")).hexdigest()[:20]

    def reserve(self, session: str) -> Path:
        """A fresh, empty folder for one run of this session."""
        folder = self._session_dir(session) / f"run-{next(self._ids)}"
        folder.mkdir(parents=True)
        return folder

    def keep(self, session: str, run: Path) -> None:
        """Register a finished run's folder, then enforce the caps."""
        with self._lock:
            runs = self._runs.setdefault(session, [])
            runs.append(run)
            self._runs.move_to_end(session)
            while len(runs) > self.per_session:
                shutil.rmtree(runs.pop(0), ignore_errors=True)
            while len(self._runs) > 1 and (len(self._runs) > self.max_sessions or self._bytes() > self.max_bytes):
                oldest, _ = self._runs.popitem(last=False)
                shutil.rmtree(self._session_dir(oldest), ignore_errors=True)

    def discard(self, run: Path) -> None:
        shutil.rmtree(run, ignore_errors=True)

    def adapter(self, run: Path, name: str = "adapter") -> StoredAdapter | None:
        """The adapter `name` written in a run folder, zipped on first ask; None if the run has none."""
        folder = run / name
        if not all((folder / f).is_file() for f in ADAPTER_FILES):
            return None
        zip_path = run / f"{name}.zip"
        if not zip_path.is_file():
            zip_adapter(folder, zip_path)
        return StoredAdapter(folder, zip_path, (folder / "adapter_model.safetensors").stat().st_size)

    def runs(self, session: str) -> list[Path]:
        with self._lock:
            return list(self._runs.get(session, []))

    def sessions(self) -> list[str]:
        with self._lock:
            return list(self._runs)

    def remove_session(self, session: str) -> None:
        with self._lock:
            self._runs.pop(session, None)
        shutil.rmtree(self._session_dir(session), ignore_errors=True)

    def _bytes(self) -> int:
        return sum(_folder_bytes(run) for runs in self._runs.values() for run in runs if run.exists())


@process_wide
def default_store() -> AdapterStore:
    """The server's one store of the sessions' adapters (every training lab's), in a temporary folder
    made on first use, so the caps hold across labs."""
    return AdapterStore()


def adapted_weights(model: Any, folder: Path) -> dict[str, Any]:
    """W + scale·B·A for every layer a peft LoRA adapter (saved in `folder`) adapts, by parameter name."""
    from safetensors.torch import load_file

    config = json.loads((Path(folder) / "adapter_config.json").read_text(encoding="utf-8"))
    rank = config["r"]
    scale = config["lora_alpha"] / (rank ** 0.5 if config.get("use_rslora") else rank)
    tensors = load_file(str(Path(folder) / "adapter_model.safetensors"))
    params = dict(model.named_parameters())
    out = {}
    for key, a in tensors.items():
        if not key.endswith("lora_A.weight"):
            continue
        name = key.removeprefix("base_model.model.").removesuffix(".lora_A.weight") + ".weight"
        w = params[name]
        b = tensors[key.replace("lora_A", "lora_B")]
        out[name] = w.detach() + scale * (b.to(w) @ a.to(w))
    return out


def adapted_logits(model: Any, folder: Path):
    """A function ids -> logits of `model` with the adapter in `folder` merged, leaving `model` as it is.
    The adapted weights are read and built on the first call and kept for the function's life (a
    scored pair calls it twice), so keep the function only as long as one request."""
    import torch

    weights: dict[str, Any] = {}

    def run(ids):
        with torch.no_grad():
            if not weights:
                weights.update(adapted_weights(model, folder))
            return torch.func.functional_call(model, weights, args=(), kwargs={"input_ids": ids.to(model.device)}).logits
    return run
