"""`safecoder collect ...` as a user runs it: real processes, exit statuses, messages."""

from __future__ import annotations

import json
import subprocess
import sys


def _collect(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safecoder.cli", "collect", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_run_without_a_source_names_the_flags(tmp_path):
    result = _collect("run", "--out", str(tmp_path / "o.jsonl"), "--instruct", "none")
    assert result.returncode == 2
    assert "--repos DIR, --commits FILE or --stream FILE" in result.stderr and "Traceback" not in result.stderr


def test_unknown_config_keys_and_bad_values_are_named(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("max_files: 3\ninstruct: none\nmax_filez: 2\n")
    result = _collect("run", "--repos", str(tmp_path), "--out", str(tmp_path / "o.jsonl"), "--config", str(config))
    assert result.returncode == 2 and "max_filez" in result.stderr
    result = _collect("run", "--repos", str(tmp_path), "--out", str(tmp_path / "o.jsonl"), "--max-files", "0")
    assert result.returncode == 2 and "max_files must be at least 1" in result.stderr
    result = _collect("run", "--repos", str(tmp_path), "--out", str(tmp_path / "o.jsonl"), "--instruct", "none")
    assert result.returncode == 2 and "holds no git repository" in result.stderr


def test_stream_filter_then_stats_from_the_state(tmp_path):
    stream = tmp_path / "s.jsonl"
    stream.write_text("\n".join(json.dumps(row) for row in [
        {"repo": "o/a", "sha": "1" * 40, "parents": ["0" * 40], "message": "fix sql injection",
         "files": [{"path": "db.py", "additions": 2, "deletions": 1}]},
        {"repo": "o/a", "sha": "2" * 40, "parents": ["0" * 40], "message": "docs",
         "files": [{"path": "db.py", "additions": 2, "deletions": 1}]},
    ]) + "\n")
    out = tmp_path / "candidates.jsonl"
    result = _collect("run", "--stream", str(stream), "--out", str(out), "--stop-after", "filter", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["written"] == 1
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"repository": "o/a", "commit": "1" * 40, "cwes": ["CWE-089"]}]
    stats = _collect("stats", str(tmp_path / "candidates.jsonl.state.sqlite"), "--format", "json")
    assert stats.returncode == 0, stats.stderr
    filtered = next(s for s in json.loads(stats.stdout)["stages"] if s["stage"] == "filter")
    assert filtered["kept"] == 1 and filtered["reasons"] == {"no security keyword": 1}
    table = _collect("stats", str(tmp_path / "candidates.jsonl.state.sqlite"))
    assert "keyword + size filter" in table.stdout and "no security keyword 1" in table.stdout


def test_stats_of_a_pair_file(reference_run):
    result = _collect("stats", str(reference_run.out), "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["pairs"] == len(reference_run.rows) and stats["with_instruction"] == 0
    assert stats["per_class"]["CWE-089/python"] == 1


def test_instruct_refuses_none(tmp_path, reference_run):
    result = _collect("instruct", str(reference_run.out), "--out", str(tmp_path / "x.jsonl"), "--instruct", "none")
    assert result.returncode == 2 and "needs an endpoint" in result.stderr
