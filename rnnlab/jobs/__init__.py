"""The job system: a training job and its states (:mod:`~rnnlab.jobs.job`), the fair queue and the limits
(:mod:`~rnnlab.jobs.policy`, plain Python), the Dask adapter that hands jobs to the workers
(:mod:`~rnnlab.jobs.dispatch`, with its connection in :mod:`~rnnlab.jobs.connection`), the job manager that builds
requests on it (:mod:`~rnnlab.jobs.manager`), cost estimates (:mod:`~rnnlab.jobs.costs`), sweeps and repeats
(:mod:`~rnnlab.jobs.sweeps`) and progress on the command line (:mod:`~rnnlab.jobs.progress`). Importing this
package imports nothing heavy; only the manager and its Dask side import Dask."""
