"""Settings read from the environment (and an optional TOML file), in one place.

PLAYGROUND_HOME      where converted models and caches live (default ~/.cache/llm-playground)
PLAYGROUND_CONFIG    a TOML file with extra hub models (default $PLAYGROUND_HOME/config.toml)
PLAYGROUND_QUANT     causal-LM quantisation on CUDA: 4bit (default), 8bit, bf16, none
PLAYGROUND_DEVICE    force a device: cpu or cuda (default: cuda when present)
PLAYGROUND_CLIP_PATH a local folder (or file) holding open_clip ViT-B-32 weights

Extra models in the TOML file look like:

    [models.qwen-0-5b]
    kind = "causal-lm"
    hub_id = "Qwen/Qwen2.5-0.5B-Instruct"
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

QUANT_CHOICES = ("4bit", "8bit", "bf16", "none")


@dataclass(frozen=True)
class Settings:
    home: Path
    config_file: Path
    quant: str
    device: str | None

    @classmethod
    def from_env(cls) -> "Settings":
        home = Path(os.environ.get("PLAYGROUND_HOME") or Path.home() / ".cache" / "llm-playground")
        quant = os.environ.get("PLAYGROUND_QUANT", "4bit").lower()
        if quant not in QUANT_CHOICES:
            log.warning("PLAYGROUND_QUANT=%s is not one of %s; using 4bit", quant, QUANT_CHOICES)
            quant = "4bit"
        device = os.environ.get("PLAYGROUND_DEVICE") or None
        return cls(
            home=home.expanduser(),
            config_file=Path(os.environ.get("PLAYGROUND_CONFIG") or home / "config.toml").expanduser(),
            quant=quant,
            device=device,
        )

    def extra_models(self) -> list[dict]:
        """Rows from the config file's [models.*] tables; unreadable files are logged, not fatal."""
        if not self.config_file.is_file():
            return []
        try:
            data = tomllib.loads(self.config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            log.warning("ignoring %s: %s", self.config_file, exc)
            return []
        models = data.get("models", {})
        return [{"key": key, **row} for key, row in models.items() if isinstance(row, dict)]
