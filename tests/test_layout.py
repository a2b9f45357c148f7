"""Every tab on a phone (390×844) and a projector (1280×720): reachable without a hidden menu,
and nothing on the page scrolls sideways."""

from __future__ import annotations

import pytest

from playground.lessons import lessons

pytestmark = pytest.mark.browser

TITLES = ["Course map"] + [module.TITLE for module in lessons().values()] + ["Class poll", "Models"]
VIEWPORTS = {"phone": (390, 844), "projector": (1280, 720)}


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(request, browser, app_url):
    from conftest import PageWatch

    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    watch = PageWatch(context.new_page(), app_url)
    watch.viewport = request.param
    yield watch
    context.close()


def test_every_tab_is_one_tap_away_and_nothing_scrolls_sideways(sized_page):
    page = sized_page.open()
    for title in TITLES:
        tab = page.get_by_role("tab", name=title, exact=True)
        assert tab.is_visible(), f"{sized_page.viewport}: the {title} tab is hidden (under a menu?)"
        tab.click()
        page.wait_for_timeout(400)
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner, f"{sized_page.viewport}: the {title} tab scrolls sideways ({width} px > {inner} px)"
        sized_page.screenshot(f"layout-{sized_page.viewport}-{title.lower()}")
    sized_page.assert_clean()
