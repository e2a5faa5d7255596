"""An instance with tight operator limits, in a real browser: every page works and says which of the book's
settings the limits lower."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e_support import e2e_home, screenshot, start_server, stop, wait_idle

LIMITS = {"RNNLAB_MAX_EPOCHS": "10", "RNNLAB_MAX_SERIES": "5000", "RNNLAB_MAX_UNITS": "8"}
PAGES = ["", "lessons", "data", "train", "compare", "inspect", "board"]


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory):
    proc, base, log = start_server(e2e_home(tmp_path_factory, "e2e-limits"), LIMITS)
    yield base
    stop(proc)


def test_every_page_notes_the_lowered_defaults(limited_server, page):
    for path in PAGES:
        page.goto(f"{limited_server}/{path}")
        wait_idle(page)
        page.get_by_test_id("stHeading").first.wait_for()
        assert page.get_by_test_id("stException").count() == 0, path
        note = page.get_by_test_id("stAlertContentInfo").filter(has_text="This instance's limits lower")
        note.first.wait_for()
        assert note.count() == 1, path
        text = note.first.inner_text()
        assert "epochs: 20 is above this instance's limit of 10; using 10" in text, (path, text)
        assert "n_series: 10,000 is above this instance's limit of 5,000; using 5,000" in text, (path, text)
        if path == "train":
            assert "units: 20 is above this instance's limit of 8; using 8" in text
            epochs = page.get_by_role("spinbutton", name="Epochs")
            # awaited, not read once: a run of the suite read "1" while the page was still drawing the box
            expect(epochs).to_have_value("10")
            expect(epochs).to_have_attribute("max", "10")
            screenshot(page, "train-limits")
