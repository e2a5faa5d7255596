"""A student's path in a real browser: Data -> Train (live progress, then charts) -> Compare -> download."""

from __future__ import annotations

import re

from e2e_support import screenshot, wait_idle

TRAIN_QUERY = "model=gru&mode=seq2seq&horizon=5&n_series=2000&n_steps=30&epochs=6"


def nav(page, label: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
    wait_idle(page)


def test_student_path(server, page):
    base = server["base"]
    page.goto(f"{base}/data")
    wait_idle(page)
    page.get_by_role("heading", name="The data").wait_for()
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    assert page.get_by_text("Naive forecast MSE").count() == 1
    screenshot(page, "data")

    page.goto(f"{base}/train?{TRAIN_QUERY}")
    wait_idle(page)
    page.get_by_role("heading", name=re.compile("GRU")).wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    # Live progress: the progress bar's text counts epochs while the job runs.
    progress = page.get_by_test_id("stProgress")
    progress.first.wait_for(timeout=120_000)
    page.get_by_text(re.compile(r"Epoch \d+ of 6")).first.wait_for(timeout=120_000)
    page.get_by_text(re.compile(r"Trained in [\d.]+ s")).wait_for(timeout=240_000)
    wait_idle(page)
    charts = page.get_by_test_id("stPlotlyChart")
    assert charts.count() >= 3  # loss curves, forecast vs actual, MSE by horizon step
    page.get_by_text("Learning curves").first.wait_for()
    page.get_by_text("Validation MSE").first.wait_for()
    screenshot(page, "train")

    with page.expect_download() as info:
        page.get_by_role("button", name="Model (.keras)").click()
    path = info.value.path()
    blob = open(path, "rb").read()
    assert info.value.suggested_filename.endswith(".keras")
    assert len(blob) > 1000 and blob[:2] == b"PK"

    nav(page, "Compare")
    page.get_by_role("heading", name="Compare runs").wait_for()
    grid = page.get_by_test_id("stDataFrame")
    grid.wait_for()
    # The grid draws on a canvas; its accessible cells carry the text.
    grid.locator("td", has_text=re.compile(r"gru · seq2seq")).first.wait_for(state="attached")
    screenshot(page, "compare")
    page.get_by_test_id("stPlotlyChart").nth(3).wait_for()

    nav(page, "Inspect")
    page.get_by_role("heading", name="Inspect a model").wait_for()
    page.get_by_text("Hidden states over a validation series").wait_for()
    screenshot(page, "inspect")

    nav(page, "Home")
    page.get_by_role("heading", name="rnnlab").first.wait_for()
    screenshot(page, "home")


def test_narrow_window_keeps_pages_usable(server, browser):
    context = browser.new_context(viewport={"width": 420, "height": 900})
    page = context.new_page()
    page.goto(f"{server['base']}/data")
    wait_idle(page)
    page.get_by_role("heading", name="The data").wait_for()
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    # Nothing wider than the window: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_test_id("stMain").evaluate("e => e.scrollWidth <= e.clientWidth")
    screenshot(page, "data-narrow")
    context.close()


#: The running job's epoch (its progress bar's "Epoch n of 60", 0 before the first) and the points of the first
#: trace of its loss curve, read at one instant: ``[epoch, points]`` once both reach the given least values.
CURVE = """least => {
    const text = document.querySelector("[data-testid='stProgress']")?.innerText || "";
    const epoch = Number((text.match(/Epoch (\\d+) of 60/) || [0, 0])[1]);
    const trace = document.querySelector("[data-testid='stPlotlyChart'] .scatterlayer .trace");
    const points = trace ? trace.querySelectorAll("path.point").length : 0;
    return epoch >= least.epoch && points >= least.points ? [epoch, points] : null;
}"""


def curve_when(page, epoch: int = 0, points: int = 0) -> tuple[int, int]:
    """Wait until the live curve has reached at least ``epoch`` and shows at least ``points``; both, then."""
    found = page.wait_for_function(CURVE, arg={"epoch": epoch, "points": points}, timeout=120_000).json_value()
    return found[0], found[1]


def test_live_curve_grows_with_each_epoch_then_cancel(server, page):
    """The running job's loss curve gains a point per epoch (the page rebuilds it only when an epoch arrives),
    and Cancel stops the job."""
    page.goto(f"{server['base']}/train?model=lstm&mode=seq2seq&horizon=3&n_series=6000&n_steps=50&epochs=60")
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    start, _ = curve_when(page, epoch=1)
    now, shown = curve_when(page, points=start)  # the curve catches up with the epochs done...
    assert shown <= now + 1, (start, shown, now)  # ...a point per epoch, no more
    later, grown = curve_when(page, points=shown + 1)  # and grows while the job runs
    assert grown <= later + 1, (shown, grown, later)
    screenshot(page, "train-running")
    # the training is seed 42 of the page's repeats, but it is one training: no second progress bar or Cancel
    assert page.get_by_text(re.compile(r"Seeds: \d+ of \d+ done")).count() == 0
    assert page.get_by_role("button", name="Cancel the repeats").count() == 0
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.get_by_text("Training was cancelled").wait_for(timeout=30_000)
