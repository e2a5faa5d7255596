"""The Data page's upload panel in AppTest: the steps it offers to average a file's values over."""

from __future__ import annotations

#: Ten years of monthly values.
MONTHLY = ("month,value\n" + "".join(f"{2000 + i // 12}-{i % 12 + 1:02d}-01,{i % 12 + i / 10:.1f}\n"
                                     for i in range(120))).encode()
#: Forty years of yearly values: no step is coarser.
YEARLY = ("year,value\n" + "".join(f"{1950 + i}-01-01,{i % 7 + i / 10:.1f}\n" for i in range(40))).encode()


def uploaded(app, name: str, blob: bytes):
    """The Data page with ``blob`` uploaded and "Average over a coarser step" chosen."""
    at = app("pages/data.py")
    at.radio(key="data_source").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value((name, blob, "text/csv")).run()
    at.radio(key="upload_irregular").set_value("resample").run()
    assert not at.exception
    return at


def test_the_coarser_step_box_offers_only_steps_coarser_than_the_files_own(app):
    at = uploaded(app, "monthly.csv", MONTHLY)
    box = at.selectbox(key="upload_resample")
    assert box.options == ["quarterly", "yearly"]
    box.set_value("QS").run()
    assert not at.error, [e.value for e in at.error]
    assert any(c.value.startswith("40 quarterly values") for c in at.caption)


def test_a_file_with_the_longest_step_is_offered_no_coarser_one(app):
    at = uploaded(app, "yearly.csv", YEARLY)
    assert "upload_resample" not in [box.key for box in at.selectbox]
    assert any("longest there is" in i.value for i in at.info)
