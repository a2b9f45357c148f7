"""Every tab opens on a computed example, and links reopen a lesson: the tab, its inputs and its result, read from
the URL of the page's own request (never another page's), with bad values named in a note."""

from __future__ import annotations

import urllib.parse

import gradio as gr
import pytest

from playground.checks import UserInputError
from playground.lessons import lessons
from playground.ui.app import MAX_LINK
from playground.ui.links import MAX_TEXT, copy_link_js, link_note, read_link, value_from_link

TITLES = {key: module.TITLE for key, module in lessons().items()}

# something computed, inside the tab that is open: a plotly figure, token chips, the loss mask, a pair's chips,
# the Data lab's table of what each step removes
COMPUTED = ("() => [...document.querySelectorAll('[role=tabpanel]')].filter(p => p.offsetParent !== null)"
            ".some(p => p.querySelector('.js-plotly-plot .main-svg, .tc-chip, .ft-chips, .pf-chips, .token-chip, #data-summary td'))")


# --- values from a link, checked like input ----------------------------------------------------------------------


def test_values_from_a_link_are_checked_against_their_component():
    slider, number = gr.Slider(0, 2, step=0.05, value=1), gr.Number(0, precision=0, minimum=0, maximum=99)
    assert value_from_link(slider, "0.7", "T") == 0.7 and value_from_link(gr.Slider(1, 40, step=1), "12", "n") == 12
    assert value_from_link(number, "5", "Seed") == 5 and isinstance(value_from_link(number, "5", "Seed"), int)
    assert value_from_link(gr.Checkbox(), "true", "c") is True and value_from_link(gr.Checkbox(), "False", "c") is False
    radio = gr.Radio([("two", 2), ("three", 3)], value=2)
    assert value_from_link(radio, "3", "Dimensions") == 3
    group = gr.CheckboxGroup([128, 256, 512])
    assert value_from_link(group, "[128, 512]", "Lengths") == [128, 512]
    assert value_from_link(gr.Textbox(), "hello", "Text") == "hello"
    for component, raw in [(slider, "nan"), (slider, "inf"), (slider, "2.5"), (slider, "abc"), (number, "-1"),
                           (gr.Checkbox(), "yes"), (radio, "4"), (group, "[1024]"), (group, "128"),
                           (gr.Textbox(), "x" * (MAX_TEXT + 1)), (gr.Dropdown(["a", "b"]), "c")]:
        with pytest.raises(UserInputError):
            value_from_link(component, raw, "Value")


def test_read_link_keeps_the_good_values_and_names_the_bad_ones():
    inputs = {"prompt": gr.Textbox(), "temperature": gr.Slider(0, 2, step=0.05)}
    values, problems = read_link({"tab": "sampling", "prompt": "<b>hi</b>", "temperature": "9", "nope": "1"}, inputs)
    assert values == {"prompt": "<b>hi</b>"}  # a text stays as typed: the Textbox shows it as text
    assert len(problems) == 2 and any("nope" in p for p in problems)
    note = link_note(problems)
    assert "defaults" in note and "<b>" not in note
    assert link_note([]) == ""


def test_the_copy_link_script_names_every_input_and_the_tab():
    js = copy_link_js("sampling", ["prompt", "seed"])
    assert '"sampling"' in js and '["prompt", "seed"]' in js and str(MAX_TEXT) in js
    assert "history.replaceState" in js  # the address bar holds the link too


def test_every_lesson_hands_the_app_its_link_inputs_and_first_view(hub):
    """Each tab's LessonPage names only components a link can carry, and a first-view trigger."""
    from playground.ui.app import build_app

    demo = build_app(hub)  # builds every tab; the app reads each LessonPage
    names = {fn.api_name for fn in demo.fns.values()}
    for key in TITLES:
        assert f"{key}_copy_link" in names and f"{key}_opened" in names, key


# --- in the browser --------------------------------------------------------------------------------------------


def _wait_computed(pg, timeout: int = 240_000) -> None:
    pg.wait_for_function(COMPUTED, timeout=timeout)


@pytest.mark.browser
def test_every_tab_opens_on_a_computed_example(page, hub):
    """No click besides the tab's own: a figure (or chips) computed from the tab's default inputs."""
    pg = page.open()
    clip_ready = {s.key: s.available for s in hub.status()}.get("clip-vit-b-32", False)
    for key, title in TITLES.items():
        pg.get_by_role("tab", name=title, exact=True).click()
        if key == "clip" and not clip_ready:  # no weights here: the banner says how to get them, and nothing fails
            pg.locator("#clip-weights-status").wait_for(timeout=30_000)
            continue
        try:
            _wait_computed(pg)
        except Exception as exc:
            page.screenshot(f"first-view-missing-{key}")
            raise AssertionError(f"the {title} tab showed nothing computed: {exc}") from None
    page.screenshot("first-view-last-tab")
    page.assert_clean()


def _link_box(pg):
    return pg.locator(".share-row textarea, .share-row input").filter(visible=True).first


