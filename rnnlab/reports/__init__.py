"""The report makers behind docs/: they may use everything in rnnlab, and nothing in the product imports them.

- :mod:`~rnnlab.reports.reproduce`: the book's figures, with the book's own code (:mod:`~rnnlab.reports.book_code`).
- :mod:`~rnnlab.reports.bench_options`: training options side by side in one process (steps per call, XLA, tf.data).
- :mod:`~rnnlab.reports.bench_workers`: backends, first epochs and bursts on workers of their own.
- :mod:`~rnnlab.reports.bench_estimates`: cost estimates against measured times.
- :mod:`~rnnlab.reports.real_series`: every bundled real series, networks against the naive and classical forecasts.
- :mod:`~rnnlab.reports.beat_the_book`: sweeps for configurations better than the book's.
"""
