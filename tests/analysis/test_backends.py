"""The batch backends against the real tools: Semgrep, Bandit, the SARIF reader, CodeQL's driver.

Semgrep and Bandit run for real. CodeQL cannot be installed here, so its command-line
driver is exercised with a stand-in `codeql` executable (a small Python script put on
PATH by the test, which says so) that writes SARIF produced by the real Semgrep.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from safecoder.analysis import SourceInput, analyze_sources, semgrep_backend
from safecoder.analysis.inputs import prepare_source
from safecoder.analysis.sarif import read_sarif, to_sarif

SQL = "def f(cur, name):\n    cur.execute(\"SELECT * FROM t WHERE n = '%s'\" % name)\n"
SHELL = "import os\n\ndef g(cmd):\n    os.system('ls ' + cmd)\n"
CLEAN_JS = "function add(a, b) {\n  return a + b;\n}\n"
YAML_PY = "import yaml\n\ndef load(text):\n    return yaml.load(text)\n"
NON_ASCII = "def f(cur, name):\n    x = 'héllo'; cur.execute('SELECT %s' % name)\n"


@pytest.fixture(scope="module")
def batch():
    """One real Semgrep + Bandit batch over several sources, in one call."""
    sources = [SourceInput(SQL, "python", "a.py"), SourceInput(CLEAN_JS, "javascript", "b.js"),
               SourceInput(SHELL, "python", "c.py"), SourceInput(YAML_PY, "python", "d.py"),
               SourceInput(NON_ASCII, "python", "e.py"), SourceInput("def broken(:\n", "python", "f.py")]
    return analyze_sources(sources)


def test_batch_results_are_in_input_order_with_analyzer_versions(batch):
    assert [r.source for r in batch] == ["a.py", "b.js", "c.py", "d.py", "e.py", "f.py"]
    assert [r.status for r in batch] == ["ok", "ok", "ok", "ok", "ok", "syntax_error"]
    assert batch[0].analyzers["semgrep"].split("/")[1].startswith("rules-")
    assert "bandit" in batch[0].analyzers and "bandit" not in batch[1].analyzers
    assert batch[1].findings == () and batch[1].is_secure()


def test_semgrep_and_bandit_findings_carry_cwe_and_positions(batch):
    sql = [f for f in batch[0].findings if f.analyzer == "semgrep"]
    assert sorted((f.cwe, f.rule_id, f.start_line, f.start_column) for f in sql) == [
        ("CWE-089", "cwe-089-python-built-query", 2, 17), ("CWE-089", "cwe-089-python-sql-string-to-call", 2, 17)]
    assert batch[2].has_cwe("CWE-078")
    bandit_yaml = [f for f in batch[3].findings if f.analyzer == "bandit"]
    assert bandit_yaml and bandit_yaml[0].cwe == "CWE-502" and bandit_yaml[0].start_line == 4
    # Columns count characters, not bytes: 'é' is two bytes in UTF-8.
    line = NON_ASCII.splitlines()[1]
    assert [f.start_column for f in batch[4].findings if f.analyzer == "semgrep"] == [line.index("'SELECT") + 1]


def test_cwe_filter_restricts_findings_and_rule_files():
    results = analyze_sources([SourceInput(SQL + SHELL, "python", "both.py")], analyzers=["semgrep"],
                              cwes=["cwe-78"])
    assert results[0].cwes() == {"CWE-078"}


def test_a_semgrep_timeout_is_an_error_not_a_clean_result(monkeypatch):
    monkeypatch.setattr(semgrep_backend, "_STARTUP_ALLOWANCE_S", 0.05)
    result = analyze_sources([SourceInput(SQL, "python")], analyzers=["semgrep"], timeout_s=0.001)[0]
    assert result.status == "error" and "timed out" in result.error and not result.is_secure()


def test_a_semgrep_crash_is_an_error_for_every_source(monkeypatch, tmp_path):
    broken = tmp_path / "cwe-089.yaml"
    broken.write_text("rules:\n  - id: broken\n    pattern: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(semgrep_backend.ruleset, "semgrep_rule_files", lambda cwes=None: [broken])
    results = analyze_sources([SourceInput(SQL, "python"), SourceInput(CLEAN_JS, "javascript")],
                              analyzers=["semgrep"])
    assert [r.status for r in results] == ["error", "error"]
    assert all("semgrep" in r.error for r in results)


def test_bandit_cannot_parse_python2_so_the_result_is_an_error():
    result = analyze_sources([SourceInput("print 'x'\n", "python")], analyzers=["bandit"],
                             config=None)[0]
    assert result.status in ("syntax_error", "error") and not result.is_secure()
    from safecoder.analysis import AnalysisConfig

    lenient = analyze_sources([SourceInput("print 'x'\n", "python")],
                              config=AnalysisConfig(analyzers=("bandit",), syntax_policy="tree-sitter"))[0]
    assert lenient.status == "error" and "bandit" in lenient.error


@pytest.fixture(scope="module")
def real_sarif(tmp_path_factory):
    """SARIF written by the real Semgrep for one file named like the analyzers' scratch files."""
    folder = tmp_path_factory.mktemp("sarif")
    source = folder / "s000000.py"
    source.write_text(SQL, encoding="utf-8")
    command = semgrep_backend.semgrep_command([str(source)], semgrep_backend.ruleset.semgrep_rule_files(["CWE-089"]),
                                              30, 1, output_format="--sarif")
    completed = subprocess.run(command, capture_output=True, timeout=300, check=True,
                               env=semgrep_backend.semgrep_environment())
    path = folder / "real.sarif"
    path.write_bytes(completed.stdout)
    return path


