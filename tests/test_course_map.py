"""The course map: every lesson tab is on it, its links open their tab, a link is read from the page's own
request only, and a bad link gets a note while the app keeps serving."""

from __future__ import annotations

import pytest

from playground.lessons import LESSON_ORDER, lessons
from playground.ui import course_map

TITLES = {key: module.TITLE for key, module in lessons().items()}
KNOWN = {**TITLES, course_map.TAB_ID: "Course map", "models": "Models"}


def test_every_lesson_tab_is_on_the_map_and_every_link_is_a_tab():
    linked = {k for lesson in course_map.COURSE for k in lesson.tabs}
    assert linked <= set(LESSON_ORDER)
    assert set(LESSON_ORDER) <= linked, f"tabs no course lesson points to: {set(LESSON_ORDER) - linked}"
    text = course_map.course_markdown(TITLES)
    for key, title in TITLES.items():
        assert f"[{title}](?tab={key})" in text
    assert [lesson.number for lesson in course_map.COURSE] == list(range(1, len(course_map.COURSE) + 1))


@pytest.mark.parametrize("value,selected,noted", [
    (None, None, False), ("", None, False), ("sampling", "sampling", False), ("models", "models", False),
    ("nope", course_map.TAB_ID, True), ("<script>alert(1)</script>", course_map.TAB_ID, True),
    ("x" * 10_000, course_map.TAB_ID, True),
])
def test_a_link_selects_its_tab_or_explains(value, selected, noted):
    tab, note = course_map.tab_from_link(value, KNOWN)
    assert tab == selected and bool(note) == noted
    assert "<script>" not in note and len(note) < 400


def selected_tab(pg) -> str:
    return pg.locator("[role=tab][aria-selected=true]").first.inner_text().strip()


@pytest.mark.browser
def test_links_open_their_tab_for_that_page_only(browser, app_url):
    from conftest import PageWatch

    contexts = [browser.new_context(viewport={"width": 1280, "height": 720}) for _ in range(2)]
    try:
        watches = [PageWatch(c.new_page(), app_url) for c in contexts]
        for watch, key in zip(watches, ("curation", "topics")):  # two students, two links, at the same time
            watch.page.goto(f"{app_url}/?tab={key}", wait_until="load")
        for watch, key in zip(watches, ("curation", "topics")):
            watch.page.get_by_role("tab", name="Models").wait_for(timeout=30_000)
            watch.page.wait_for_function(
                "t => document.querySelector('[role=tab][aria-selected=true]')?.innerText.trim() === t",
                arg=TITLES[key], timeout=30_000)
        watches[0].page.reload(wait_until="load")  # the link stays in the URL: reloading reopens the same tab
        watches[0].page.wait_for_function(
            "t => document.querySelector('[role=tab][aria-selected=true]')?.innerText.trim() === t",
            arg=TITLES["curation"], timeout=30_000)
        watches[0].console_errors.clear()  # the old page's connection closing as it reloaded, not an error
        assert selected_tab(watches[1].page) == TITLES["topics"]
        for watch in watches:
            watch.assert_clean()
    finally:
        for c in contexts:
            c.close()


@pytest.mark.browser
def test_the_map_links_open_tabs_and_a_bad_link_gets_a_note(page, app_url):
    pg = page.open()
    assert selected_tab(pg) == "Course map"
    page.screenshot("course-map")
    page.assert_clean()

    def opened(key: str) -> None:
        pg.wait_for_function("t => document.querySelector('[role=tab][aria-selected=true]')?.innerText.trim() === t",
                             arg=TITLES[key], timeout=30_000)
        # leaving a page closes its connection to the server, which the old page logs as an aborted request:
        # that is the navigation, not an error of the page now open
        page.console_errors.clear()

    link = pg.get_by_role("link", name=TITLES["preference"]).first
    assert link.get_attribute("href") == "?tab=preference"  # the address to share
    pg.get_by_role("button", name=TITLES["preference"], exact=True).click()  # in this page
    opened("preference")
    pg.goto(f"{app_url}/?tab=%3Cb%3Enope%3C%2Fb%3E", wait_until="load")
    pg.get_by_text("which this app does not have").wait_for(timeout=30_000)
    assert selected_tab(pg) == "Course map" and pg.locator("b", has_text="nope").count() == 0  # shown as text
    page.console_errors.clear()
    pg.goto(f"{app_url}/?tab=tokens", wait_until="load")  # the app keeps serving
    opened("tokens")
    pg.wait_for_timeout(1000)
    page.assert_clean()
