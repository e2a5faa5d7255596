"""rnnlab: an interactive lab for forecasting time series with recurrent networks (Hands-On ML, chapter 15).

The backend (everything but :mod:`rnnlab.dashboard`) never imports Streamlit; TensorFlow is imported only
where a model is built or trained (:mod:`rnnlab.training.fit`, the builders in :mod:`rnnlab.models.registry`).
"""

__version__ = "0.1.0"
