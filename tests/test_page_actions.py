"""Page actions in AppTest: the Train page's repeats (N seeded trainings, their spread, cancelling them). (An
uploaded series' link and its key: tests/test_upload_links.py.)"""

from __future__ import annotations

import json

from rnnlab.dashboard.state import to_query
from rnnlab.jobs.manager import get_manager
from rnnlab.store.runs import Spread

from helpers import started, tiny

def repeats_for(app, n: int):
    """The Train page on a tiny linear experiment, with ``n`` repeats asked for."""
    at = app("pages/train.py", **to_query(tiny("linear")))
    at.number_input(key="repeats_n").set_value(n).run()
    return at


def test_the_repeats_button_trains_each_seed_and_shows_their_spread(app, on_shared_cluster):
    at = repeats_for(app, 3)
    assert at.button(key="train_repeats").label == "Train 3 seeds (42–44)"
    at.button(key="train_repeats").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    jobs = get_manager().jobs()
    assert sorted(j.experiment.train.seed for j in jobs) == [42, 43, 44]
    assert {j.experiment.replace(train_seed=42) for j in jobs} == {tiny("linear")}  # only the seed differs
    assert all(j.wait(240) for j in jobs) and all(j.state == "done" for j in jobs), [j.error for j in jobs]

    at.run()
    assert not at.exception
    valid = Spread(tuple(j.result().val_mse for j in sorted(jobs, key=lambda j: j.experiment.train.seed)))
    summary = [m.value for m in at.markdown if m.value.startswith("**3 seeds stored** (42, 43, 44)")]
    assert summary and f"Validation MSE **{valid.text(5)}**" in summary[0]
    table = at.dataframe[-1].value
    assert list(table["seed"]) == [42, 43, 44]
    assert list(table["valid MSE"]) == list(valid.values)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert any(c["layout"]["title"]["text"] == "Every seed, and their mean ± sd" for c in charts)
    assert not at.button(key="train_repeats").disabled  # nothing running: more seeds may be asked for


def test_cancel_the_repeats_withdraws_every_seed(app, fake_manager, fake_client):
    """Three seeds on one worker: one runs and two wait; Cancel the repeats stops the one and withdraws the two
    before any reaches the worker."""
    at = repeats_for(app, 3)
    at.button(key="train_repeats").click().run()
    jobs = fake_manager.jobs()
    assert len(jobs) == 3 and len(fake_client.submitted) == 1  # one request, one worker
    [running] = [j for j in jobs if j.task_key is not None]
    started(running)
    at.run()
    bars = [p.proto.text for p in at.get("progress") if p.proto.text.startswith("Seeds:")]
    assert bars == ["Seeds: 0 of 3 done · 1 training · 2 waiting"]
    assert at.button(key="train_repeats").disabled  # no second request while these run
    at.button(key="cancel_repeats").click().run()
    assert not at.exception
    assert all(j.state == "cancelled" for j in jobs)
    assert fake_client.submitted == [running.task_key]  # the waiting seeds never reached the worker
    assert not [p for p in at.get("progress") if p.proto.text.startswith("Seeds:")]
    assert not at.button(key="train_repeats").disabled
