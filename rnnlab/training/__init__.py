"""Worker side: the Keras backend's set-up (:mod:`~rnnlab.training.backend`), fitting, evaluating and
forecasting one experiment (:mod:`~rnnlab.training.fit`), the Dask task around it (:mod:`~rnnlab.training.task`)
and a worker's warm-up (:mod:`~rnnlab.training.warmup`). Only worker processes import Keras."""
