"""Browser: Debian's chromium through Playwright clicks every tab, with no JavaScript errors
and no request leaving the machine, and saves a screenshot of each."""

import pytest

from playground.lessons import lessons

pytestmark = pytest.mark.browser


def test_every_tab_opens_cleanly(page):
    pg = page.open()
    titles = [m.TITLE for m in lessons().values()] + ["Models"]
    for title in titles:
        tab = pg.get_by_role("tab", name=title, exact=True)
        tab.click()
        assert tab.get_attribute("aria-selected") == "true"
        pg.wait_for_timeout(300)
        page.screenshot(f"tab-{title.lower()}")
    page.assert_clean()
