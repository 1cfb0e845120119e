"""`safecoder serve` in a subprocess on a free loopback port, for the reliability benchmarks.

The server binds port 0 and prints the URL it got; waiting is on that banner line. The
subprocess is stopped with SIGTERM (then SIGKILL) by `Served.stop`. The tests have their
own copy of this in `tests/serve_process.py` (they dispose of it through fixtures).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BANNER = re.compile(r"SafeCoder is serving .* at (http://\S+)/v1")


@dataclass
class Served:
    process: subprocess.Popen
    url: str
    log: Path

    def resident_mib(self) -> float:
        """The server's resident memory (VmRSS), in MiB."""
        return resident_mib(self.process.pid)

    def stop(self, timeout_s: float = 60) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=30)


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_serve(args: list[str], log: Path, env: dict[str, str] | None = None, deadline_s: float = 900) -> Served:
    """Run `safecoder serve --host 127.0.0.1 --port 0 ARGS` and wait for its banner."""
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "safecoder.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=log.open("w"), text=True, env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + deadline_s
    seen = []
    output = process.stdout  # a pipe: started with stdout=PIPE
    assert output is not None
    for line in output:  # the banner arrives once the model is loaded
        seen.append(line)
        match = BANNER.search(line)
        if match:
            # Keep reading what it prints afterwards, so a full pipe never blocks it.
            threading.Thread(target=lambda: [None for _ in output], daemon=True).start()
            return Served(process, match.group(1), log)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError(f"safecoder serve did not start (exit {process.poll()}): {''.join(seen)}\n"
                       f"{log.read_text(errors='replace')[-3000:]}")
