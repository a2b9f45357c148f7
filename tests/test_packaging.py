"""requirements.txt (for Spaces) and pyproject.toml agree; the README quickstart is what CI runs."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_equal_pyproject_dependencies():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    norm = lambda s: re.sub(r"\s+", "", s).lower().replace("_", "-")  # noqa: E731
    assert sorted(map(norm, _requirements())) == sorted(map(norm, deps))


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/run-tests.sh" in readme and "bash scripts/run-app.sh" in readme
    assert "bash scripts/run-tests.sh" in ci


def test_spaces_front_matter():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    front = readme.split("---")[1]
    for key in ("sdk: gradio", "app_file: app.py", "python_version:", "suggested_hardware:", "models:"):
        assert key in front