@pytest.mark.browser
def test_a_copied_link_reopens_the_tab_with_its_inputs_and_result(browser, app_url):
    from conftest import PageWatch

    first = browser.new_context(viewport={"width": 1280, "height": 900})
    second = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        a = PageWatch(first.new_page(), app_url)
        pg = a.open(TITLES["tokens"])
        _wait_computed(pg)
        text = pg.get_by_label("Text", exact=True)
        text.fill("Links reopen lessons: 12345 tokens?")
        pg.get_by_role("button", name="Tokenize").click()
        pg.get_by_text("Links reopen lessons").first.wait_for()
        pg.wait_for_function("() => document.body.innerText.includes('12345')")
        stats = pg.locator(".tc-chip").filter(visible=True)
        stats.first.wait_for()
        pg.wait_for_timeout(1500)
        chips_a = stats.all_inner_texts()
        pg.get_by_role("button", name="Copy link to this tab (with its inputs)").filter(visible=True).click()
        pg.wait_for_function("() => [...document.querySelectorAll('.share-row textarea, .share-row input')]"
                             ".some(e => e.value.includes('tab=tokens'))")
        link = [v for v in (e.input_value() for e in pg.locator(".share-row textarea, .share-row input").all()) if v][0]
        assert "tab=tokens" in link and "12345" in urllib.parse.unquote_plus(link)
        assert "tab=tokens" in pg.url  # the address bar holds it too

        b = PageWatch(second.new_page(), app_url)  # a fresh browser context: no cookie, no session in common
        pb = b.page
        pb.goto(link, wait_until="load")
        pb.get_by_role("tab", name="Models").wait_for(timeout=30_000)
        pb.wait_for_function("t => document.querySelector('[role=tab][aria-selected=true]')?.innerText.trim() === t",
                             arg=TITLES["tokens"], timeout=30_000)
        pb.wait_for_function("() => [...document.querySelectorAll('textarea')].some(e => e.value.startsWith('Links reopen'))",
                             timeout=30_000)
        pb.wait_for_function("n => document.querySelectorAll('.tc-chip').length >= n && "
                             "document.body.innerText.includes('12345')", arg=len(chips_a), timeout=60_000)
        pb.wait_for_timeout(1500)
        assert pb.locator(".tc-chip").filter(visible=True).all_inner_texts() == chips_a  # the same result
        b.screenshot("link-reopened-tokens")
        for watch in (a, b):
            watch.assert_clean()
    finally:
        first.close()
        second.close()


def _sampling_link(app_url: str, prompt: str, **settings) -> str:
    return f"{app_url}/?" + urllib.parse.urlencode({"tab": "sampling", "prompt": prompt, **settings})


def _prompt_value(pg) -> str:
    return pg.get_by_label("Prompt", exact=True).input_value()


@pytest.mark.browser
def test_two_pages_opening_different_links_never_see_each_others_state(browser, app_url):
    from conftest import PageWatch

    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    prompts = ["My favourite fruit is the", "The opposite of hot is"]
    try:
        watches = [PageWatch(c.new_page(), app_url) for c in contexts]
        for watch, prompt, t in zip(watches, prompts, ("0.5", "1.5")):  # at the same time
            watch.page.goto(_sampling_link(app_url, prompt, temperature=t, seed="7"), wait_until="load")
        for watch, prompt, t in zip(watches, prompts, ("0.5", "1.5")):
            pg = watch.page
            pg.wait_for_function("p => [...document.querySelectorAll('textarea')].some(e => e.value === p)",
                                 arg=prompt, timeout=60_000)
            pg.wait_for_function("p => document.querySelector('#sampling-text')?.innerText.includes(p)",
                                 arg=prompt, timeout=120_000)
            _wait_computed(pg)
            other = prompts[1 - prompts.index(prompt)]
            assert other not in pg.locator("#sampling-text").inner_text()
            assert other not in pg.locator("body").inner_text()
            temperature = pg.get_by_label("Temperature (0 = greedy)").first
            assert float(temperature.input_value()) == float(t)
        for watch in watches:
            watch.assert_clean()
    finally:
        for c in contexts:
            c.close()


@pytest.mark.browser
def test_a_bad_link_opens_the_tab_with_a_note_and_the_app_keeps_serving(page, app_url):
    pg = page.page
    bad = _sampling_link(app_url, "x" * (MAX_TEXT + 5), temperature="nan", top_k="many", bogus="<script>1</script>")
    pg.goto(bad, wait_until="load")
    pg.get_by_role("tab", name="Models").wait_for(timeout=30_000)
    note = pg.locator("#link-note")
    note.get_by_text("keep the tab's defaults").wait_for(timeout=30_000)
    text = note.inner_text()
    assert "Temperature" in text and "Top-k" in text and "bogus" in text and "2,000" in text
    assert pg.locator("#link-note script").count() == 0
    assert _prompt_value(pg) == "The best thing about rainy days is"  # the default, not the refused value
    _wait_computed(pg)  # and the tab still shows its first view
    page.screenshot("link-bad-values")
    huge = f"{app_url}/?tab=sampling&prompt=" + "y" * (MAX_LINK + 100)
    page.console_errors.clear()
    pg.goto(huge, wait_until="load")
    pg.get_by_role("tab", name="Models").wait_for(timeout=30_000)
    page.console_errors.clear()  # the old page's connection closing as it navigated
    pg.goto(_sampling_link(app_url, "The sky is"), wait_until="load")  # the app keeps serving
    pg.wait_for_function("() => document.querySelector('#sampling-text')?.innerText.includes('The sky is')",
                         timeout=120_000)
    page.console_errors.clear()
    pg.wait_for_timeout(500)
    page.assert_clean()
