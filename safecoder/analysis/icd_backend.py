"""CodeShield's Insecure Code Detector (ICD, CyberSecEval's judge) as a second static judge.

Inputs: prepared sources of the languages ICD covers (`ICD_LANGUAGES`), or code in any
of ICD's own languages (`run_icd_code`, for CyberSecEval's C#, PHP and Rust), the CWEs
of interest, a per-source timeout. Output: a `BackendOutput` with ICD's issues as
`Finding`s (analyzer `icd`, rule id `icd-<regex|semgrep>-<pattern id>`, CWE from ICD's
rule, lines 1-based, the whole line when ICD gives no column) and per-source errors.

ICD runs in an environment of its own (`$VENV/opt/codeshield`, made by
`scripts/install.sh`: PyPI `codeshield` with Semgrep 1.90.0, since Semgrep 1.182 makes
its Semgrep rules match nothing without an error), one driver process per batch
(`icd_driver.py`). Because ICD itself swallows Semgrep's failures, the driver checks
each language first (its rules load, and a canary snippet is flagged by each of ICD's
analyzers); a language that fails is an `error` on every one of its sources, never a
clean result. A missing environment is also an error for every source.

ICD judges what a pattern can see, much less than this project's rules (see
docs/analysis.md); it is here as an independent judge, not as a replacement. This
module does not install CodeShield and does not decide which sources it gets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from safecoder import cwe as cwe_catalog
from safecoder.analysis.backend import BackendOutput, char_column, describe_process_failure
from safecoder.analysis.findings import Finding, Severity
from safecoder.analysis.inputs import PreparedSource
from safecoder.config import ConfigError

NAME = "icd"
ENVIRONMENT_VARIABLE = "SAFECODER_CODESHIELD_PYTHON"
DRIVER = Path(__file__).with_name("icd_driver.py")
# This project's language ids that ICD has rules for (C/C++ is split again by extension).
ICD_LANGUAGES = ("c", "java", "javascript", "python", "ruby")
_CPP_EXTENSIONS = {"cc", "cpp", "cxx", "hpp", "hh", "hxx"}
# The driver's self-check and Python's start-up before the first source is judged.
_STARTUP_ALLOWANCE_S = 60.0
# ICD's one Semgrep rule without a CWE in its metadata: its regex twin (bugprone-strcpy) says CWE-120.
RULE_CWE = {"vulnerable-strcpy": "CWE-120"}
# An ICD issue whose rule names no usable CWE is still a finding (dropping it would be a
# silent "secure"); it is filed under CWE-000 so a CWE filter can still select it.
UNKNOWN_CWE = "CWE-000"
_SEVERITY: dict[str, Severity] = {"error": "error", "warning": "warning", "advice": "info"}

Usecase = Literal["cyberseceval", "codeshield"]


class CodeShieldNotInstalledError(ConfigError):
    """The ICD environment is missing."""


def codeshield_python() -> Path:
    """The Python of ICD's environment: `$SAFECODER_CODESHIELD_PYTHON`, else `<venv>/opt/codeshield`."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    if configured:
        return Path(configured)
    return Path(sys.prefix) / "opt" / "codeshield" / "bin" / "python"


def require_codeshield() -> Path:
    python = codeshield_python()
    if not python.exists():
        raise CodeShieldNotInstalledError(
            f"CodeShield's Insecure Code Detector is not installed (no {python}): run `make install` (or "
            f"set {ENVIRONMENT_VARIABLE} to the Python of an environment with codeshield and semgrep==1.90.0)")
    return python


def icd_language(source: PreparedSource) -> str:
    """ICD's name for a source's language (`c` and `cpp` apart, as ICD keeps them)."""
    if source.language.id == "c":
        return "cpp" if source.extension in _CPP_EXTENSIONS else "c"
    return source.language.id


@dataclass(frozen=True)
class IcdSource:
    """Code for ICD in one of its own languages (CyberSecEval's C#, PHP and Rust included)."""

    name: str
    language: str   # ICD's language name: c, cpp, csharp, java, javascript, php, python, ruby, rust, ...
    code: str


