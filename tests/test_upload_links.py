"""An uploaded series opens by its link key, never by its id: the catalogue's check (the right key opens it, a
missing, wrong, cut-off or replaced key does not, each with its message; keys are random and kept only as hashes)
and the pages in AppTest (the uploader's address survives a reload with its stored result, the id alone opens
nothing, "Make a new link" stops the old one)."""

from __future__ import annotations

import re
import secrets

import pytest

from rnnlab.config import parse_flat, to_query
from rnnlab.errors import FieldError
from rnnlab.series import catalog, csvfile
from rnnlab.store.runstore import RunStore
from rnnlab.training import fit

from csv_cases import GOOD

WRONG = "does not open the series"
NOT_A_KEY = "is not a link key"
#: How a page begins to say what in its link it could not use (the Data page may warn of other things).
REFUSED = "could not be used"


@pytest.fixture
def upload(home) -> str:
    prepared, _, _ = csvfile.read_series(GOOD[0].blob, name="plain.csv")
    return catalog.save_upload(prepared, owner="session-alice", filename="plain.csv")


def refusal(data_id: str, key) -> str:
    with pytest.raises(FieldError) as caught:
        catalog.check_link(data_id, key)
    assert caught.value.field == "key"
    return str(caught.value)


def test_the_key_made_for_an_upload_opens_it_and_nothing_else_does(upload):
    key = catalog.new_link(upload)
    assert catalog.LINK_KEY.fullmatch(key)
    assert catalog.check_link(upload, key) == upload
    assert catalog.NOT_SHARED in refusal(upload, None) and "key=" in refusal(upload, None)
    assert catalog.NOT_SHARED in refusal(upload, "")
    assert WRONG in refusal(upload, secrets.token_urlsafe(16))  # well formed, but not this series' key
    assert WRONG in refusal(upload, key[::-1]) and WRONG in refusal(upload, key.swapcase())
    assert NOT_A_KEY in refusal(upload, key[:-1])  # cut off
    assert NOT_A_KEY in refusal(upload, "../../meta.json" + "x" * 7)  # not a path into the store either
    assert NOT_A_KEY in refusal(upload, ["a", "b"])
    long = refusal(upload, "z" * 500)
    assert NOT_A_KEY in long and len(long) < 400  # a hostile value is not echoed in full


def test_a_key_opens_only_the_series_it_was_made_for(upload):
    prepared, _, _ = csvfile.read_series(GOOD[1].blob, name="sales.csv")
    other = catalog.save_upload(prepared, owner="session-bob", filename="sales.csv")
    assert WRONG in refusal(other, catalog.new_link(upload))


def test_generated_and_bundled_series_need_no_key():
    assert catalog.check_link(catalog.GENERATED, None) == catalog.GENERATED
    name = catalog.bundled_names()[0]
    assert catalog.check_link(name, None) == name


def test_keys_are_random_not_derived_from_the_id_and_not_readable_from_the_store(upload, home):
    keys = {catalog.new_link(upload) for _ in range(5)}
    assert len(keys) == 5  # each upload of the same data gets its own: nothing computes one from the id
    assert all(catalog.check_link(upload, k) == upload for k in keys)
    stored = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())
    names = " ".join(str(p) for p in home.rglob("*"))
    assert not any(k.encode() in stored or k in names for k in keys)  # only their hashes are kept


def test_a_dropped_key_stops_opening_it_and_the_others_keep_working(upload):
    first, second = catalog.new_link(upload), catalog.new_link(upload)
    catalog.drop_link(upload, first)
    assert WRONG in refusal(upload, first)
    assert catalog.check_link(upload, second) == upload
    catalog.drop_link(upload, "not a key")  # nothing to drop, nothing raised


def test_no_key_is_made_for_a_series_this_server_lacks(home):
    with pytest.raises(FieldError, match="is not on this server"):
        catalog.new_link("upload-" + "0" * 20)
    with pytest.raises(FieldError, match="needs no link key"):
        catalog.new_link(catalog.GENERATED)


# The pages, in AppTest.


def upload_page(app):
    """The Data page of a session that uploaded a CSV file and pressed "Use this series"; its address's query."""
    at = app("pages/data.py")
    at.radio(key="data_source").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value(("sales.csv", GOOD[0].blob, "text/csv")).run()
    at.button(key="upload_use").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at, dict(at.query_params)


def opened(app, page: str, **query):
    """``page`` opened in a new session (a reload, another tab or device) with ``query`` in its address: the
    series it shows and the warnings it gives."""
    at = app(page, **query)
    assert not at.exception
    return at, at.session_state["_rnnlab_experiment"].series.data, " ".join(w.value for w in at.warning)


