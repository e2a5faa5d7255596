"""Plotly figures, by subject. Plain data in, ``go.Figure`` out; no Streamlit, TensorFlow or Keras.

- :mod:`~rnnlab.figures.style`: the shared look (template, palette, margins, the projector's enlargement) and the
  input checks every figure uses.
- :mod:`~rnnlab.figures.series`: a series and its forecasts (sample windows, a real series, the forecast past
  its end, a backtest's folds).
- :mod:`~rnnlab.figures.training`: training and results (learning curves, parameter counts, errors by model and
  by horizon step, predicted against actual, the change against the naive forecast).
- :mod:`~rnnlab.figures.inspection`: inside a network (hidden states, a neuron unrolled, dilated convolutions,
  backpropagation through time).
- :mod:`~rnnlab.figures.sweeps`: repeats and sweeps (mean ± standard deviation over seeds, against one field,
  two, or more).
- :mod:`~rnnlab.figures.diagnostics`: what is left in a forecast's errors (their autocorrelation against the
  band of uncorrelated errors).

A page passes the returned figure to ``st.plotly_chart``; bad input raises ``ValueError`` saying what was expected.
"""
