"""Real series: where they come from (:mod:`~rnnlab.series.catalog`), reading a user's CSV file
(:mod:`~rnnlab.series.csvfile`), putting observations on a regular grid (:mod:`~rnnlab.series.prepare`) and
cutting a series into windows without leakage (:mod:`~rnnlab.series.windows`)."""