def test_sarif_reader_on_real_semgrep_sarif(real_sarif, batch):
    findings = read_sarif(real_sarif)
    assert sorted((f.cwe, f.rule_id, f.start_line, f.start_column, f.analyzer) for f in findings) == [
        ("CWE-089", "cwe-089-python-built-query", 2, 17, "semgrep"),
        ("CWE-089", "cwe-089-python-sql-string-to-call", 2, 17, "semgrep")]
    # The project's own SARIF output reads back to the same findings.
    round_trip = read_sarif(to_sarif([batch[0]]))
    assert sorted((f.cwe, f.rule_id, f.start_line) for f in round_trip) == sorted(
        (f.cwe, f.rule_id, f.start_line) for f in batch[0].findings)


FAKE_CODEQL = textwrap.dedent('''\
    #!{python}
    """Stand-in for the CodeQL CLI (not installable here): records its calls, replays SARIF."""
    import json, os, sys, shutil
    log = os.environ["FAKE_CODEQL_LOG"]
    with open(log, "a") as handle:
        handle.write(json.dumps(sys.argv[1:]) + "\\n")
    args = sys.argv[1:]
    if args[:1] == ["version"]:
        print("2.99.0-stand-in")
    elif args[:2] == ["database", "create"]:
        if os.environ.get("FAKE_CODEQL_FAIL") == "create":
            sys.stderr.write("fatal: could not build the database\\n")
            sys.exit(32)
        os.makedirs(args[2], exist_ok=True)
    elif args[:2] == ["database", "analyze"]:
        output = next(a.split("=", 1)[1] for a in args if a.startswith("--output="))
        shutil.copy(os.environ["FAKE_CODEQL_SARIF"], output)
''')


def test_codeql_driver_with_a_stand_in_cli(tmp_path, monkeypatch, real_sarif):
    """The codeql executable here is a stand-in script; the SARIF it returns is real Semgrep output."""
    from safecoder.analysis.codeql_backend import run_codeql

    sarif = real_sarif
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "codeql"
    fake.write_text(FAKE_CODEQL.format(python=sys.executable), encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CODEQL_LOG", str(log))
    monkeypatch.setenv("FAKE_CODEQL_SARIF", str(sarif))
    prepared = prepare_source(SourceInput(SQL, "python", "app.py"))
    output = run_codeql([(0, prepared)], cwes={"CWE-089"})
    assert output.version == "2.99.0-stand-in"
    assert {(f.cwe, f.start_line, f.path, f.analyzer) for f in output.findings[0]} == {
        ("CWE-089", 2, "app.py", "codeql")}
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    create = next(c for c in calls if c[:2] == ["database", "create"])
    analyze = next(c for c in calls if c[:2] == ["database", "analyze"])
    assert "--language=python" in create
    assert "codeql/python-queries:codeql-suites/python-security-extended.qls" in analyze
    monkeypatch.setenv("FAKE_CODEQL_FAIL", "create")
    failed = run_codeql([(0, prepared)])
    assert 0 in failed.errors and "could not build the database" in failed.errors[0] and not failed.findings
