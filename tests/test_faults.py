"""Faults: each is injected, and the app keeps serving the rest with a clear message."""

from dataclasses import replace

import gradio as gr
import pytest

from playground.models import ModelHub, ModelUnavailable
from playground.models.sources import Resolution
from playground.checks import UserInputError
from playground.ui.errors import friendly


def test_corrupt_converted_model_is_explained_and_others_still_load(tmp_path):
    settings = replace(ModelHub(check_hub=False).settings, home=tmp_path)
    d = tmp_path / "models" / "smollm2-135m-instruct"
    d.mkdir(parents=True)
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        (d / name).write_bytes(b"\x00garbage, not a model")
    hub = ModelHub(settings, check_hub=False)
    with pytest.raises(ModelUnavailable) as err:
        hub.get("smollm2-135m-instruct")
    assert "loading from converted cache failed" in str(err.value)
    assert hub.get("all-minilm-l6-v2").model is not None  # the other model is untouched


def test_missing_model_file_is_explained(monkeypatch):
    hub = ModelHub(check_hub=False)
    monkeypatch.setattr(hub, "resolve", lambda key: Resolution(False, "none", None, "the wheel was removed", "pip install it"))
    with pytest.raises(ModelUnavailable, match="the wheel was removed.*pip install it"):
        hub.get("smollm2-135m-instruct")


def test_unexpected_error_becomes_a_short_message_without_traceback():
    @friendly
    def tokenize_things(x):
        raise RuntimeError("internal detail /secret/path")

    with pytest.raises(gr.Error) as err:
        tokenize_things(1)
    msg = str(err.value)
    assert "Something went wrong in tokenize things" in msg
    assert "/secret/path" not in msg and "Traceback" not in msg


def test_user_errors_pass_through_friendly():
    @friendly
    def handler():
        raise UserInputError("Please enter some text.")

    with pytest.raises(gr.Error, match="Please enter some text."):
        handler()


def test_cuda_out_of_memory_is_freed_and_explained(monkeypatch):
    import torch

    freed = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: freed.append(True))

    @friendly
    def generate_text():
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    with pytest.raises(gr.Error, match="GPU ran out of memory"):
        generate_text()
    assert freed


def test_a_raising_handler_leaves_the_server_serving():
    """Through a real server: the failing call gets a clear message; the next call works."""
    from gradio_client import Client

    @friendly
    def explode(text: str) -> str:
        if text == "boom":
            raise ValueError("kaput")
        return text.upper()

    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        box.submit(explode, box, out, api_name="explode")
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, show_error=False)
    try:
        client = Client(url, verbose=False)
        with pytest.raises(Exception) as err:
            client.predict("boom", api_name="/explode")
        assert "Something went wrong in explode" in str(err.value)
        assert client.predict("fine", api_name="/explode") == "FINE"
    finally:
        demo.close()


def test_input_errors_log_one_line_and_real_faults_one_traceback(capfd, caplog):
    """The terminal a teacher watches: an ordinary input error is one line, a real fault keeps
    its traceback (once)."""
    import logging

    from gradio_client import Client

    @friendly
    def shout(text: str) -> str:
        if text == "":
            raise UserInputError("The text is empty.")
        if text == "boom":
            raise ValueError("kaput")
        return text.upper()

    with gr.Blocks() as demo:
        box, out = gr.Textbox(), gr.Textbox()
        box.submit(shout, box, out, api_name="shout")
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, show_error=False)
    try:
        client = Client(url, verbose=False)
        capfd.readouterr()
        with caplog.at_level(logging.INFO, logger="playground.ui.errors"):
            with pytest.raises(Exception, match="The text is empty"):
                client.predict("", api_name="/shout")
            printed = capfd.readouterr()
            assert "Traceback" not in printed.out + printed.err
            assert [r.getMessage() for r in caplog.records] == ["shout: The text is empty."]
            caplog.clear()
            with pytest.raises(Exception, match="Something went wrong in shout"):
                client.predict("boom", api_name="/shout")
            printed = capfd.readouterr()
            assert "Traceback" not in printed.out + printed.err  # Gradio prints none of its own
            assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None  # ours, with the traceback
    finally:
        demo.close()
