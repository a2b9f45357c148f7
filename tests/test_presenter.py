"""Presenter mode (`?present=1`) on a 1280×720 projector: in every tab nothing scrolls sideways, body text is at
least 20 px, and a lesson intro shows its idea with the "Notice" / "Try this" lists collapsed (a click opens
them); without `present=1` the page is the normal one. No console errors, no request leaves the machine."""

from __future__ import annotations

import gradio as gr
import pytest
from test_layout import TITLES

from playground.lessons import lessons
from playground.ui import presenter

pytestmark = pytest.mark.browser

LESSON_TITLES = {module.TITLE for module in lessons().values()}
SHOTS = ["Tokens", "Sampling", "Embeddings"]  # presenter-mode screenshots, to look at

# What a test reads off the page, about the tab now shown: the page's width, the visible text elements and their
# computed font size, and its lesson intro (if it has one).
MEASURE = """() => {
  const panel = [...document.querySelectorAll('[role="tabpanel"]')].find((p) => p.checkVisibility()) || document.body;
  const words = (e) => ((e.tagName === 'INPUT' || e.tagName === 'TEXTAREA') ? e.value : e.textContent).trim();
  const seen = (e) => e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const text = [...panel.querySelectorAll(
      'p, li, label, button, td, th, textarea, input[type="text"], input[type="number"], .token-chip, .tc-chip')]
    .filter((e) => seen(e) && words(e))
    .map((e) => ({ tag: e.tagName, text: words(e).slice(0, 40),
                   px: parseFloat(getComputedStyle(e).fontSize) }));
  const intro = panel.querySelector('.block.lesson-intro');
  const parts = intro ? [...intro.querySelector('.md').children] : [];
  return {
    presenter: document.documentElement.classList.contains('presenter'),
    exit: !!document.querySelector('.presenter-exit'),
    scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
    text,
    intro: intro && {
      idea: parts.length > 0 && seen(parts[0]), idea_px: parts.length && parseFloat(getComputedStyle(parts[0]).fontSize),
      lists: parts.filter((e) => e.tagName === 'UL' || e.tagName === 'OL').map(seen),
    },
  };
}"""

# Gradio's status tracker is shown (not .hide) while an event of the component it covers runs.
BUSY = """() => [...document.querySelectorAll('[data-testid="status-tracker"]')]
  .some((s) => !s.classList.contains('hide') && s.checkVisibility())"""


@pytest.fixture
def projector(browser, app_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1280, "height": 720})
    yield PageWatch(context.new_page(), app_url)
    context.close()


def goto(watch, query: str):
    watch.page.goto(watch.app_url + "/" + query, wait_until="load")
    watch.page.get_by_role("tab", name="Models").wait_for(timeout=30_000)
    watch.page.wait_for_timeout(500)
    watch.console_errors.clear()  # the old page's aborted connections, if any
    return watch.page


def open_tab(page, title: str, patience_s: float = 3) -> dict:
    """Open the tab and give the first view it computes up to `patience_s` to finish (the checks do not depend
    on it: on a busy machine the view may still be computing), then measure it."""
    tab = page.get_by_role("tab", name=title, exact=True)
    # a DOM click, not Playwright's: its actionability checks take minutes when the machine is busy computing
    tab.dispatch_event("click", timeout=60_000)
    tab.and_(page.locator('[aria-selected="true"]')).wait_for(timeout=60_000)
    page.wait_for_timeout(400)
    for _ in range(int(patience_s * 2)):
        if not page.evaluate(BUSY):
            break
        page.wait_for_timeout(500)
    page.wait_for_timeout(300)
    return page.evaluate(MEASURE)


def assert_presented(title: str, seen: dict) -> None:
    assert seen["presenter"], f"{title}: presenter mode is off"
    assert seen["scroll"] <= seen["inner"], f"{title}: scrolls sideways ({seen['scroll']} px > {seen['inner']} px)"
    assert seen["text"], f"{title}: no visible text found"
    small = [t for t in seen["text"] if t["px"] < presenter.MIN_BODY_PX]
    assert not small, f"{title}: body text under {presenter.MIN_BODY_PX} px: {small[:8]}"
    if title in LESSON_TITLES:
        intro = seen["intro"]
        assert intro, f"{title}: no lesson intro"
        assert intro["idea"], f"{title}: the lesson's idea is hidden"
        assert intro["lists"] and not any(intro["lists"]), f"{title}: Notice / Try this are not collapsed"


def test_presenter_mode_every_tab_fits_the_projector_and_reads_from_the_back(projector):
    page = goto(projector, "?present=1")
    leave = page.locator(".presenter-exit")
    assert leave.is_visible() and "present" not in (leave.get_attribute("href") or ""), "no visible way out"
    for title in TITLES:
        assert_presented(title, open_tab(page, title))
        if title == TITLES[1]:  # the first lesson: its collapsed intro opens on a click, and closes again
            intro = page.locator('[role="tabpanel"]:visible .block.lesson-intro').first
            intro.dispatch_event("click")
            lists = page.evaluate(MEASURE)["intro"]["lists"]
            assert lists and all(lists), "a click does not open Notice / Try this"
            intro.press("Enter")
            assert not any(page.evaluate(MEASURE)["intro"]["lists"]), "Enter does not close them again"
    for title in SHOTS:  # again, once their first views had time to be drawn: to look at
        assert_presented(title, open_tab(page, title, patience_s=90))
        projector.screenshot(f"presenter-{title.lower().replace(' ', '-')}")
    projector.assert_clean()


@pytest.mark.parametrize("query", ["", "?present=0"])
def test_without_present_1_the_page_is_the_normal_one(projector, query):
    page = goto(projector, query)
    normal_px = float(gr.themes.Default().text_md.removesuffix("px"))  # the theme's body size: 14 px
    title = TITLES[1]  # the first lesson
    seen = open_tab(page, title)
    assert not seen["presenter"] and not seen["exit"], f"{query or 'no query'}: presenter mode is on"
    assert seen["intro"]["idea_px"] == normal_px, f"{title}: the intro is {seen['intro']['idea_px']} px"
    assert seen["intro"]["lists"] and all(seen["intro"]["lists"]), f"{title}: the intro is not fully shown"
    projector.assert_clean()
