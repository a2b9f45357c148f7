"""Property-based bad input against every JSON endpoint, through the launched app.

Arguments are drawn from each endpoint's own parameter types (read from the app's API
description): arbitrary unicode with control characters, lone surrogates, right-to-left text
and zero-width joiners; empty and huge strings; NaN, infinite, negative and out-of-range
numbers; malformed uploads. Every call must end in a result or a clear error message: never an
unhandled exception (Gradio's "has not enabled verbose error reporting"), never a traceback on
the page, and the server must keep answering.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.app

# The JSON endpoints the issues define; each lesson's tab adds its own.
JSON_ENDPOINTS = [
    "/tokenize", "/next_token", "/generate", "/attention", "/similarity", "/embed_map",
    "/neighbours", "/topics", "/clip_classify", "/ground",
]

NASTY = [
    "", " ", "\u0000", "\x1b[31mred", "\ud800", "a\udfffb", "\u202eevil\u202c", "👨\u200d👩\u200d👧",
    "\u200b\u200c\u200d", "مرحبا بالعالم", "x" * 300_000, "\n" * 5000, "1e309", "NaN",
]

texts = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=120),  # surrogates included
)
floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-1.0, 0.0, 1e308, -0.0]))
ints = st.one_of(st.integers(-(2**40), 2**40), st.sampled_from([-1, 0, 10**9]))


def _strategy(param: dict, tmp_path_factory):
    py = param["python_type"]["type"]
    if py == "str":
        return texts
    if py == "float":
        return floats
    if py == "int":
        return ints
    if py == "bool":
        return st.booleans()
    if py.startswith("Literal["):
        choices = re.findall(r"'((?:[^'\\]|\\.)*)'", py)
        return st.one_of(st.sampled_from(choices or ["x"]), texts)
    if "filepath" in py or "path" in str(param.get("type", "")):
        return st.sampled_from(_bad_files(tmp_path_factory))
    return st.one_of(texts, floats, ints, st.none())


_BAD_FILES: list = []
OUTCOMES: dict[str, list[str]] = {}  # what each call ended in (printed with -s for a look)


def _bad_files(tmp_path_factory):
    if not _BAD_FILES:
        from gradio_client import handle_file

        d = tmp_path_factory.mktemp("bad-uploads")
        samples = {
            "empty.csv": b"",
            "binary.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,  # a truncated "image"
            "latin1.txt": "caf\xe9\n".encode("latin-1") * 10,
            "notes.jsonl": b'{"text": "ok"}\n{not json\n',
            "script.py": b"import os; os.system('echo hi')\n",
        }
        for name, data in samples.items():
            (d / name).write_bytes(data)
            _BAD_FILES.append(handle_file(str(d / name)))
    return _BAD_FILES


def _endpoint_params(client, endpoint):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    if endpoint not in api:
        pytest.skip(f"{endpoint} is not in the app (its lesson has not landed)")
    return api[endpoint]["parameters"]


def _check_call(client, endpoint, args):
    job = client.submit(*args, api_name=endpoint)
    try:
        job.result(timeout=180)
        OUTCOMES.setdefault(endpoint, []).append("ok")
    except TimeoutError:
        pytest.fail(f"{endpoint}{tuple(str(a)[:40] for a in args)} did not answer within 180 s")
    except Exception as exc:  # an error is fine when it is a clear message
        message = str(exc)
        OUTCOMES.setdefault(endpoint, []).append(message[:80])
        assert "verbose error reporting" not in message, f"unhandled exception in {endpoint} for {args!r:.300}"
        assert "Traceback" not in message and 'File "' not in message, message
        assert len(message.strip()) >= 10, f"unclear message {message!r}"
    _, status = client.predict(api_name="/models_status")  # the server still answers
    assert status["models"]


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
def test_endpoint_survives_arbitrary_input(client, endpoint, tmp_path_factory):
    params = _endpoint_params(client, endpoint)
    arg_strategy = st.tuples(*[_strategy(p, tmp_path_factory) for p in params])

    @settings(max_examples=8, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(args=arg_strategy)
    def run(args):
        calls.append(args)
        _check_call(client, endpoint, args)

    calls: list = []
    run()
    assert len(calls) >= 8  # hypothesis really drew the examples