def test_the_uploaders_address_keeps_the_series_and_shows_its_link(app):
    owner, query = upload_page(app)
    data_id, key = query["data"], query["key"]
    assert catalog.is_upload(data_id) and catalog.LINK_KEY.fullmatch(key)
    link = owner.code[0].value  # the link to share: the Train page on this experiment, with its key
    assert link.startswith("/train?") and f"data={data_id}" in link and f"key={key}" in link
    assert any("Anyone with this link can open this series and every run trained on it" in c.value
               for c in owner.caption)
    assert owner.button(key="upload_new_link")

    again, data, warnings = opened(app, "pages/data.py", **query)  # a reload of the same address
    assert data == data_id and REFUSED not in warnings
    assert any(c.value.startswith("Using sales.csv, uploaded earlier") for c in again.caption)
    assert f"key={key}" in again.code[0].value and again.query_params["key"] == key
    assert "upload_new_link" not in [b.key for b in again.button]  # a link opens; only its maker replaces it


def test_the_id_alone_or_a_wrong_key_opens_nothing(app):
    _, query = upload_page(app)
    without = {k: v for k, v in query.items() if k != "key"}
    at, data, warnings = opened(app, "pages/train.py", **without)
    assert data == catalog.GENERATED and catalog.NOT_SHARED in warnings
    assert "the generated series was used instead" in warnings
    assert "key" not in at.query_params and not at.code  # no link to share either

    at, data, warnings = opened(app, "pages/train.py", **{**query, "key": secrets.token_urlsafe(16)})
    assert data == catalog.GENERATED and WRONG in warnings
    at, data, warnings = opened(app, "pages/train.py", **{**query, "key": query["key"][:10]})
    assert data == catalog.GENERATED and NOT_A_KEY in warnings


def test_a_reloaded_train_page_shows_the_stored_result_of_the_upload(app):
    _, query = upload_page(app)
    model = {k: v for k, v in to_query(parse_flat({**query, "model": "seasonal_naive"}).experiment).items()}
    at, data, _ = opened(app, "pages/train.py", **model, key=query["key"])
    experiment = at.session_state["_rnnlab_experiment"]
    assert data == query["data"] and experiment.model.name == "seasonal_naive"
    assert any("Not trained yet" in i.value for i in at.info)
    RunStore().put(fit.run(experiment))  # trained (it fits in this process: it reads the windows' past values)

    at, data, warnings = opened(app, "pages/train.py", **dict(at.query_params))  # reloaded
    assert data == query["data"] and REFUSED not in warnings
    assert any("Stored result" in s.value for s in at.success)
    assert {"Validation MSE", "Test MSE"} <= {m.label for m in at.metric}

    stranger, data, warnings = opened(app, "pages/train.py", **{k: v for k, v in at.query_params.items()
                                                                 if k != "key"})
    assert data == catalog.GENERATED and catalog.NOT_SHARED in warnings
    assert not stranger.success and "Validation MSE" not in {m.label for m in stranger.metric}


def test_making_a_new_link_stops_the_old_one(app):
    owner, query = upload_page(app)
    old = query["key"]
    friend, data, _ = opened(app, "pages/data.py", **query)  # a tab that had the link before it was replaced
    assert data == query["data"] and f"key={old}" in friend.code[0].value
    owner.button(key="upload_new_link").click().run()
    assert not owner.exception
    new = owner.query_params["key"]
    assert new != old and re.search(f"key={new}", owner.code[0].value)
    friend.run()
    assert not friend.code and any("has been replaced by a new one" in c.value for c in friend.caption)
    _, data, warnings = opened(app, "pages/data.py", **query)
    assert data == catalog.GENERATED and WRONG in warnings
    _, data, warnings = opened(app, "pages/data.py", **{**query, "key": new})
    assert data == query["data"] and REFUSED not in warnings


def _run_links(data_id: str, key: str) -> None:
    """(An AppTest script.) The link of a sweep's row to one of its runs on ``data_id``, in a tab holding ``key``."""
    import streamlit as st

    from rnnlab.config import parse_flat
    from rnnlab.dashboard import state, sweep_view

    state.hold_link(data_id, key)
    st.code(sweep_view.run_link(parse_flat({"model": "linear", "data": data_id}).experiment))


def test_a_sweeps_links_to_its_runs_carry_the_key(upload):
    from streamlit.testing.v1 import AppTest

    key = catalog.new_link(upload)
    at = AppTest.from_function(_run_links, args=(upload, key), default_timeout=30).run()
    assert not at.exception
    link = at.code[0].value  # it opens in a new tab, a session of its own: without the key it would open nothing
    assert link.startswith("train?") and f"data={upload}" in link and link.endswith(f"key={key}")
