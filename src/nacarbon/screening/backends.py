"""Where screening chunks run (an in-process loop or a Dask cluster) and how results come back.

A backend is a context manager: ``share(obj)`` ships a large object (the models) to every task once,
``map_ordered(fn, shared, tasks)`` yields results **in task order**, so merged results do not depend
on which worker finished first.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from nacarbon.errors import ConfigError


class LocalBackend:
    """Run every task in the calling process, one after another."""

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def share(self, obj: Any) -> Any:
        """Return ``obj`` unchanged (nothing to ship)."""
        return obj

    def map_ordered(self, fn: Callable, shared: Sequence[Any], tasks: Iterable[tuple]) -> Iterator[Any]:
        """Yield ``fn(*shared, *task)`` for each task, in order."""
        for task in tasks:
            yield fn(*shared, *task)


class DaskBackend:
    """Run tasks on a Dask distributed cluster (workers must import ``nacarbon`` and unpickle the models).

    A given ``client`` is used as is and left open; an ``address`` (``"tcp://10.0.0.5:8786"``) gets a
    client closed on exit; with neither, a ``LocalCluster`` of ``n_workers`` single-threaded processes
    (default: the CPU count) runs on 127.0.0.1 until exit. ``max_in_flight`` (default: twice the workers)
    bounds tasks submitted but not consumed, and so client memory when chunks carry all their rows.
    """

    def __init__(self, client: Any = None, address: str | None = None,
                 n_workers: int | None = None, max_in_flight: int | None = None):
        if client is not None and address is not None:
            raise ConfigError("DaskBackend: give either a client or an address, not both")
        for name, value in (("n_workers", n_workers), ("max_in_flight", max_in_flight)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(key=f"screen.backend_options.{name}", value=value, allowed="a positive integer")
        self.client = client
        self.address = address
        self.n_workers = n_workers
        self.max_in_flight = max_in_flight
        self._client: Any = None
        self._owned: list[Any] = []

    def __enter__(self) -> DaskBackend:
        from distributed import Client, LocalCluster

        if self.client is not None:
            self._client = self.client
        elif self.address is not None:
            self._client = Client(self.address)
            self._owned = [self._client]
        else:
            import dask

            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in every worker, which switches off glibc's
            # dynamic mmap threshold: each forest's per-tree prediction buffer becomes a fresh mmap
            # and a chunk costs twice the CPU (benchmarks/README.md, "Screening").
            with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                cluster = LocalCluster(n_workers=self.n_workers or os.cpu_count() or 1, processes=True,
                                       threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
            self._client = Client(cluster)
            self._owned = [self._client, cluster]
        return self

    def __exit__(self, *exc) -> None:
        for resource in self._owned:
            resource.close()
        self._owned = []
        self._client = None

    def _require_client(self) -> Any:
        if self._client is None:
            raise ConfigError("DaskBackend must be entered (`with backend:`) before use")
        return self._client

    def share(self, obj: Any) -> Any:
        """Pickle ``obj`` once and broadcast it; the returned future reaches tasks as the object."""
        # A list wrapper: scatter would otherwise split a dict/list into one future per item.
        return self._require_client().scatter([obj], broadcast=True, hash=False)[0]

    def map_ordered(self, fn: Callable, shared: Sequence[Any], tasks: Iterable[tuple]) -> Iterator[Any]:
        """Submit tasks with a bounded window; yield results in task order (re-raising a task's error)."""
        client = self._require_client()
        window = self.max_in_flight or 2 * max(1, len(client.nthreads()))
        pending: deque = deque()
        task_iter = iter(tasks)

        def submit_next() -> None:
            task = next(task_iter, None)
            if task is not None:
                pending.append(client.submit(fn, *shared, *task, pure=False))

        for _ in range(window):
            submit_next()
        try:
            while pending:
                future = pending.popleft()
                result = future.result()
                future.release()
                submit_next()
                yield result
        finally:
            # On an error (here or in the consumer) do not leave work running on a shared cluster.
            for future in pending:
                future.cancel()


def make_backend(backend: str | LocalBackend | DaskBackend,
                 options: Mapping[str, Any] | None = None) -> LocalBackend | DaskBackend:
    """An un-entered backend from its name (``"local"``, ``"dask"``), or an instance passed through.

    ``options`` are :class:`DaskBackend`'s keyword arguments; ``"local"`` takes none. ConfigError on an
    unknown name or option.
    """
    options = dict(options or {})
    if isinstance(backend, (LocalBackend, DaskBackend)):
        if options:
            raise ConfigError("backend options are only accepted with a backend name")
        return backend
    if backend == "local":
        if options:
            raise ConfigError("backend 'local' takes no options", key="screen.backend_options", value=options)
        return LocalBackend()
    if backend == "dask":
        unknown = sorted(set(options) - {"client", "address", "n_workers", "max_in_flight"})
        if unknown:
            raise ConfigError("unknown option of backend 'dask'", key=f"screen.backend_options.{unknown[0]}",
                              value=options[unknown[0]], allowed=["address", "client", "max_in_flight", "n_workers"])
        return DaskBackend(**options)
    raise ConfigError(key="screen.backend", value=backend, allowed=["local", "dask"])


def run_chunks(runner: LocalBackend | DaskBackend, fn: Callable, shared: Sequence[Any], tasks: Iterable[tuple],
               *, n_tasks: int | None = None, keep_all_path: str | None = None, progress: bool = True,
               desc: str = "screening") -> Any:
    """Run chunk tasks on an entered backend; return the first partial with the later ones merged in.

    ``fn`` returns a partial with ``merge(other)`` and ``rows`` (the chunk's rows or None); with
    ``keep_all_path`` those rows are appended to that Parquet file chunk by chunk, so the whole table
    never sits in memory. ``n_tasks`` sizes the progress bar. None without tasks.
    """
    total = None
    writer: pq.ParquetWriter | None = None
    try:
        for part in tqdm(runner.map_ordered(fn, shared, tasks), total=n_tasks, desc=desc, unit="chunk",
                         disable=not progress):
            if part.rows is not None and keep_all_path is not None:
                table = pa.Table.from_pandas(part.rows, preserve_index=False,
                                             schema=writer.schema if writer is not None else None)
                writer = writer or pq.ParquetWriter(keep_all_path, table.schema)
                writer.write_table(table)
            part.rows = None  # merged partials stay small
            total = part if total is None else total.merge(part)
    finally:
        if writer is not None:
            writer.close()
    return total
