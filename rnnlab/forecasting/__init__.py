"""Scoring forecasts as forecasters do: metrics (:mod:`~rnnlab.forecasting.metrics`). Plain NumPy."""
