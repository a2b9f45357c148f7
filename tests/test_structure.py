"""The project's shape, as ARCHITECTURE.md promises it: one package per lesson, lessons that never
import each other, gradio only in the UI layer, one decode loop, and a public API that is the
documented one."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from playground.lessons import LESSON_ORDER, lessons, public_endpoints

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "playground"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("name", LESSON_ORDER)
def test_every_lesson_is_a_package_with_title_build_tab_and_endpoints(name):
    module = importlib.import_module(f"playground.lessons.{name}")
    assert hasattr(module, "__path__"), f"{name} must be a package, playground/lessons/{name}/"
    assert (PACKAGE / "lessons" / name / "tab.py").exists()
    assert isinstance(module.TITLE, str) and module.TITLE
    assert callable(module.build_tab)
    assert isinstance(module.ENDPOINTS, tuple)


def test_every_registered_lesson_is_a_package_on_disk():
    """A lab that is not ready may live on disk outside the registry; the app shows registered ones only."""
    on_disk = {p.parent.name for p in (PACKAGE / "lessons").glob("*/__init__.py")}
    assert set(LESSON_ORDER) <= on_disk
    assert list(lessons()) == list(LESSON_ORDER)


def test_no_lesson_imports_another():
    for name in LESSON_ORDER:
        for path in (PACKAGE / "lessons" / name).rglob("*.py"):
            for imported in _imports(path):
                m = re.match(r"playground\.lessons\.(\w+)", imported)
                assert m is None or m.group(1) == name, f"{path.relative_to(ROOT)} imports {imported}"


def test_gradio_is_imported_only_by_the_ui_layer_and_lesson_tabs():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        allowed = rel.parts[0] == "ui" or (rel.parts[0] == "lessons" and rel.name == "tab.py")
        if allowed:
            continue
        gradio = {i for i in _imports(path) if i == "gradio" or i.startswith("gradio.")}
        assert not gradio, f"playground/{rel} imports {sorted(gradio)}; only ui/ and lessons/*/tab.py may"


def test_only_playground_lm_runs_a_kv_cached_forward():
    """One decode loop: nothing outside playground/lm feeds a KV cache itself (benchmarks time the
    bare library loop on purpose, as the reference)."""
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("lm", "bench"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "past_key_values" not in text, f"playground/{rel} runs its own cached decoding; use playground.lm.decode"


def test_sampling_and_grounding_generate_through_the_same_loop(lm, monkeypatch):
    from playground.lessons.grounding import answer
    from playground.lessons.sampling import distribution, warpers
    from playground.lm import decode as lm_decode
    from playground.lm.prompts import encode

    calls = []
    real = lm_decode.decode

    def counting(*args, **kwargs):
        calls.append(True)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(lm_decode, "decode", counting)
    monkeypatch.setattr(answer, "decode", counting, raising=False)
    ids = encode(lm.tokenizer, "The sea is", False)
    list(distribution.decode(lm, ids, [warpers.DecodingSettings()], 0, 2))
    assert len(calls) == 1
    answer.generate(lm, ids, max_new_tokens=2)
    assert len(calls) == 2


def test_use_via_api_lists_the_documented_endpoints_only(client):
    info = client.view_api(return_format="dict", print_info=False)
    listed = {name.lstrip("/") for name in info["named_endpoints"]}
    from playground.ui import models_tab, poll_tab

    assert listed == set(public_endpoints()) | set(models_tab.ENDPOINTS) | set(poll_tab.ENDPOINTS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [name for name in listed if f"`{name}`" not in readme]
    assert not undocumented, f"public endpoints missing from the README: {undocumented}"
