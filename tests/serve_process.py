"""`safecoder serve` in a subprocess on a free loopback port, for every test that talks to
the project's own server (the server's tests, the collector's instruction writer).

The server binds port 0 and prints the URL it got; waiting is on that banner line, never
on a fixed sleep. The subprocess gets SIGTERM when the test process dies, even by SIGKILL.
"""

from __future__ import annotations

import ctypes
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BANNER = re.compile(r"SafeCoder is serving .* at (http://\S+)/v1")


class ServerDidNotStart(RuntimeError):
    pass


@dataclass
class ServeProcess:
    process: subprocess.Popen
    url: str
    """The server's root, without `/v1`."""
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_serve(args: list[str], log: Path, env: dict[str, str] | None = None,
                deadline_s: float = 900) -> ServeProcess:
    """Run `safecoder serve --port 0 ARGS` and wait for its "serving ... at URL" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "safecoder.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env={**os.environ, **(env or {})},
        preexec_fn=_die_with_parent,
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + deadline_s
    seen = []
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            raise ServerDidNotStart(f"safecoder serve did not start in {deadline_s} s; stdout: {''.join(seen)}") from None
        if line is None:
            raise ServerDidNotStart(f"safecoder serve exited ({process.wait()}): {''.join(seen)}\n"
                                    f"{log.read_text(errors='replace')[-4000:]}")
        seen.append(line)
        match = BANNER.search(line)
        if match:
            return ServeProcess(process, match.group(1), log)
