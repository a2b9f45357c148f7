"""Device and quantisation policy, as pure decisions (no GPU needed to check them)."""

from dataclasses import replace

import pytest

from playground.config import Settings
from playground.models.catalog import CATALOG
from playground.models import device
from playground.models.device import Placement, placement_for, quantization_config

LM = CATALOG["smollm2-135m-instruct"]
ENC = CATALOG["all-minilm-l6-v2"]


@pytest.fixture
def settings():
    return Settings.from_env()


def test_cpu_is_fp32(settings):
    s = replace(settings, device="cpu")
    assert placement_for(LM, s) == Placement("cpu", "float32", None)
    assert placement_for(ENC, s) == Placement("cpu", "float32", None)


@pytest.mark.parametrize("quant,expected", [("4bit", "nf4"), ("8bit", "int8"), ("bf16", None), ("none", None)])
def test_cuda_quantises_causal_lms_only(settings, monkeypatch, quant, expected):
    monkeypatch.setattr(device, "bitsandbytes_available", lambda: True)
    s = replace(settings, device="cuda", quant=quant)
    p = placement_for(LM, s)
    assert p.device == "cuda" and p.quant == expected
    assert p.dtype == ("float32" if quant == "none" else "bfloat16")
    assert placement_for(ENC, s) == Placement("cuda", "float32", None)


def test_without_bitsandbytes_cuda_falls_back_to_bf16(settings, monkeypatch):
    monkeypatch.setattr(device, "bitsandbytes_available", lambda: False)
    assert placement_for(LM, replace(settings, device="cuda", quant="4bit")) == Placement("cuda", "bfloat16", None)


def test_bitsandbytes_configs():
    nf4 = quantization_config(Placement("cuda", "bfloat16", "nf4"))
    assert nf4.load_in_4bit and nf4.bnb_4bit_quant_type == "nf4"
    assert quantization_config(Placement("cuda", "bfloat16", "int8")).load_in_8bit
    assert quantization_config(Placement("cpu", "float32", None)) is None


def test_bad_quant_setting_falls_back(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_QUANT", "3bit")
    assert Settings.from_env().quant == "4bit"
