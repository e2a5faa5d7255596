"""Inspect: what a trained model is made of: layers and parameter formulas, weights, hidden states."""

import numpy as np
import pandas as pd
import streamlit as st

from rnnlab.models import anatomy

from rnnlab.figures import inspection
from rnnlab.dashboard import run_view, state
from rnnlab.forecasting import yardsticks

st.title("Inspect a model")
experiment = state.current_experiment()
state.show_notes(experiment)

runs = [r for r in run_view.store().list(series=experiment.to_dict()["series"]) if r.trained]
if not runs:
    st.info("No trained model on this data yet. Train one, then come back to look inside it.")
    st.page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
    st.stop()

keys = [r.key for r in runs]
current = experiment.key()
choice = st.selectbox("Trained model", runs, index=keys.index(current) if current in keys else 0,
                      format_func=lambda r: r.label, key="inspect_run",
                      help="Models trained on the current data, newest first.")
run = run_view.load_result(choice.key)
if run is None:
    st.warning("This run's files could not be read.")
    st.stop()
run_exp = choice.experiment

st.subheader("Layers and where the parameters come from")
table = pd.DataFrame(anatomy.layer_table(run.layers, run_exp))
st.dataframe(table[["name", "type", "output_shape", "params", "formula"]], width="stretch", hide_index=True,
             column_config={"output_shape": "output shape", "params": st.column_config.NumberColumn("parameters")})
st.caption(f"{run.params_total:,} parameters in all. The batch dimension is first; recurrent layers that return "
           "sequences keep the time axis (None: any length).")

states = run.inspect.get("hidden_states", {})
sample = np.asarray(run.inspect.get("sample_input", []))
neuron = run_exp.model.entry.single_neuron(run_exp)
if neuron is not None and "weights" in run.inspect:
    w = run.inspect["weights"]
    st.subheader("A single recurrent neuron")
    cols = st.columns(3)
    cols[0].metric("w_x (input weight)", f"{w['w_x']:.4f}")
    cols[1].metric("w_y (recurrent weight)", f"{w['w_y']:.4f}")
    cols[2].metric("b (bias)", f"{w['b']:.4f}")
    st.plotly_chart(inspection.unrolled_neuron(sample, np.asarray(states[neuron])[:, 0], w), key="unrolled", theme=None)
    st.caption("Each step the neuron mixes the new input with its own previous output: three numbers are all it "
               "has to remember the past, which is why it loses to the 51-weight linear model.")
if states:
    st.subheader("Hidden states over a validation series")
    layer = st.selectbox("Layer", list(states), key="inspect_layer")
    st.plotly_chart(inspection.hidden_state_heatmap(states[layer], layer_name=layer,
                                               title="Activations at each time step"), key="heatmap", theme=None)
else:
    st.info("This model has no recurrent layer, so it has no hidden state to show.")
influence = run.inspect.get("saliency")
if yardsticks.kept_start(run.start, run_exp.series.scaling):
    st.subheader("Which past steps drive the forecast?")
    st.info("None: this network kept its start, its zero output (it did not beat it on validation by more than "
            "chance), so no input step moves what it adds to the scaling's zero. With first differences or relative "
            "scaling that zero is the naive forecast: the last value, repeated.")
elif influence:
    st.subheader("Which past steps drive the forecast?")
    st.plotly_chart(inspection.input_saliency(influence, windows=run.inspect.get("saliency_windows")),
                    key="saliency", theme=None)
    steps = np.argsort(influence)[::-1][:3]
    st.caption("How much the first forecast step moves when one input moves (the gradient, computed on the worker "
               "when the model was trained). The strongest: "
               + ", ".join(f"{len(influence) - i} step{'s' if len(influence) - i > 1 else ''} back" for i in steps)
               + ". A model that only copies the last value has one tall bar on the right; a season shows as a "
                 "bar a season back.")
if run_exp.model.dilations:
    st.plotly_chart(inspection.dilated_convolutions(run_exp.model.kernel_size, run_exp.model.dilations,
                                               n_steps=run_exp.series.n_steps), key="wavenet", theme=None)
