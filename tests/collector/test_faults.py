"""The collector under faults: a full disk under its output and under its state, and
`kill -9` at seeded random points of a real `safecoder collect run`, resumed each time.

Everything is real: git repositories built by the fixtures, Semgrep and Bandit, SQLite,
a tmpfs mounted for the test as the full disk (root only, skipped otherwise), SIGKILL to
the run's process group. A finished run must write the same bytes as an uninterrupted
one, and the resumed runs must say how many commits they skipped.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from collector_testing import run_pipeline, verified_commits
from small_disk import SmallDisk, small_disk

from safecoder.hashing import sha256_file

pytestmark = pytest.mark.slow
FAST = dict(workers=1, analyzers=("bandit",))  # Bandit alone keeps six of pyshop's pairs, in seconds


def _fill(disk: SmallDisk, leave: int = 0) -> Path:
    """A file that takes all but `leave` bytes of the disk."""
    filler = disk.path / "filler"
    size = max(0, disk.free - leave)
    with open(filler, "wb") as handle:
        try:
            handle.write(b"\0" * size)
            handle.flush()
        except OSError:
            pass  # the last page did not fit: the disk is full, as wanted
    return filler


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def repository(fixture_repos) -> Path:
    return fixture_repos.builders["pyshop"].path  # eight candidates


def test_a_full_disk_under_the_output_leaves_the_earlier_output_and_manifest(repository, tmp_path):
    from safecoder.collector.pipeline import RunError

    state = tmp_path / "state.sqlite"
    with small_disk(tmp_path / "disk", "1m") as disk:
        out = disk.path / "pairs.jsonl"
        manifest = disk.path / "pairs.jsonl.manifest.json"
        first = run_pipeline(out, repos=repository, state=state, **FAST)
        assert first.written >= 6
        before = {path.name: sha256_file(path) for path in (out, manifest)}
        filler = _fill(disk, leave=1024)  # smaller than the output

        with pytest.raises(RunError) as failure:
            run_pipeline(out, repos=repository, state=state, **FAST)
        message = str(failure.value)
        assert f"no space left on the device of {out} while writing it" in message
        assert "pairs.jsonl and its manifest were not written" in message and str(state) in message
        assert {path.name: sha256_file(path) for path in (out, manifest)} == before
        assert _listing(disk.path) == ["filler", "pairs.jsonl", "pairs.jsonl.manifest.json"], "no temporary file left"

        filler.unlink()
        again = run_pipeline(out, repos=repository, state=state, **FAST)
        assert again.skipped == first.verified and again.verified == 0
        assert sha256_file(out) == before["pairs.jsonl"]
        assert json.loads(manifest.read_text())["output_sha256"] == before["pairs.jsonl"]


def test_a_full_disk_under_the_state_keeps_every_recorded_batch(repository, tmp_path):
    from safecoder.collector.pipeline import RunError

    reference = run_pipeline(tmp_path / "reference.jsonl", repos=repository, **FAST)
    with small_disk(tmp_path / "disk", "2m") as disk:
        state = disk.path / "state.sqlite"
        out = tmp_path / "pairs.jsonl"
        listed = run_pipeline(tmp_path / "candidates.jsonl", repos=repository, state=state, stop_after="filter",
                              **FAST)
        assert listed.written >= 6
        filler = _fill(disk, leave=96 * 1024)  # room to open the state (its 32 KiB -shm), not to record much

        with pytest.raises(RunError) as failure:
            run_pipeline(out, repos=repository, state=state, batch_size=2, **FAST)
        message = str(failure.value)
        assert f"no space left on the device of the state file {state}" in message
        assert "every batch recorded before it is kept" in message
        db = sqlite3.connect(state)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recorded = db.execute("SELECT COUNT(*) FROM commits WHERE stage IN ('verify', 'extract')").fetchone()[0]
        db.close()
        assert not out.exists()

        filler.unlink()
        finished = run_pipeline(out, repos=repository, state=state, batch_size=2, **FAST)
        assert finished.skipped == recorded
        assert out.read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
        assert finished.skipped + finished.verified == reference.verified


# --- kill -9 at random points -----------------------------------------------------------------------
KILL_SEED = 17
KILLS = 3




def _command(repository: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "safecoder.cli", "collect", "run", "--repos", str(repository), "--out", str(out),
            "--instruct", "none", "--workers", "1", "--batch-size", "1", "--analyzers", "bandit", "--no-progress",
            "--format", "json"]


def test_kill_9_at_random_points_then_resume_writes_the_uninterrupted_output(repository, tmp_path):
    """Each kill lands after a random number of recorded commits plus a random delay (seeded), so
    some land inside a batch, some between the recording and the next batch."""
    reference = run_pipeline(tmp_path / "reference.jsonl", repos=repository, batch_size=1, **FAST)
    total = reference.verified
    assert total >= 6
    randomness = random.Random(KILL_SEED)
    out = tmp_path / "pairs.jsonl"
    state = tmp_path / "pairs.jsonl.state.sqlite"
    kills = []
    for _ in range(KILLS):
        done = verified_commits(state)
        if done > total - 2:
            break
        wait_for = randomness.randint(done, total - 2)
        delay = randomness.uniform(0, 0.15)
        process = subprocess.Popen(_command(repository, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while verified_commits(state) < wait_for and process.poll() is None:
                assert time.monotonic() < deadline, f"no progress past {verified_commits(state)} commits in 120 s"
                time.sleep(0.01)
            time.sleep(delay)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)  # the run and its analyzer subprocesses
            process.wait()
        if process.returncode != -signal.SIGKILL:
            break  # it finished first (a delay past the last commit); the kills before still count
        kills.append((wait_for, round(delay, 3), verified_commits(state)))
        assert not out.exists()
    assert len(kills) >= 2, f"too few kills landed: {kills}"

    recorded = verified_commits(state)
    finished = subprocess.run(_command(repository, out), capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    summary = json.loads(finished.stdout)
    assert summary["skipped"] == recorded, f"kills (wanted, delay, recorded): {kills}"
    assert summary["skipped"] + summary["verified"] == total
    assert out.read_bytes() == (tmp_path / "reference.jsonl").read_bytes()
    assert verified_commits(state) == total
