"""The job system: a training job and its states (:mod:`~rnnlab.jobs.job`), the fair queue and the limits
(:mod:`~rnnlab.jobs.policy`, plain Python), the Dask adapter that hands jobs to the workers
(:mod:`~rnnlab.jobs.manager`), cost estimates (:mod:`~rnnlab.jobs.costs`), sweeps and repeats
(:mod:`~rnnlab.jobs.sweeps`) and progress on the command line (:mod:`~rnnlab.jobs.progress`). Importing this
package imports nothing heavy; only the manager imports Dask."""
