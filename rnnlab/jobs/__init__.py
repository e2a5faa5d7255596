"""The job system: cost estimates (:mod:`~rnnlab.jobs.costs`), sweeps and repeats (:mod:`~rnnlab.jobs.sweeps`),
progress on the command line (:mod:`~rnnlab.jobs.progress`) and the manager that runs trainings on Dask
(:mod:`~rnnlab.jobs.manager`). Importing this package imports nothing heavy; the manager imports Dask."""
