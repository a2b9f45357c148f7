"""Gradio serves only what it must: no file outside the app's temporary uploads, no URL fetching
or proxying, no source editing. Each path is asked for through every file route Gradio has."""

import http.client
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.app

FILE_ROUTES = [
    "/gradio_api/file={p}",
    "/file={p}",
    "/gradio_api/file/{p}",
    "/file/{p}",
    "/static/{rel}",
    "/assets/{rel}",
    "/gradio_api/static/{rel}",
    "/svelte/{rel}",
    "/gradio_api/run-history/records/x/y/assets/{relq}",
]


def _get(app_url: str, path: str) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(app_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", path)  # sent as is: no client-side normalisation of '..'
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def _secrets(hub) -> dict[str, bytes]:
    """Files that must never be served, with a snippet of their content."""
    out = {"/etc/passwd": b"root:"}
    src = ROOT / "playground" / "app.py"
    out[str(src)] = b"def build_app"
    model_cfg = Path(hub.settings.home) / "models" / "smollm2-135m-instruct" / "config.json"
    if model_cfg.exists():
        out[str(model_cfg)] = b"LlamaForCausalLM"
    return out


@pytest.mark.parametrize("route", FILE_ROUTES)
def test_files_outside_the_app_are_refused(app_url, hub, lm, route):
    for target, snippet in _secrets(hub).items():
        rel = "../" * 12 + target.lstrip("/")
        for variant in (target, urllib.parse.quote(target, safe=""), target.replace("/", "%2F")):
            path = route.format(p=variant, rel=rel.replace("../", "..%2F"), relq=urllib.parse.quote(rel, safe=""))
            status, body = _get(app_url, path)
            assert not (status == 200 and snippet in body), f"{path} served {target}"
        status, body = _get(app_url, route.format(p=target, rel=rel, relq=rel))
        assert not (status == 200 and snippet in body), f"{route} served {target}"


@pytest.mark.parametrize(
    "path",
    [
        "/gradio_api/file=https://example.com/x.png",
        "/gradio_api/file=http%3A//example.com/",
        "/file=//example.com/x",
        "/gradio_api/proxy=https://huggingface.co/spaces/x/y",
        "/gradio_api/vibe-code",
        "/gradio_api/dev/reload",
        "/gradio_api/monitoring",
    ],
)
def test_unneeded_routes_answer_403(app_url, path):
    status, _ = _get(app_url, path)
    assert status == 403


def test_share_is_off_by_default():
    from playground.__main__ import build_parser

    assert build_parser().parse_args(["serve"]).share is False
    assert build_parser().parse_args(["serve", "--share"]).share is True


def test_no_pickle_loading_in_source():
    for path in (ROOT / "playground").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "pickle.load" not in text and "torch.load(" not in text, path
        assert "serialization=\"pickle\"" not in text, path
