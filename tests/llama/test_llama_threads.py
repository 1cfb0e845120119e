"""The llama.cpp engine's default thread count: measured on the real embedded GGUF, cached per machine."""

from __future__ import annotations

import json
import os

import pytest

from safecoder.engines import create_engine
from safecoder.engines.base import run_sync
from safecoder.engines.llama_engine import THREADS_FILE

pytestmark = pytest.mark.slow


def test_threads_are_measured_once_and_chosen_by_the_rule(embedded_model, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFECODER_HOME", str(tmp_path))
    engine = create_engine("llama", embedded_model)
    try:
        record = json.loads((tmp_path / THREADS_FILE).read_text())
        (entry,) = record.values()
        speeds = {int(t): v for t, v in entry["tokens_per_s"].items()}
        assert sorted(speeds) == list(range(1, len(os.sched_getaffinity(0)) + 1))
        assert all(v > 0 for v in speeds.values())
        # The fewest threads within 5% of the fastest.
        assert entry["threads"] == min(t for t, v in speeds.items() if v >= 0.95 * max(speeds.values()))
        assert engine.describe()["threads"] == entry["threads"]
    finally:
        run_sync(engine.close())

    # The next engine on this machine and file reads the record instead of measuring.
    (key,) = record
    record[key].update(threads=3, load=0.0)  # measured on an idle machine: never measured again
    (tmp_path / THREADS_FILE).write_text(json.dumps(record))
    again = create_engine("llama", embedded_model)
    try:
        assert again.describe()["threads"] == 3
    finally:
        run_sync(again.close())
    # A record without the load of its moment (written by an older version, perhaps on a busy
    # machine) is measured again once the machine is idle. The load average is the one thing
    # a test cannot set, so it is patched here.
    del record[key]["load"]
    (tmp_path / THREADS_FILE).write_text(json.dumps(record))
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    idle = create_engine("llama", embedded_model)
    try:
        remeasured = json.loads((tmp_path / THREADS_FILE).read_text())[key]
        assert remeasured["load"] == 0.0 and idle.describe()["threads"] == remeasured["threads"] != 3
    finally:
        run_sync(idle.close())
    # An explicit count bypasses the record.
    explicit = create_engine("llama", embedded_model, threads=1)
    try:
        assert explicit.describe()["threads"] == 1
    finally:
        run_sync(explicit.close())
