"""CodeShield's Insecure Code Detector as a backend: the real ICD in its own environment.

Everything here runs the real detector (`$VENV/opt/codeshield`, installed by
scripts/install.sh) with its real Semgrep. The rule-load failures are real too: a copy
of ICD's rules with one rule broken, and ICD's rules under the project's own Semgrep
1.182, which makes them match nothing without an error (the failure the self-check
exists for).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from safecoder.analysis import SourceInput, analyze_sources, icd_backend
from safecoder.analysis.ensemble import AnalysisConfig
from safecoder.analysis.inputs import prepare_source
from safecoder.config import ConfigError

MD5 = "import hashlib\n\n\ndef digest(password):\n    return hashlib.md5(password.encode()).hexdigest()\n"
SHA256 = "import hashlib\n\n\ndef digest(data):\n    return hashlib.sha256(data.encode()).hexdigest()\n"
STRCPY = "#include <string.h>\n\nvoid copy(char *out, const char *in) {\n    strcpy(out, in);\n}\n"
PICKLE = "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n"


@pytest.fixture(scope="module")
def icd_python() -> Path:
    python = icd_backend.codeshield_python()
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make install` (scripts/install.sh installs CodeShield)")
    return python


def prepared(code: str, language: str, name: str):
    return prepare_source(SourceInput(code, language, name))


def test_icd_finds_known_insecure_snippets_and_passes_a_secure_one(icd_python):
    results = analyze_sources([SourceInput(MD5, "python", "md5.py"), SourceInput(STRCPY, "c", "copy.c"),
                               SourceInput(SHA256, "python", "sha.py"), SourceInput(STRCPY, "go", "x.go")],
                              analyzers=["icd"], config=None)
    md5, strcpy, sha256, go = results
    assert md5.status == "ok" and md5.analyzers["icd"] == "1.0.1/semgrep-1.90.0"
    assert [(f.cwe, f.rule_id, f.start_line, f.analyzer) for f in md5.findings] == [
        ("CWE-328", "icd-regex-insecure-md5-hash-usage", 5, "icd")]
    assert md5.findings[0].start_column == 5 and not md5.is_secure()
    assert strcpy.status == "ok"
    assert {f.rule_id for f in strcpy.findings} == {"icd-regex-bugprone-strcpy", "icd-semgrep-vulnerable-strcpy"}
    # ICD's Semgrep rule has no CWE of its own; it is filed with its regex twin's.
    assert {f.cwe for f in strcpy.findings} == {"CWE-120"}
    semgrep_hit = next(f for f in strcpy.findings if f.rule_id == "icd-semgrep-vulnerable-strcpy")
    assert (semgrep_hit.start_line, semgrep_hit.start_column) == (4, 5)
    assert sha256.status == "ok" and sha256.findings == () and sha256.is_secure()
    # ICD has no Go rules: Go is not sent to it, so it does not claim to have judged it.
    assert "icd" not in go.analyzers


def test_the_cwe_filter_applies_to_icd_findings(icd_python):
    output = icd_backend.run_icd([(0, prepared(MD5 + PICKLE, "python", "both.py"))], cwes={"CWE-502"})
    assert [f.rule_id for f in output.findings[0]] == ["icd-semgrep-unsafe-pickle-use"]


def test_a_rule_that_does_not_load_is_an_error_never_a_clean_result(icd_python, tmp_path):
    """A copy of ICD's real rules with one Python rule made unparseable; the real Semgrep rejects it."""
    site = subprocess.run([str(icd_python), "-c", "import codeshield.insecure_code_detector.oss as m, os; "
                           "print(os.path.dirname(m.__file__))"], capture_output=True, text=True, check=True)
    rules = tmp_path / "rules"
    shutil.copytree(Path(site.stdout.strip()) / "rules", rules)
    generated = rules / "semgrep" / "_generated_" / "python_cyberseceval.json"
    document = json.loads(generated.read_text())
    document["rules"][0] = {**document["rules"][0], "pattern": "def f(:"}
    generated.write_text(json.dumps(document))
    output = icd_backend.run_icd([(0, prepared(PICKLE, "python", "a.py")), (1, prepared(STRCPY, "c", "b.c"))],
                                 rules_root=rules)
    assert 0 in output.errors and "do not load" in output.errors[0] and "Semgrep 1.90.0" in output.errors[0]
    assert not output.findings.get(0)
    # The C rules still load: C sources are judged.
    assert 1 not in output.errors and output.findings[1]


def test_rules_that_match_nothing_under_another_semgrep_fail_the_self_check(icd_python):
    """ICD's rules under the project's own Semgrep 1.182: ICD itself reports "no issues" for them."""
    cores = sorted(Path(sys.prefix).glob("opt/semgrep/lib/python*/site-packages/semgrep/bin/semgrep-core"))
    if not cores:
        pytest.fail("the project's Semgrep environment ($VENV/opt/semgrep) is missing: run `make install`")
    output = icd_backend.run_icd([(0, prepared(PICKLE, "python", "a.py"))], semgrep_core=cores[0])
    assert "self-check failed for python" in output.errors[0] and "unsafe-pickle-use" in output.errors[0]
    result = analyze_sources([SourceInput(PICKLE, "python", "a.py")], analyzers=["icd"])[0]
    assert result.status == "ok" and result.findings  # the installed environment, for contrast


def test_a_missing_environment_is_named_with_its_fix(monkeypatch, tmp_path):
    monkeypatch.setenv(icd_backend.ENVIRONMENT_VARIABLE, str(tmp_path / "absent" / "python"))
    with pytest.raises(ConfigError, match="make install"):
        AnalysisConfig(analyzers=("icd",))
    output = icd_backend.run_icd([(0, prepared(MD5, "python", "a.py"))])
    assert "not installed" in output.errors[0] and not output.findings
