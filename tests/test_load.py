"""A short classroom: a few simulated students walk the lessons at once (the full run is
`python -m playground loadtest --users 30 --minutes 10`). No request may fail, and every model
is loaded once however many students ask for it."""

import pytest

from playground.loadtest import run_load

pytestmark = pytest.mark.app


def test_a_few_students_at_once(app_url, hub):
    report = run_load(app_url + "/", users=4, seconds=40, think=(0.2, 1.0))
    print(report.table())
    assert report.n_failures == 0, report.table()
    assert report.requests >= 8
    assert not report.skipped, f"endpoints missing from the app: {report.skipped}"
    for key in ("smollm2-135m-instruct", "all-minilm-l6-v2"):
        assert hub.load_counts[key] <= 1, f"{key} loaded {hub.load_counts[key]} times"
