"""App-level: the launched app answers through gradio_client, with every lesson tab present."""

import pytest

from playground.lessons import LESSON_ORDER, lessons

pytestmark = pytest.mark.app


def test_every_lesson_has_a_title_and_builder():
    mods = lessons()
    assert list(mods) == list(LESSON_ORDER)
    for mod in mods.values():
        assert isinstance(mod.TITLE, str) and callable(mod.build_tab)


def test_models_status_endpoint(client):
    rows, data = client.predict(api_name="/models_status")
    keys = [m["key"] for m in data["models"]]
    assert keys[:3] == ["smollm2-135m-instruct", "all-minilm-l6-v2", "clip-vit-b-32"]
    assert data["cuda"] in (True, False)
    assert rows["headers"][0] == "model"


def test_page_is_served_without_loading_models(app_url):
    import urllib.request

    with urllib.request.urlopen(app_url, timeout=10) as resp:
        assert resp.status == 200
        assert "gradio" in resp.read().decode("utf-8", "replace").lower()
