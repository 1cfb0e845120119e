"""The shutdown grace: on SIGTERM, running generations get `grace_s` to finish, then end with a 503.

How a shutdown goes (`safecoder serve`): uvicorn stops accepting connections and closes
idle ones, then calls `ShutdownGrace.begin` (the CLI's server hooks its `shutdown`).
Every generation runs inside `bounded` (a whole answer) or `bounded_stream` (a stream),
so when the grace runs out each one still running is cancelled (its engine request
stopped, as when a client leaves) and answered in the OpenAI error shape: a 503
`server_shutting_down` JSON body, or for a stream an error chunk and then `[DONE]` after
what was already sent. The log says when the shutdown began, how many generations it
waited for, and how many it ended. uvicorn's own limit (`timeout_graceful_shutdown`) is
set a little longer, as a backstop only.

What clients see: answers finished within the grace, complete; the others, the 503 above
(`Retry-After` set); new connections, refused by the closed socket. Not here: the
signal handling itself (uvicorn's), or draining the language server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable
from typing import TypeVar

from safecoder.server.api_errors import APIError

logger = logging.getLogger(__name__)

T = TypeVar("T")
BACKSTOP_S = 5.0  # uvicorn cancels whatever still runs this long after the grace (it should be nothing)


class ShuttingDown(APIError):
    def __init__(self, grace_s: float):
        super().__init__(503, f"the server is shutting down and this generation did not finish within the "
                              f"{grace_s:g} s grace period; retry the request", "server_unavailable",
                         code="server_shutting_down", headers={"Retry-After": "5"})


class ShutdownGrace:
    def __init__(self, grace_s: float):
        self.grace_s = grace_s
        self.running = 0
        self.begun = False
        self._expired: asyncio.Event | None = None
        self._ended = 0

    @property
    def expired(self) -> asyncio.Event:
        if self._expired is None:
            self._expired = asyncio.Event()  # created on the serving loop, on first use
        return self._expired

    def begin(self) -> None:
        """Start the grace period (call on the serving loop once new connections are refused)."""
        if self.begun:
            return
        self.begun = True
        logger.warning("shutting down: no new connections; waiting up to %g s for %d running generation(s)",
                       self.grace_s, self.running)
        asyncio.get_running_loop().call_later(self.grace_s, self._expire)

    def _expire(self) -> None:
        if self.running:
            logger.error("shutdown grace of %g s ran out: ending %d unfinished generation(s) with 503 "
                         "server_shutting_down", self.grace_s, self.running)
        self.expired.set()

    async def bounded(self, work: Awaitable[T]) -> T:
        """`work`'s result, or `ShuttingDown` once the grace has run out (`work` is cancelled)."""
        task = asyncio.ensure_future(work)
        expiry = asyncio.ensure_future(self.expired.wait())
        self.running += 1
        try:
            done, _ = await asyncio.wait({task, expiry}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                return task.result()
            await _cancel(task)
            self._ended += 1
            raise ShuttingDown(self.grace_s)
        finally:
            self.running -= 1
            expiry.cancel()
            if not task.done():
                await _cancel(task)

    async def bounded_stream(self, chunks: AsyncGenerator[str, None],
                             done: str | None) -> AsyncGenerator[str, None]:
        """`chunks` as they come; once the grace has run out, the stream is closed and ends with an
        error chunk (and `done`, the wire's `[DONE]` line)."""
        from safecoder.server.responses import sse

        expiry = asyncio.ensure_future(self.expired.wait())
        step: asyncio.Future | None = None
        self.running += 1
        try:
            while True:
                step = asyncio.ensure_future(anext(chunks))
                finished, _ = await asyncio.wait({step, expiry}, return_when=asyncio.FIRST_COMPLETED)
                if step not in finished:
                    await _cancel(step)
                    self._ended += 1
                    yield sse(ShuttingDown(self.grace_s).body())
                    if done:
                        yield done
                    return
                try:
                    chunk = step.result()
                except StopAsyncIteration:
                    return
                yield chunk
        finally:
            self.running -= 1
            expiry.cancel()
            if step is not None and not step.done():  # the client left while a chunk was awaited
                await _cancel(step)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await chunks.aclose()


async def _cancel(task: asyncio.Future) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await task
