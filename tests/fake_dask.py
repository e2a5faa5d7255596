"""A stand-in for a Dask client, for tests of the job manager that need no cluster: it records the tasks it is
handed, in order, and the test decides when each finishes and how (``JobManager(client=FakeClient())``)."""

from __future__ import annotations

from typing import Any, Callable


class FakeFuture:
    """One task handed to :class:`FakeClient`: pending until the test calls :meth:`finish`."""

    def __init__(self, key: str, args: tuple) -> None:
        self.key, self.args = key, args
        self._callbacks: list[Callable[[FakeFuture], None]] = []
        self._outcome: tuple[Any, BaseException | None] | None = None
        self._cancelled = False

    @property
    def experiment(self) -> dict[str, Any]:
        """The experiment the task trains (``Experiment.to_dict()``)."""
        return self.args[0]

    def add_done_callback(self, fn: Callable[[FakeFuture], None]) -> None:
        self._callbacks.append(fn)

    def finish(self, result: Any = None, *, error: BaseException | None = None) -> None:
        """The task ends with ``result`` (or raises ``error``): the done callbacks run, as Dask's would."""
        self._outcome = (result, error)
        for fn in self._callbacks:
            fn(self)

    def done(self) -> bool:
        return self._outcome is not None or self._cancelled

    def cancel(self) -> None:
        self._cancelled = True

    def cancelled(self) -> bool:
        return self._cancelled

    def exception(self) -> BaseException | None:
        return self._outcome[1]

    def result(self) -> Any:
        return self._outcome[0]

    def release(self) -> None:
        pass


class FakeClient:
    """Stands in for Dask: ``workers`` free workers (change it to add or remove some), and a record of what was
    handed to them."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        #: Every task handed over, in order.
        self.futures: list[FakeFuture] = []

    @property
    def submitted(self) -> list[str]:
        """The keys of the tasks handed over, in order."""
        return [f.key for f in self.futures]

    def pending(self) -> list[FakeFuture]:
        """The tasks handed over that have not finished (nor been cancelled)."""
        return [f for f in self.futures if not f.done()]

    def scheduler_info(self, n_workers: int = -1) -> dict[str, Any]:
        return {"workers": {f"tcp://127.0.0.1:{i + 1}": {} for i in range(self.workers)}}

    def subscribe_topic(self, topic: str, handler: Callable) -> None:
        pass

    def submit(self, fn: Callable, *args: Any, key: str, pure: bool) -> FakeFuture:
        future = FakeFuture(key, args)
        self.futures.append(future)
        return future
