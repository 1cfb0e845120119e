import json
import subprocess
import sys


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "safecoder", *args], capture_output=True, text=True, timeout=120, **kwargs)


def test_data_stats_on_the_shared_data_counts_every_set(shared_data):
    done = run_cli("data", "stats", str(shared_data), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    by_name = {d["name"]: d for d in report["datasets"]}
    assert by_name["security_pairs/safecoder/train/sec-new-desc"]["security_pairs"] == 421
    assert by_name["security_pairs/safecoder/val/sec-new-desc"]["security_pairs"] == 44
    assert by_name["security_pairs/safecoder/val/sec-desc"]["security_pairs"] == 83
    assert by_name["security_pairs/sven/train"]["security_pairs"] == 720
    assert by_name["security_pairs/sven/val"]["security_pairs"] == 83
    assert by_name["instructions/gpteacher/codegen-instruct"]["instructions"] == 4535
    assert report["totals"]["scenarios"] == 66
    sql_python = [c for c in by_name["security_pairs/sven/train"]["by_cwe_and_language"]
                  if c["cwe"] == "CWE-089" and c["language"] == "python"]
    assert sql_python == [{"cwe": "CWE-089", "language": "python", "count": 184}]


def test_data_stats_table_shows_cwe_by_language(shared_data):
    done = run_cli("data", "stats", str(shared_data / "security_pairs/sven"))
    assert done.returncode == 0, done.stderr
    assert "720 security pairs by CWE and language" in done.stdout
    assert "CWE-125" in done.stdout and "Python" in done.stdout


def test_data_stats_exits_non_zero_and_names_malformed_rows(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"instruction": "a", "output": "b"}\n{oops\n')
    done = run_cli("data", "stats", str(path))
    assert done.returncode == 1
    assert "broken.jsonl:2: invalid JSON" in done.stdout.replace("\n", "")


def test_missing_path_is_a_clean_error(tmp_path):
    done = run_cli("data", "stats", str(tmp_path / "nowhere"))
    assert done.returncode != 0
    assert "no such data file or folder" in done.stderr
