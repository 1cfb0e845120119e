"""Helpers for the collector's tests: run the pipeline in-process, read JSONL rows, and
start the project's own server for instruction writing."""

from __future__ import annotations

import ctypes
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def run_pipeline(out: Path, **kwargs):
    from safecoder.collector import pipeline
    from safecoder.collector.config import CollectConfig, InstructConfig

    inputs_keys = {"repos", "commits", "stream", "state", "fresh", "stop_after", "clone_url"}
    inputs = pipeline.RunInputs(out=out, progress=False, **{k: v for k, v in kwargs.items() if k in inputs_keys})
    config = CollectConfig(**{k: v for k, v in kwargs.items() if k not in inputs_keys and k != "instruct"})
    instruct = kwargs.get("instruct") or InstructConfig(instruct="none")
    return pipeline.run(inputs, config, instruct)


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the test process dies, even by SIGKILL."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


BANNER = re.compile(r"SafeCoder is serving .* at (http://\S+/v1)")


class ProjectServer:
    """`safecoder serve` (the project's own server) on a free loopback port, in a subprocess."""

    def __init__(self, log: Path, start_deadline_s: float = 900):
        self.log = log
        handle = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "safecoder.cli", "serve", "--port", "0", "--model", "default",
             "--engine", "transformers", "--gate", "off", "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=handle, text=True, preexec_fn=_die_with_parent,
        )
        lines: queue.Queue = queue.Queue()

        def pump() -> None:
            for line in self.process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + start_deadline_s
        seen = []
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"safecoder serve did not start in {start_deadline_s} s: {''.join(seen)}") from None
            if line is None:
                raise RuntimeError(f"safecoder serve exited: {''.join(seen)}\n{log.read_text()[-3000:]}")
            seen.append(line)
            match = BANNER.search(line)
            if match:
                self.url = match.group(1)
                return

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
