"""Executors run an experiment's tasks behind one interface, registered by name.

An executor takes the tasks still to run and yields each ``RunOutcome`` as soon as it
finishes (in any order); :mod:`simfin.experiments.execution` writes it to disk at once.
Every run is determined by its task alone, so all executors give identical results.

- ``local``: one after another in this process.
- ``processes``: a spawned process pool on this machine. A worker that dies (killed, out of
  memory) breaks the pool; finished runs are already yielded, the pool is rebuilt and the
  unfinished runs are resubmitted, up to ``MAX_ATTEMPTS`` times before a run is recorded as
  failed.
- ``dask``: Dask distributed. Without an address it starts a ``LocalCluster`` of worker
  processes; with ``tcp://host:port`` it uses that scheduler (a cluster brought up with
  dask-jobqueue or dask-kubernetes). The scheduler retries the runs of workers that die.
"""

from __future__ import annotations

import logging
import multiprocessing
import uuid
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from simfin.experiments.models import RunOutcome, evaluate
from simfin.lending.registry import Registry

if TYPE_CHECKING:  # the plan imports SciPy and pandas; a run needs neither here
    from simfin.experiments.plan import RunTask

EXECUTORS = Registry("executor")
MAX_ATTEMPTS = 3


@EXECUTORS.register("local")
def local(tasks: list[RunTask], workers: int = 1, address: str | None = None
          ) -> Iterator[RunOutcome]:
    """Run every task in this process, in order."""
    for task in tasks:
        yield evaluate(task)


@EXECUTORS.register("processes")
def processes(tasks: list[RunTask], workers: int = 2, address: str | None = None
              ) -> Iterator[RunOutcome]:
    """Run tasks in a pool of spawned worker processes; survive the loss of a worker.

    Workers are spawned, not forked: a fresh interpreter per worker is safe whatever
    threads the parent runs.
    """
    context = multiprocessing.get_context("spawn")
    pending = {task.index: task for task in tasks}
    attempts = dict.fromkeys(pending, 0)
    while pending:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            futures = {pool.submit(evaluate, task): task for task in pending.values()}
            waiting = set(futures)
            broken = False
            while waiting and not broken:
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    del pending[outcome.task.index]
                    yield outcome
            if broken:
                # Runs that finished before the pool broke are kept; the rest go again.
                for future in waiting:
                    if future.done() and not future.cancelled() \
                            and future.exception() is None:
                        outcome = future.result()
                        del pending[outcome.task.index]
                        yield outcome
                for index in list(pending):
                    attempts[index] += 1
                    if attempts[index] >= MAX_ATTEMPTS:
                        task = pending.pop(index)
                        yield RunOutcome(task, None, f"worker process lost {MAX_ATTEMPTS} "
                                         "times while running this run")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


@EXECUTORS.register("dask")
def dask(tasks: list[RunTask], workers: int = 2, address: str | None = None
         ) -> Iterator[RunOutcome]:
    """Run tasks on Dask distributed: a new ``LocalCluster`` or the scheduler at ``address``.

    Raises:
        ImportError: Dask is not installed (``pip install -e ".[experiments]"``).
    """
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = Client(address)
    batch = uuid.uuid4().hex[:12]  # keys unique on a shared, long-lived scheduler
    try:
        futures = [client.submit(evaluate, task, pure=False, retries=MAX_ATTEMPTS - 1,
                                 key=f"simfin-run-{task.key}-{batch}")
                   for task in tasks]
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker after retries
                task = tasks[futures.index(future)]
                outcome = RunOutcome(task, None, f"{type(exc).__name__}: {exc}"
                                     .splitlines()[0])
            yield outcome
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
