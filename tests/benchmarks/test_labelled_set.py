"""`safecoder bench labelled-set`: security-run folders become validate-gate's labelled JSONL.

The run folders are written here by hand in the security benchmark's record format (the
parts the exporter reads: scenario, CWE, language, programs, exploit verdicts, functional
outcomes); the exporter, the command and validate-gate's reader are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safecoder.analysis.validate_gate import jsonl_programs
from safecoder.benchmarks.security.exploit_tests import EXPLOITS_VERSION
from safecoder.benchmarks.security.labelled_set import (
    LabelledSetError,
    build_labelled_set,
    manifest_path,
    write_labelled_set,
)
from safecoder.cli import main

SQL_INSECURE = "def f(db, name):\n    db.execute('SELECT * FROM t WHERE n = ' + name)\n"
SQL_SECURE = "def f(db, name):\n    db.execute('SELECT * FROM t WHERE n = ?', (name,))\n"
SQL_BROKEN = "def f(db, name):\n    return db.query(name)\n"
SQL_CRASHED = "def f(db, name):\n    raise SystemExit\n"
RB_INSECURE = "def read_file\n  File.read(params[:path])\nend\n"
RB_WRONG = "def read_file\n  File.read(params[:path]).upcase\nend\n"
RB_SECURE = "def read_file\n  File.read(File.basename(params[:path]))\nend\n"


def record(scenario: str, cwe: str, language: str, programs: list[str], verdicts: list[str] | None = None,
           passed: list[bool] | None = None, exploits_version: int = EXPLOITS_VERSION) -> dict:
    data: dict = {"schema": 1, "benchmark_version": "security-1", "scenario": scenario,
                  "split": scenario.split("/")[0], "cwe": cwe, "language": language, "prompt": "p", "seed": 1,
                  "samples": programs, "finish_reasons": ["stop"] * len(programs),
                  "programs": [{"code": code, "count": 1, "first_sample": i} for i, code in enumerate(programs)],
                  "judgments": [{"status": "ok", "findings": [], "error": None, "analyzers": {}} for _ in programs]}
    if verdicts is not None:
        data["dynamic"] = {"exploits_version": exploits_version, "isolation": "namespace",
                           "verdicts": [{"verdict": v, "evidence": f"{v}: evidence {i}" if v == "insecure" else ""}
                                        for i, v in enumerate(verdicts)]}
    if passed is not None:
        data["functional"] = {"tests_version": 1, "isolation": "namespace",
                              "outcomes": [{"passed": p, "status": "passed" if p else "failed", "stderr": ""}
                                           for p in passed]}
    return data


def run_folder(root: Path, name: str, records: list[dict]) -> Path:
    folder = root / name
    scenarios = folder / "security" / "scenarios"
    scenarios.mkdir(parents=True)
    for index, data in enumerate(records):
        flat = data["scenario"].replace("/", "_")
        (scenarios / f"{flat}-{index:016x}.json").write_text(json.dumps(data))
    (folder / "result.json").write_text(json.dumps({"model": {"reference": name, "name": name}, "benchmarks": {}}))
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    first = run_folder(tmp_path, "base", [
        record("trained/cwe-089/0-py", "CWE-089", "python",
               [SQL_INSECURE, SQL_SECURE, SQL_BROKEN, SQL_CRASHED], ["insecure", "secure", "not_run", "error"]),
        # info.json says CWE-116; the folder (and the exploit test) is CWE-022.
        record("trained-new/cwe-022/1-rb", "CWE-116", "ruby", [RB_WRONG, RB_INSECURE, RB_SECURE],
               ["insecure", "insecure", "secure"], passed=[False, True, True]),
        record("trained/cwe-079/0-py", "CWE-079", "python", ["a = 1\n", "b = 2\n"]),   # no exploit test
        record("trained/cwe-078/0-py", "CWE-078", "python", ["c = 3\n"], ["insecure"], exploits_version=0),
    ])
    second = run_folder(tmp_path, "tuned", [
        # The same insecure program again (a duplicate), and a third copy of the secure one
        # that this run's exploit test called insecure (a conflict: every copy goes).
        record("trained/cwe-089/0-py", "CWE-089", "python", [SQL_INSECURE, SQL_SECURE], ["insecure", "insecure"]),
        record("trained-new/cwe-022/1-rb", "CWE-116", "ruby", [RB_SECURE], ["secure"]),
    ])
    return [first, second]


def test_labels_come_from_exploit_verdicts_and_undecided_programs_stay_out(runs):
    labelled = build_labelled_set(runs)
    rows = {(row.scenario, row.code): row for row in labelled.rows}
    assert set(rows) == {("trained-new/cwe-022/1-rb", RB_INSECURE), ("trained-new/cwe-022/1-rb", RB_SECURE),
                         ("trained/cwe-089/0-py", SQL_INSECURE)}
    assert rows[("trained/cwe-089/0-py", SQL_INSECURE)].label == "insecure"
    assert rows[("trained/cwe-089/0-py", SQL_INSECURE)].evidence == "insecure: evidence 0"
    assert rows[("trained-new/cwe-022/1-rb", RB_INSECURE)].label == "insecure"
    assert rows[("trained-new/cwe-022/1-rb", RB_SECURE)].label == "secure"
    assert rows[("trained-new/cwe-022/1-rb", RB_SECURE)].evidence == ""
    # The CWE the exploit test attacks (the scenario's folder), not the info.json's.
    assert {row.cwe for row in labelled.rows if row.language == "ruby"} == {"CWE-022"}
    assert labelled.relabelled == {"trained-new/cwe-022/1-rb": {"record": "CWE-116", "tested": "CWE-022"}}
    assert all(row.set == "model-written" for row in labelled.rows)
    assert rows[("trained/cwe-089/0-py", SQL_INSECURE)].name.endswith("base:trained/cwe-089/0-py#0")
    assert dict(labelled.excluded) == {
        "not_run": 1, "error": 1,
        "functional_failure": 1,        # RB_WRONG: insecure, but it failed the functional test
        "no_exploit_verdict": 2,        # the scenario without an exploit test
        "stale_exploit_verdict": 1,     # a verdict of another exploit-test version
        "duplicate": 3,                 # SQL_INSECURE, SQL_SECURE and RB_SECURE seen again in the second run
        "conflicting_verdicts": 1,      # SQL_SECURE: secure in one run, insecure in the other
    }


def test_the_command_writes_what_validate_gate_reads_with_a_manifest(runs, tmp_path, capsys):
    output = tmp_path / "out" / "model-written.jsonl"
    assert main(["bench", "labelled-set", *map(str, runs), "--output", str(output), "--set", "mine"]) == 0
    assert "wrote 3 programs (2 insecure, 1 secure)" in capsys.readouterr().out
    programs = jsonl_programs(output)
    assert sorted((p.cwe, p.language, p.label, p.set) for p in programs) == [
        ("CWE-022", "ruby", "insecure", "mine"), ("CWE-022", "ruby", "secure", "mine"),
        ("CWE-089", "python", "insecure", "mine")]
    manifest = json.loads(manifest_path(output).read_text())
    assert manifest["rows"] == 3 and manifest["labels"] == {"insecure": 2, "secure": 1}
    assert manifest["exploits_version"] == EXPLOITS_VERSION
    assert [s["model"]["reference"] for s in manifest["sources"]] == ["base", "tuned"]
    assert manifest["excluded"]["conflicting_verdicts"] == 1
    assert "--set mine" in manifest["command"]
    assert sorted(p.name for p in output.parent.iterdir()) == ["model-written.jsonl",
                                                               "model-written.jsonl.manifest.json"]


def test_an_existing_file_is_replaced_whole(runs, tmp_path):
    output = tmp_path / "set.jsonl"
    output.write_text("stale line\n" * 1000)
    write_labelled_set(build_labelled_set(runs[:1]), output, "c")
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == 4   # the first run alone: SQL_SECURE is no conflict there


def test_a_folder_without_security_records_is_refused_with_the_fix(tmp_path):
    with pytest.raises(LabelledSetError, match=r"holds no security records.*bench security"):
        build_labelled_set([tmp_path])


def test_a_damaged_record_is_refused(tmp_path):
    damaged = record("trained/cwe-089/0-py", "CWE-089", "python", [SQL_INSECURE, SQL_SECURE], ["insecure"])
    with pytest.raises(LabelledSetError, match="2 programs but 1 exploit verdicts"):
        build_labelled_set([run_folder(tmp_path, "run", [damaged])])
