"""Run the per-cluster map: on this machine's cores, or on a Dask cluster.

Clusters are independent, so ``fleet check`` is a map of one function over jobs. Locally
that is a :class:`concurrent.futures.ProcessPoolExecutor` (one process per core); past one
machine it is Dask distributed (``dask://HOST:PORT``, the optional ``tierwall[distributed]``
extra). Both return the results in job order, so reports do not depend on the executor.
A job's function must return plain data and never raise (see ``fleet/check.py``).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Sequence, TypeVar

from ..errors import UsageError

J = TypeVar("J")

EXECUTORS_HELP = "processes (default: one process per CPU core), serial, or dask://HOST:PORT"
DASK_CONNECT_TIMEOUT = "10s"
"""How long to wait for a Dask scheduler before giving up with a usage error."""


def run_map(fn: Callable[[J], dict], jobs: Sequence[J], executor: str = "processes",
            progress: Callable[[int], None] | None = None, workers: int | None = None) -> list[dict]:
    """``[fn(job) for job in jobs]``, computed by ``executor``; ``progress(done)`` after each."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done)

    if executor == "serial" or (executor == "processes" and len(jobs) <= 1):
        out = []
        for job in jobs:
            out.append(fn(job))
            tick()
        return out
    if executor == "processes":
        results: list[dict | None] = [None] * len(jobs)
        n = workers or min(len(jobs), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=n) as pool:
            futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                tick()
        return results  # type: ignore[return-value]
    if executor.startswith("dask://"):
        return _dask(fn, jobs, executor[len("dask://"):], tick)
    raise UsageError(f"unknown executor {executor!r}: use {EXECUTORS_HELP}")


def _dask(fn, jobs, address: str, tick) -> list[dict]:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError:
        raise UsageError("the dask executor needs Dask distributed: pip install 'tierwall[distributed]'") from None
    try:
        client = Client(f"tcp://{address}", timeout=DASK_CONNECT_TIMEOUT)
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = client.map(fn, list(jobs), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict | None] = [None] * len(jobs)
        for future in dask_completed(futures):
            results[index[future.key]] = future.result()
            tick()
        return results  # type: ignore[return-value]
    finally:
        client.close()


@contextmanager
def progress_bar(total: int | None, label: str, console):
    """A rich progress bar on ``console`` when it is a terminal; yields the ``progress(done)``
    callback, or ``None`` when the output is a pipe or file (CI logs get no bar)."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)
