"""A bounded queue in front of the engine: at most `max_concurrent` requests generate,
at most `max_queue` wait, and the next one is answered 503 at once instead of piling up.

Input: requests entering `slot()`. Output: a context in which the request may generate,
or `APIError(503)` with `Retry-After` when the queue is full. The gauges of
`ServerMetrics` follow the queue. Not a fairness scheduler: waiters are served in
arrival order by `asyncio.Semaphore`; per-key limits are `safecoder.server.access`'s job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from safecoder.server.api_errors import APIError
from safecoder.server.metrics import ServerMetrics


class AdmissionControl:
    def __init__(self, max_concurrent: int, max_queue: int, metrics: ServerMetrics):
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self._slots = asyncio.Semaphore(max_concurrent)
        self._waiting = 0
        self._running = 0
        self._metrics = metrics

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def running(self) -> int:
        return self._running

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self._waiting >= self.max_queue:
            self._metrics.rejections.labels("queue_full").inc()
            raise APIError(503, f"the server is busy ({self._running} requests generating, {self._waiting} "
                                "waiting); retry shortly", "server_overloaded", code="queue_full",
                           headers={"Retry-After": "1"})
        self._waiting += 1
        self._metrics.queue_depth.set(self._waiting)
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
            self._metrics.queue_depth.set(self._waiting)
        self._running += 1
        self._metrics.running.set(self._running)
        try:
            yield
        finally:
            self._running -= 1
            self._metrics.running.set(self._running)
            self._slots.release()
