"""The run store: the shape of a stored run (:mod:`~rnnlab.store.runs`) and the content-addressed folders that
keep them under ``RNNLAB_HOME`` (:mod:`~rnnlab.store.runstore`)."""
