"""Running `process_batch` over many batches: a local process pool, or Ray tasks.

Input: `WorkBatch`es and a callback. Output: each batch's outcomes handed to the
callback in the main process as soon as the batch finishes (in completion order), so the
caller can store them before the next one arrives. At most `2 x workers` batches are in
flight, which bounds memory on long runs.

- `local`: `concurrent.futures.ProcessPoolExecutor` with spawned workers (no state is
  inherited by fork); `workers=1` runs the batches in the calling process.
- `ray`: `process_batch` as a Ray remote function. With no address a local Ray instance
  is started (`num_cpus=workers`, no dashboard) and shut down at the end; with an
  address the cluster's instance is joined and left running.

Both run the same function on the same inputs, so their outputs are the same.
This module neither decides nor stores anything.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from safecoder.collector.tasks import CommitOutcome, WorkBatch, process_batch
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

OnResult = Callable[[WorkBatch, list[CommitOutcome]], None]


class ExecutorError(SafeCoderError):
    """An executor that cannot start (e.g. Ray not installed or its cluster unreachable)."""


def run_batches(batches: Iterable[WorkBatch], on_result: OnResult, executor: str = "local",
                workers: int = 0, ray_address: str = "") -> None:
    workers = workers or os.cpu_count() or 1
    if executor == "ray":
        _run_ray(list(batches), on_result, workers, ray_address)
    elif workers == 1:
        for batch in batches:
            on_result(batch, process_batch(batch))
    else:
        _run_local(batches, on_result, workers)


def _run_local(batches: Iterable[WorkBatch], on_result: OnResult, workers: int) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        in_flight = {}
        queue = iter(batches)
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < 2 * workers:
                batch = next(queue, None)
                if batch is None:
                    exhausted = True
                    break
                in_flight[pool.submit(process_batch, batch)] = batch
            if not in_flight:
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                batch = in_flight.pop(future)
                on_result(batch, future.result())


def _run_ray(batches: list[WorkBatch], on_result: OnResult, workers: int, address: str) -> None:
    try:
        import ray
    except ImportError:
        raise ExecutorError("--executor ray needs Ray: pip install 'safecoder[ray]'") from None
    started_here = False
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                started_here = True
        except (ConnectionError, RuntimeError) as exc:
            raise ExecutorError(f"cannot start or reach Ray{' at ' + address if address else ''}: {exc}") from None
    remote = ray.remote(process_batch)
    try:
        pending = {}
        queue = iter(batches)
        limit = 2 * max(1, int(ray.cluster_resources().get("CPU", workers)))
        while True:
            while len(pending) < limit:
                batch = next(queue, None)
                if batch is None:
                    break
                pending[remote.remote(batch)] = batch
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                batch = pending.pop(ref)
                on_result(batch, ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()
