"""Reading a sandboxed program's output without letting it flood the host's memory.

`collect` feeds the program its stdin and drains stdout and stderr until it exits or
the wall-clock timeout passes. It keeps the first `limit` bytes of stdout and the last
`limit` bytes of stderr (where a traceback ends) and discards the rest as it arrives, so
a program printing gigabytes costs the host `2 x limit` bytes, not gigabytes; the bytes
seen are counted. It does not stop the program for printing: the timeout does.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

_CHUNK = 65536


@dataclass
class Captured:
    stdout: bytes
    stderr: bytes
    stdout_seen: int
    stderr_seen: int
    timed_out: bool


def collect(process: subprocess.Popen, stdin: bytes, timeout_s: float, limit: int,
            on_timeout: Callable[[], None]) -> Captured:
    deadline = time.monotonic() + timeout_s
    head, tail = bytearray(), bytearray()
    seen = {"stdout": 0, "stderr": 0}
    timed_out = False
    stdin_pipe, stdout_pipe, stderr_pipe = process.stdin, process.stdout, process.stderr
    if stdin_pipe is None or stdout_pipe is None or stderr_pipe is None:
        raise ValueError("collect needs a process started with stdin, stdout and stderr as pipes")
    selector = selectors.DefaultSelector()
    selector.register(stdout_pipe, selectors.EVENT_READ, "stdout")
    selector.register(stderr_pipe, selectors.EVENT_READ, "stderr")
    pending = memoryview(stdin)
    if pending:
        os.set_blocking(stdin_pipe.fileno(), False)
        selector.register(stdin_pipe, selectors.EVENT_WRITE, "stdin")
    else:
        stdin_pipe.close()
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not timed_out:
                timed_out = True
                on_timeout()  # kills the group; the pipes then reach end of file
                deadline = time.monotonic() + 5.0
                continue
            if remaining <= 0:
                break  # a grandchild outside the killed group holds a pipe: give up on it
            for key, _ in selector.select(timeout=min(remaining, 1.0)):
                if key.data == "stdin":
                    try:
                        written = os.write(key.fd, pending[:_CHUNK])
                    except (BrokenPipeError, OSError):
                        written = len(pending)
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(key.fileobj)
                        stdin_pipe.close()  # the key's file object
                    continue
                chunk = os.read(key.fd, _CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                seen[key.data] += len(chunk)
                if key.data == "stdout":
                    if len(head) < limit:
                        head += chunk[:limit - len(head)]
                else:
                    tail += chunk
                    if len(tail) > 2 * limit:
                        del tail[:-limit]
    finally:
        selector.close()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream and not stream.closed:
                stream.close()
    try:  # a program may close its output and keep running
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
        on_timeout()
        process.wait()
    return Captured(bytes(head), bytes(tail[-limit:]), seen["stdout"], seen["stderr"], timed_out)
