"""Your upload survives a reload, in a real browser: upload a CSV, train on it, reload, and the result is still
shown; another browser with the link minus its key sees nothing of it (the not-shared message, the generated
series), and with the whole link sees the series and the result."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from e2e_support import screenshot, wait_idle

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from csv_cases import GOOD  # noqa: E402

UPLOAD = "[data-testid='stFileUploaderDropzoneInput']"
NOT_SHARED = re.compile("is a file someone uploaded to this server, and they have not shared it")
DONE = re.compile(r"Trained in [\d.]+ s|Stored result")


def without_key(url: str) -> str:
    """``url`` with its ``key=`` parameter taken out: the link as someone who knows only the series' id has it."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "key"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def share_link(page) -> str:
    """The link the page offers to copy (opening its expander when it is closed)."""
    code = page.get_by_test_id("stCode")
    if not code.count() or not code.first.is_visible():
        page.get_by_text("Copy a link to share").click()
    code.first.wait_for()
    return re.sub(r"\s+", "", code.first.inner_text())


def test_an_upload_trained_then_reloaded_and_opened_by_its_link_only(server, browser, page):
    base = server["base"]
    page.goto(f"{base}/data")
    wait_idle(page)
    page.get_by_test_id("stRadio").first.get_by_text("Your CSV").click()
    wait_idle(page)
    page.locator(UPLOAD).set_input_files(files=[{"name": "sales.csv", "mimeType": "text/csv",
                                                  "buffer": GOOD[1].blob}])
    wait_idle(page)
    page.get_by_text("60 daily values").first.wait_for()
    page.get_by_role("button", name="Use this series").click()
    page.mouse.move(1, 1)  # its tooltip would stay over the page in the screenshot
    wait_idle(page)
    page.get_by_text("Uploaded file sales.csv").first.wait_for()
    page.get_by_text(re.compile("Anyone with this link can open this series")).wait_for()
    assert re.search(r"[?&]data=upload-[0-9a-f]{20}(&|$)", page.url) and re.search(r"[?&]key=[\w-]{22}(&|$)", page.url)
    link = share_link(page)
    assert link.startswith(f"{base}/train?") and "key=" in link
    screenshot(page, "upload-share", at=page.get_by_test_id("stExpander").filter(has_text="Copy a link to share"))

    # Train a linear model on it: the page's own controls, as a student does.
    page.get_by_test_id("stSidebarNav").get_by_text("Train", exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="Linear model").click()
    wait_idle(page)
    page.get_by_role("heading", name=re.compile("Linear")).wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(DONE).wait_for(timeout=240_000)
    wait_idle(page)
    page.get_by_text("Validation MSE").first.wait_for()
    address = page.url
    assert "model=linear" in address and "key=" in address

    page.reload()  # a new session: everything the tab held in memory is gone
    wait_idle(page)
    page.get_by_text(DONE).wait_for(timeout=60_000)
    page.get_by_text("Validation MSE").first.wait_for()
    assert page.get_by_text(NOT_SHARED).count() == 0
    assert page.url == address
    link = share_link(page)
    assert "model=linear" in link and link.split("key=")[1][:22] in address
    screenshot(page, "upload-reloaded")

    stranger = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    stranger.set_default_timeout(60_000)
    stranger.goto(without_key(link))  # the series' id and every setting, not the key
    wait_idle(stranger)
    stranger.get_by_text(NOT_SHARED).wait_for()
    stranger.get_by_text("Not trained yet").wait_for()  # the generated series, never trained here
    assert "data=upload-" not in stranger.url and "key=" not in stranger.url
    assert stranger.get_by_text(DONE).count() == 0 and stranger.get_by_text("Validation MSE").count() == 0
    assert stranger.get_by_text("Copy a link to share").count() == 0
    screenshot(stranger, "upload-link-without-key")
    stranger.context.close()

    friend = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    friend.set_default_timeout(60_000)
    friend.goto(link)  # the whole link, on another device
    wait_idle(friend)
    friend.get_by_text(DONE).wait_for(timeout=60_000)
    friend.get_by_text("Validation MSE").first.wait_for()
    assert friend.get_by_text(NOT_SHARED).count() == 0
    assert "key=" in friend.url and "data=upload-" in friend.url
    friend.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    wait_idle(friend)
    friend.get_by_text("Uploaded file sales.csv").first.wait_for()
    friend.get_by_text(re.compile("Using sales.csv, uploaded earlier")).wait_for()
    assert friend.get_by_role("button", name="Make a new link").count() == 0  # only its maker replaces it
    friend.context.close()
