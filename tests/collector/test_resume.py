"""A run killed half-way (a real `safecoder collect run` process, SIGKILL) and started again
writes the same output as a run that was never interrupted."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from collector_testing import verified_commits


def _command(repository, out):
    return [sys.executable, "-m", "safecoder.cli", "collect", "run", "--repos", str(repository),
            "--out", str(out), "--instruct", "none", "--workers", "1", "--batch-size", "2", "--no-progress"]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_output(fixture_repos, reference_run, tmp_path):
    repository = fixture_repos.builders["pyshop"].path  # eight candidates, four batches
    out = tmp_path / "pairs.jsonl"
    state = tmp_path / "pairs.jsonl.state.sqlite"
    process = subprocess.Popen(_command(repository, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while verified_commits(state) < 2:
            if process.poll() is not None:
                pytest.fail(f"the run ended before it could be killed: {process.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the run verified no commit within 240 s")
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the run and its analyzer subprocesses
        process.wait()
    done_at_kill = verified_commits(state)
    total = sqlite3.connect(reference_run.state).execute(
        "SELECT COUNT(*) FROM commits WHERE stage IN ('verify', 'extract') AND repository = ?",
        (str(repository),)).fetchone()[0]
    assert 2 <= done_at_kill < total, "the kill must land half-way"
    assert not out.exists()

    finished = subprocess.run(_command(repository, out), capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    expected = [line for line in reference_run.out.read_text().splitlines(keepends=True)
                if json.loads(line)["provenance"]["repository"] == str(repository)]
    assert len(expected) >= 6
    assert out.read_text() == "".join(expected)
    assert verified_commits(state) == total
