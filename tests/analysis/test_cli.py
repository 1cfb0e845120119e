"""`safecoder analyze` end to end: real processes, real Semgrep, exit statuses and report formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VULNERABLE = "import os\n\ndef run(name):\n    os.system('ls ' + name)\n"
CLEAN = "def add(a, b):\n    return a + b\n"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safecoder", "analyze", *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def test_findings_give_exit_status_one_and_every_format_reports_them(tmp_path):
    (tmp_path / "app.py").write_text(VULNERABLE, encoding="utf-8")
    (tmp_path / "util.py").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not code", encoding="utf-8")
    report = tmp_path / "report.json"
    completed = run_cli(str(tmp_path), "--analyzers", "semgrep,bandit", "--format", "json", "--output", str(report))
    assert completed.returncode == 1, completed.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["config"]["analyzers"] == ["semgrep", "bandit"] and document["rules_version"].startswith("rules-")
    by_source = {Path(r["source"]).name: r for r in document["results"]}
    assert set(by_source) == {"app.py", "util.py"}
    assert {f["cwe"] for f in by_source["app.py"]["findings"]} == {"CWE-078"}
    assert by_source["util.py"]["status"] == "ok" and not by_source["util.py"]["findings"]
    sarif = run_cli(str(tmp_path / "app.py"), "--analyzers", "semgrep", "--format", "sarif", "--cwe", "78")
    assert sarif.returncode == 1
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert results and results[0]["ruleId"] == "cwe-078-python-shell-command"


def test_clean_code_exits_zero_and_unjudged_code_exits_three(tmp_path):
    (tmp_path / "util.py").write_text(CLEAN, encoding="utf-8")
    clean = run_cli(str(tmp_path / "util.py"), "--analyzers", "syntax")
    assert clean.returncode == 0 and "1 judged, 0 findings" in clean.stdout
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    broken = run_cli(str(tmp_path / "broken.py"), "--analyzers", "syntax")
    assert broken.returncode == 3 and "syntax_error" in broken.stdout


def test_usage_errors_are_reported_without_a_traceback(tmp_path):
    missing = run_cli(str(tmp_path / "nothere.py"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    bad_analyzer = run_cli(str(tmp_path), "--analyzers", "lint")
    assert bad_analyzer.returncode == 2 and "unknown analyzers" in bad_analyzer.stderr
    bad_cwe = run_cli(str(tmp_path), "--cwe", "sql")
    assert bad_cwe.returncode == 2 and "CWE" in bad_cwe.stderr


def test_rules_lists_each_rule_with_its_twin():
    completed = run_cli("rules", "--language", "go")
    assert completed.returncode == 0
    lines = [line for line in completed.stdout.splitlines() if line.startswith("CWE-")]
    assert lines and all("go" in line and "semgrep+fast" in line for line in lines)


def test_validate_pairs_writes_the_table_between_markers(tmp_path):
    """A tiny data folder in the shared format; the real analyzers judge it."""
    folder = tmp_path / "data" / "security_pairs"
    folder.mkdir(parents=True)
    rows = [
        {"func_name": "f", "func_src_before": VULNERABLE, "func_src_after":
         "import subprocess\n\ndef run(name):\n    subprocess.run(['ls', name])\n",
         "vul_type": "cwe-078", "file_name": "app.py", "commit_link": "github.com/o/r/commit/1", "description": "d"},
        {"func_name": "g", "func_src_before": "import yaml\n\ndef g(s):\n    return yaml.load(s)\n",
         "func_src_after": "import yaml\n\ndef g(s):\n    return yaml.safe_load(s)\n",
         "vul_type": "cwe-502", "file_name": "g.py", "commit_link": "github.com/o/r/commit/2", "description": "d"},
    ]
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    document = tmp_path / "analysis.md"
    document.write_text("# Analysis\n\nbefore\n\n<!-- validate-pairs:start -->\nold\n<!-- validate-pairs:end -->\n\nafter\n",
                        encoding="utf-8")
    completed = run_cli("validate-pairs", str(tmp_path / "data"), "--output", str(document))
    assert completed.returncode == 0, completed.stderr
    text = document.read_text(encoding="utf-8")
    assert text.startswith("# Analysis\n\nbefore\n") and text.rstrip().endswith("after") and "old" not in text
    assert "| CWE-078 | Python | 1 / 1 | 100% | 0% | met |" in text
    assert "| CWE-502 | Python | 1 / 1 | 100% | 0% | met |" in text
