"""Bandit for Python sources: one `bandit` process for a whole batch.

Inputs: prepared Python sources, the CWEs of interest, a per-source timeout, and the
lowest severity and confidence to keep. Output: a `BackendOutput` with Bandit's issues
as `Finding`s (CWE from Bandit's own `issue_cwe`, except the few remapped below to the
CWE the paper's CodeQL queries use for the same weakness), and a per-source error for
every file Bandit could not parse or read.

Bandit also reports code-quality checks that say nothing about a vulnerability in the
code at hand (an `assert`, importing `subprocess`, every subprocess call). Those are
never findings here (`IGNORED_TESTS`); the reason is kept beside each one.

This module does not parse Python itself; Bandit does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Collection, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

from safecoder import cwe as cwe_catalog
from safecoder.analysis.backend import (
    BackendOutput,
    char_column,
    describe_process_failure,
    index_of,
    write_sources,
)
from safecoder.analysis.findings import Finding, Severity
from safecoder.analysis.inputs import PreparedSource

NAME = "bandit"
Level = Literal["low", "medium", "high"]
_RANK = {"low": 0, "medium": 1, "high": 2, "undefined": -1}
_STARTUP_ALLOWANCE_S = 30.0

IGNORED_TESTS = {
    "B101": "assert statements are a robustness issue, not a vulnerability in the judged code",
    "B404": "importing subprocess is not a weakness; its calls are judged by other checks",
    "B603": "fires on every subprocess call without a shell, which is the secure form of CWE-078",
    "B110": "try/except/pass is error handling style (CWE-703), not a Top 25 weakness",
    "B112": "try/except/continue, as above",
}

# Bandit's CWE for these checks differs from the CWE under which the paper's queries
# (and this project's rules) report the same weakness.
CWE_REMAP = {
    "B701": "CWE-079",  # jinja2 autoescape=False: Bandit says CWE-094, CodeQL's Jinja2WithoutEscaping says CWE-079
    "B703": "CWE-079",  # django mark_safe
    "B308": "CWE-079",  # mark_safe
    "B506": "CWE-502",  # yaml.load: Bandit says CWE-020, the paper's scenario is CWE-502
}


def bandit_version() -> str:
    try:
        return version("bandit")
    except PackageNotFoundError:
        return "not installed"


def run_bandit(sources: Sequence[tuple[int, PreparedSource]], cwes: Collection[str] | None = None,
               timeout_s: float = 30.0, min_severity: Level = "medium",
               min_confidence: Level = "medium") -> BackendOutput:
    """Run Bandit over the Python `sources` (index, source) in one process."""
    output = BackendOutput(NAME, bandit_version())
    if not sources:
        return output
    indices = [index for index, _ in sources]
    output.sources.update(indices)
    by_index = dict(sources)
    with tempfile.TemporaryDirectory(prefix="safecoder-bandit-") as scratch:
        folder = Path(scratch)
        paths = write_sources(folder, sources)
        command = [sys.executable, "-m", "bandit", "--format", "json", "--quiet", *paths]
        wall_limit = _STARTUP_ALLOWANCE_S + timeout_s * len(sources)
        try:
            completed = subprocess.run(command, capture_output=True, timeout=wall_limit, check=True, cwd=scratch)
            stdout = completed.stdout
        except subprocess.CalledProcessError as exc:
            # Bandit exits 1 whenever it found an issue; its JSON is still complete.
            stdout = exc.stdout or b""
            if exc.returncode != 1 or not stdout.strip().startswith(b"{"):
                return output.fail_all(indices, describe_process_failure("bandit", exc))
        except (subprocess.TimeoutExpired, OSError) as exc:
            return output.fail_all(indices, describe_process_failure("bandit", exc))
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as exc:
        return output.fail_all(indices, f"bandit wrote unreadable JSON ({exc})")
    for error in report.get("errors", []):
        index = index_of(paths, error.get("filename", ""), folder)
        if index is not None:
            output.errors[index] = f"bandit could not analyse it: {error.get('reason', 'unknown error')}"
    for issue in report.get("results", []):
        index = index_of(paths, issue.get("filename", ""), folder)
        test_id = issue.get("test_id", "")
        if index is None or test_id in IGNORED_TESTS:
            continue
        if _RANK.get(str(issue.get("issue_severity", "")).lower(), -1) < _RANK[min_severity]:
            continue
        if _RANK.get(str(issue.get("issue_confidence", "")).lower(), -1) < _RANK[min_confidence]:
            continue
        cwe = CWE_REMAP.get(test_id) or _cwe_of(issue)
        if cwe is None or (cwes is not None and cwe not in cwes):
            continue
        output.add(index, _finding(issue, cwe, by_index[index]))
    return output


def _cwe_of(issue: dict) -> str | None:
    raw = (issue.get("issue_cwe") or {}).get("id")
    try:
        return cwe_catalog.normalize(raw) if raw else None
    except cwe_catalog.UnknownCWEError:
        return None


def _finding(issue: dict, cwe: str, source: PreparedSource) -> Finding:
    lines = source.text.splitlines()
    line = int(issue.get("line_number", 1))
    line_range = issue.get("line_range") or [line]
    end_line = int(line_range[-1])
    start_text = lines[line - 1] if 0 < line <= len(lines) else ""
    end_text = lines[end_line - 1] if 0 < end_line <= len(lines) else ""
    start_column = char_column(start_text, int(issue.get("col_offset", 0) or 0))
    end_offset = issue.get("end_col_offset")
    end_column = char_column(end_text, int(end_offset)) if end_offset is not None else len(end_text) + 1
    severity: Severity = "error" if str(issue.get("issue_severity", "")).lower() == "high" else "warning"
    return Finding(cwe=cwe, rule_id=f"bandit-{issue.get('test_id', '')}-{issue.get('test_name', '')}",
                   analyzer=NAME, message=str(issue.get("issue_text", "")), path=source.name,
                   start_line=line, start_column=start_column, end_line=end_line, end_column=end_column,
                   severity=severity)
