"""AppTest over every page: renders, widgets, links that restore an experiment, bad links, a real training."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.config import Experiment
from rnnlab.dashboard.state import to_query
from rnnlab.jobs import sweeps
from rnnlab.jobs.manager import get_manager, reset_manager
from rnnlab.store.runstore import RunStore
from rnnlab.training import fit

from helpers import ROOT, started, tiny

PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


def test_link_round_trip_for_every_model_and_mode():
    from rnnlab.config import parse_flat
    from rnnlab.models.registry import REGISTRY

    for name, entry in REGISTRY.items():
        for mode in entry.modes if not entry.real_only else ():
            for exp in (Experiment.book(name, mode), Experiment.book(name, mode).replace(epochs=3, noise=0.2)):
                query = to_query(exp)
                parsed = parse_flat(query)
                assert parsed.experiment == exp and not parsed.problems, (query, parsed.problems)
                assert all(isinstance(v, str) for v in query.values())


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    at = app(page)
    assert not at.exception, at.exception
    assert at.title and at.title[0].value


def test_home_shows_the_story_and_the_cluster(app):
    at = app()
    assert at.title[0].value == "rnnlab"
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Workers", "Jobs running", "Jobs queued", "Stored runs"]
    assert {m.label: m.value for m in at.metric}["Trainings started"] == "0"
    assert at.metric[0].value == "idle"  # no training yet: no worker started


def test_data_page_widgets_and_naive_baseline(app):
    at = app("pages/data.py")
    assert at.number_input(key="w_n_series").value == 10_000
    assert at.number_input(key="w_n_steps").value == 50
    assert at.number_input(key="w_noise").value == pytest.approx(0.1)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Training series"] == "7,000" and metrics["Test series"] == "1,000"
    assert metrics["Naive forecast MSE"] == "0.02021"
    at.number_input(key="w_n_series").set_value(1000).run()
    assert {m.label: m.value for m in at.metric}["Training series"] == "700"
    assert at.query_params["n_series"] == "1000"


def test_train_page_widgets(app):
    at = app("pages/train.py")
    assert at.selectbox(key="w_model").value == "deep_rnn_dense"
    assert at.radio(key="w_mode").value == "one_step"
    assert at.number_input(key="w_units").value == 20 and at.number_input(key="w_epochs").value == 20
    assert not at.button(key="train").disabled
    # Picking another model brings in its book settings.
    at.selectbox(key="w_model").set_value("simple_rnn").run()
    assert at.number_input(key="w_learning_rate").value == pytest.approx(0.005)
    assert at.query_params["model"] == "simple_rnn"


def test_link_restores_every_widget(app):
    at = app("pages/train.py", model="lstm", mode="seq2vec", horizon=5, units=8, layers=3, epochs=3,
             learning_rate=0.01, noise=0.2)
    assert not at.warning
    assert at.selectbox(key="w_model").value == "lstm"
    assert at.radio(key="w_mode").value == "seq2vec"
    assert at.number_input(key="w_horizon").value == 5
    assert at.number_input(key="w_units").value == 8 and at.number_input(key="w_layers").value == 3
    assert at.number_input(key="w_epochs").value == 3
    assert at.number_input(key="w_learning_rate").value == pytest.approx(0.01)
    data = app("pages/data.py", model="lstm", mode="seq2vec", horizon=5, noise=0.2)
    assert data.number_input(key="w_noise").value == pytest.approx(0.2)


@pytest.mark.parametrize("query, names", [
    ({"model": "lstm", "units": "-3", "epochs": "abc", "bogus": "1"}, ["units=-3", "epochs='abc'", "'bogus'"]),
    ({"model": "transformer"}, ["unknown model 'transformer'"]),
    ({"model": "linear", "mode": "one_step", "horizon": "10"}, ["needs horizon=1"]),
    ({"noise": "nan", "n_series": "1e12"}, ["noise=nan", "n_series=1000000000000"]),
])
def test_bad_link_warns_and_names_the_parameters(app, query, names):
    at = app("pages/train.py", **query)
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    for name in names:
        assert name in text, text
    assert "used instead" in text or "ignored" in text


def test_stored_result_is_shown_at_once(app):
    exp = tiny("linear")
    RunStore().put(fit.run(exp))
    at = app("pages/train.py", **to_query(exp))
    assert any("Stored result" in s.value for s in at.success)
    assert at.button(key="train").disabled
    # the generated series has no seasonal MASE: its scale-free figure is the MAE against the naive forecast's
    assert {m.label for m in at.metric} >= {"Validation MSE", "Test MSE", "MAE vs naive", "Parameters"}
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Model (.keras)", "Predictions (CSV)", "Run (JSON)", "Python script"]


def test_train_tiny_model_then_compare_lists_it(app, on_shared_cluster):
    # the linear model at helpers.tiny's size: the suite's commonest shape, compiled once in its JAX cache
    at = app("pages/train.py", model="linear", mode="one_step", n_series=200, n_steps=20, epochs=2, batch_size=20)
    at.button(key="train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.button(key="train").disabled  # no second click while the job runs
    [job] = get_manager().jobs()
    assert job.wait(240) and job.state == "done", job.error
    at.run()
    assert any("Trained in" in s.value for s in at.success)
    assert any(m.label == "Validation MSE" for m in at.metric)
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    board = at.dataframe[0].value
    assert list(board["model"]) == ["linear"] and list(board["mode"]) == ["one_step"]
    assert board["epochs"].iloc[0] == 2


def test_watching_a_running_job_is_not_asking_for_it(app, fake_manager):
    """Opening the page of someone else's running job shows it without making the viewer an owner: it uses no
    slot of the viewer's own limit, and the one who started it can still stop it. Train on it joins it. (The job
    stays on its worker: it runs from its "started" event until the last one who asked withdraws.)"""
    query = {"model": "gru", "mode": "seq2seq", "horizon": 3, "n_series": 1000, "n_steps": 40, "epochs": 200}
    starter = app("pages/train.py", **query)
    starter.button(key="train").click().run()
    job = get_manager().get(Experiment.from_flat({k: str(v) for k, v in query.items()}).key())
    assert job is not None and job.askers == 1 and job.asked_by(starter.session_state["_rnnlab_owner"])
    started(job)

    viewer = app("pages/train.py", **query)
    viewer_id = viewer.session_state["_rnnlab_owner"]
    for _ in range(3):  # however often the page redraws
        viewer.run()
    assert not job.asked_by(viewer_id) and job.askers == 1
    assert viewer.button(key="train").label == "Join this training" and not viewer.button(key="train").disabled
    assert "cancel" not in [b.key for b in viewer.button]  # nothing to withdraw
    assert "asked for by 1 person" in viewer.get("progress")[0].proto.text
    other = get_manager().submit(tiny("linear", train_seed=77), owner=viewer_id)  # the viewer's slot is free
    assert other.state == "queued" and get_manager().cancel(other.key, viewer_id)  # (one worker: it waits)

    viewer.button(key="train").click().run()  # Train on a running job joins it
    assert job.asked_by(viewer_id) and job.askers == 2 and viewer.button(key="train").disabled
    starter.button(key="cancel").click().run()  # the starter withdraws; the viewer still waits
    assert job.askers == 1 and not job.finished
    viewer.button(key="cancel").click().run()  # the last one who asked withdraws: the training stops
    assert job.state == "cancelled" and any("Training was cancelled" in i.value for i in viewer.info)


def test_data_page_shows_a_bundled_series_with_its_provenance(app):
    at = app("pages/data.py", data="sunspots", model="gru")
    assert not at.exception, at.exception
    assert at.radio(key="data_source").value == "bundled" and at.selectbox(key="w_data").value == "sunspots"
    assert at.subheader[0].value.startswith("Monthly mean sunspot numbers")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Values"] == "3,126" and metrics["Step"] == "monthly"
    # two of its 132-month cycles of input (264 steps) and the GRU's 10 steps ahead in its 2,188 training values
    assert float(metrics["Seasonal naive MSE"]) > 0
    assert int(metrics["Training windows"].replace(",", "")) == 2188 - 264 - 10 + 1
    assert any("What it teaches." in m.value for m in at.markdown)
    assert any("Licence: Public domain" in c.value for c in at.caption)
    assert at.number_input(key="w_season").value == 132 and at.number_input(key="w_valid_fraction").value == 0.15
    at.radio(key="data_source").set_value("generated").run()  # back to the book's series and its defaults
    assert not at.exception and at.query_params.get("data") is None
    assert {m.label: m.value for m in at.metric}["Training series"] == "7,000"


def test_a_link_to_someone_elses_upload_opens_only_with_its_key(app):
    from rnnlab.series import catalog, csvfile

    prepared, _, _ = csvfile.read_series(b"date,value\n" + b"".join(f"2020-01-{d:02d},{d % 4}\n".encode()
                                                                    for d in range(1, 31)), name="mine.csv")
    data_id = catalog.save_upload(prepared, owner="session-someone-else", filename="mine.csv")
    at = app("pages/train.py", data=data_id, model="linear")
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "is a file someone uploaded to this server, and they have not shared it" in text
    assert at.session_state["_rnnlab_experiment"].series.data == "generated"
    shared = app("pages/train.py", data=data_id, model="linear", key=catalog.new_link(data_id))
    assert shared.session_state["_rnnlab_experiment"].series.data == data_id and not shared.warning


def test_a_job_that_has_not_finished_its_first_epoch_says_it_is_compiling(app, fake_manager):
    exp = tiny("gru", "seq2seq", 3)
    running = fake_manager.submit(exp, owner="someone")
    started(running)  # a worker took it; no epoch has come back yet
    at = app("pages/train.py", **to_query(exp))
    assert "Compiling the model and running the first epoch" in at.get("progress")[0].proto.text
    running.record_epoch({"epoch": 1, "loss": 1.0, "val_loss": 1.0, "seconds": 2.0})
    at.run()
    assert at.get("progress")[0].proto.text.startswith("Epoch 1 of 1")


def test_train_page_says_how_long_a_training_should_take_and_refuses_one_over_the_budget(app, monkeypatch):
    at = app("pages/train.py", model="lstm")
    estimate = [c.value for c in at.caption if c.value.startswith("Estimated training time: **about")]
    assert estimate and "per epoch" in estimate[0] and "shipped two-core figures" in estimate[0]
    assert not at.button(key="train").disabled and not at.warning
    repeats = at.number_input(key="repeats_n")  # drawn from its one declaration
    assert (repeats.min, repeats.max, repeats.value) == (1, 10, sweeps.REPEATS.default)
    assert repeats.help == sweeps.REPEATS.help and repeats.label == sweeps.REPEATS.label
    assert at.button(key="train_repeats").label == "Train 5 seeds (42–46)"
    monkeypatch.setenv("RNNLAB_MAX_JOB_SECONDS", "5")
    reset_manager()
    at = app("pages/train.py", model="lstm")
    warnings = [w.value for w in at.warning if "RNNLAB_MAX_JOB_SECONDS" in w.value]
    assert warnings and warnings[0].startswith("This training would take about")
    assert "at most 5 s per training" in warnings[0]
    assert at.button(key="train").disabled


def test_sweep_page_shows_a_stored_sweep_from_its_link(app):
    base = tiny("linear")
    for epochs in (1, 2):
        for seed in (42, 43):
            RunStore().put(fit.run(base.replace(epochs=epochs, train_seed=seed), save_model=False))
    at = app("pages/sweep.py", **to_query(base), grid="epochs=1,2", repeats=2, sample=0)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.multiselect(key="sweep_fields").value == ["epochs"]
    assert at.text_input(key="sweep_values_epochs").value == "1,2"
    assert any("4 of 4 trainings are stored already; 0 to train" in c.value for c in at.caption)
    assert at.button(key="sweep_start").disabled
    table = at.dataframe[0].value
    assert list(table["Epochs"]) == ["1", "2"] and list(table["seeds"]) == ["2 of 2", "2 of 2"]
    assert table["valid ±"].notna().all() and table["best"].tolist().count("★") == 1
    assert all(link.startswith("train?model=linear") for link in table["run"])
    assert any(s.value.startswith("Best so far: **epochs=") for s in at.success)
    assert at.query_params["grid"] == "epochs=1,2"


@pytest.mark.parametrize("query, message", [
    ({"grid": "unitz=1,2"}, "The link's sweep could not be used: --grid unitz: is not a setting"),
    ({"grid": "epochs=1,2", "repeats": "99"}, "The link's repeats could not be used: repeats=99 is out of range"),
    ({"grid": "epochs=0,2"}, "epochs=0 is out of range"),
])
def test_a_bad_sweep_link_is_named_and_the_page_keeps_working(app, query, message):
    at = app("pages/sweep.py", model="linear", **query)
    assert not at.exception
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.title[0].value == "Sweep"


def test_sweep_page_refuses_a_grid_too_large_before_anything_starts(app):
    at = app("pages/sweep.py", model="linear", grid="epochs=1,2,3,4,5,6,7,8,9,10,11,12", repeats=6)
    warnings = [w.value for w in at.warning if "RNNLAB_MAX_SWEEP_JOBS" in w.value]
    assert warnings and warnings[0].startswith("72 trainings in one request: at most 60")
    assert at.button(key="sweep_start").disabled


def test_inspect_shows_which_past_steps_drive_a_trained_models_forecast(app):
    """A linear model's saliency is the size of its weights: the page names the steps of the three largest."""
    from rnnlab.dashboard.state import to_query
    from rnnlab.store.runstore import RunStore
    from rnnlab.training import fit

    from helpers import tiny

    exp = tiny("linear")
    result = fit.run(exp)
    RunStore().put(result)
    at = app("pages/inspect.py", **to_query(exp))
    assert not at.exception and not at.error
    assert "Which past steps drive the forecast?" in [h.value for h in at.subheader]
    top = np.argsort(result.inspect["saliency"])[::-1][:3]
    named = ", ".join(f"{20 - i} step{'s' if 20 - i > 1 else ''} back" for i in top)
    assert any(f"The strongest: {named}." in c.value for c in at.caption), [c.value for c in at.caption]
    [chart] = [c for c in at.get("plotly_chart") if "Which past steps drive the forecast?" in c.proto.spec]
    assert "Steps before the forecast (mean over 16 validation windows)" in chart.proto.spec
