"""Scoring forecasts as forecasters do: metrics (:mod:`~rnnlab.forecasting.metrics`, plain NumPy) and the classical
yardsticks (:mod:`~rnnlab.forecasting.classical`, statsmodels: import it on workers only)."""