def run_icd(sources: Sequence[tuple[int, PreparedSource]], cwes: Collection[str] | None = None,
            timeout_s: float = 30.0, jobs: int = 2, usecase: Usecase = "cyberseceval", *,
            rules_root: Path | None = None, semgrep_core: Path | None = None) -> BackendOutput:
    """Judge prepared `sources` (index, source) with ICD in one driver process.

    `rules_root` and `semgrep_core` replace ICD's rule folder and its Semgrep (for tests
    and for trying another Semgrep); the self-check runs against them.
    """
    entries = [(index, IcdSource(source.name, icd_language(source), source.text)) for index, source in sources]
    return run_icd_code(entries, cwes, timeout_s, jobs, usecase, rules_root=rules_root, semgrep_core=semgrep_core)


def run_icd_code(sources: Sequence[tuple[int, IcdSource]], cwes: Collection[str] | None = None,
                 timeout_s: float = 30.0, jobs: int = 2, usecase: Usecase = "cyberseceval", *,
                 rules_root: Path | None = None, semgrep_core: Path | None = None) -> BackendOutput:
    """Judge code in ICD's own languages (index, source) in one driver process; see `run_icd`."""
    output = BackendOutput(NAME, "not installed")
    if not sources:
        return output
    indices = [index for index, _ in sources]
    output.sources.update(indices)
    try:
        python = require_codeshield()
    except CodeShieldNotInstalledError as exc:
        return output.fail_all(indices, str(exc))
    request = {
        "usecase": usecase, "jobs": jobs,
        "rules_root": str(rules_root) if rules_root else None,
        "semgrep_core": str(semgrep_core) if semgrep_core else None,
        "sources": [{"index": index, "language": source.language, "code": source.code} for index, source in sources],
    }
    wall_limit = _STARTUP_ALLOWANCE_S + timeout_s * max(1.0, len(sources) / max(1, jobs))
    try:
        # -I: the driver's folder (this package) must not shadow modules of ICD's environment.
        completed = subprocess.run([str(python), "-I", str(DRIVER)], input=json.dumps(request).encode(),
                                   capture_output=True, timeout=wall_limit, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        return output.fail_all(indices, describe_process_failure("CodeShield's Insecure Code Detector", exc))
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        return output.fail_all(indices, f"CodeShield's Insecure Code Detector wrote unreadable JSON ({exc})")
    output.version = f"{report.get('codeshield', '?')}/semgrep-{report.get('semgrep', '?')}"
    by_index = dict(sources)
    seen = set()
    for entry in report.get("results", []):
        index = entry.get("index")
        if index not in by_index:
            continue
        seen.add(index)
        if entry.get("error"):
            output.errors[index] = entry["error"]
            continue
        for issue in entry.get("issues", []):
            finding = _finding(issue, by_index[index])
            if cwes is None or finding.cwe in cwes:
                output.add(index, finding)
    for index in indices:
        if index not in seen:
            output.errors[index] = "CodeShield's Insecure Code Detector returned no verdict for this source"
    return output


def _cwe(issue: dict) -> str:
    raw = issue.get("cwe") or RULE_CWE.get(issue.get("pattern_id", ""))
    try:
        return cwe_catalog.normalize(raw) if raw else UNKNOWN_CWE
    except cwe_catalog.UnknownCWEError:
        return UNKNOWN_CWE


def _finding(issue: dict, source: IcdSource) -> Finding:
    lines = source.code.splitlines()
    line = int(issue.get("line") or 1)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    column = issue.get("column")
    # Semgrep's columns are 1-based bytes; a regex issue names only its line (its first non-blank).
    start_column = char_column(text, int(column) - 1) if column else len(text) - len(text.lstrip()) + 1
    return Finding(cwe=_cwe(issue), rule_id=f"icd-{issue.get('analyzer', '')}-{issue.get('pattern_id', '')}",
                   analyzer=NAME, message=str(issue.get("message", "")), path=source.name,
                   start_line=line, start_column=start_column, end_line=line, end_column=len(text) + 1,
                   severity=_SEVERITY.get(str(issue.get("severity", "")).lower(), "warning"))
