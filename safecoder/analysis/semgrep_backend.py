"""Semgrep with the project's own rules: one `semgrep scan` process for a whole batch of sources.

Inputs: prepared sources, the CWEs of interest (only those rule files are loaded), a
per-source timeout. Output: a `BackendOutput` with Semgrep's findings mapped to the
project's `Finding` (CWE from the rule's metadata, 1-based lines and character columns,
end exclusive) and per-source errors for timeouts, out-of-memory and unreadable targets.
Semgrep's partial-parsing warnings are not errors: it judged what it could parse, and the
syntax check decides separately whether the code parses.

Semgrep is always run offline (`--metrics=off --disable-version-check`); otherwise each
call waits about 90 s on the network. A process start costs about 1.8 s, which is why
this path is for batches; `analyze_snippet` uses the in-process rules instead.

This module does not decide which sources reach Semgrep (the ensemble does), and it can
write SARIF (`sarif_output`) but never reads it (see `sarif`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

from safecoder.analysis import ruleset
from safecoder.analysis.backend import (
    BackendOutput,
    char_column,
    describe_process_failure,
    index_of,
    write_sources,
)
from safecoder.analysis.findings import Finding
from safecoder.analysis.inputs import PreparedSource

logger = logging.getLogger(__name__)

NAME = "semgrep"
# Semgrep's own start-up (reading rules, spawning its core) before any file is scanned.
_STARTUP_ALLOWANCE_S = 60.0
# Error types after which Semgrep has not judged the whole file.
_FATAL_ERROR_TYPES = ("Timeout", "OutOfMemory", "StackOverflow", "Fatal error", "Other syntax error")


class SemgrepNotFoundError(FileNotFoundError):
    pass


def semgrep_executable() -> str:
    """The `semgrep` beside this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "semgrep"
    if beside.exists():
        return str(beside)
    found = shutil.which("semgrep")
    if found:
        return found
    raise SemgrepNotFoundError(2, "semgrep is not installed", "semgrep")


def semgrep_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
    return env


def semgrep_command(targets: Sequence[str], rule_files: Sequence[Path], timeout_s: float, jobs: int,
                    output_format: str = "--json") -> list[str]:
    command = [semgrep_executable(), "scan", "--metrics=off", "--disable-version-check", output_format,
               "--quiet", "--no-rewrite-rule-ids", "--no-git-ignore", "--timeout", str(max(1, int(timeout_s))),
               "--timeout-threshold", "0", "--max-target-bytes", "0", "--jobs", str(jobs)]
    for rule_file in rule_files:
        command += ["--config", str(rule_file)]
    return command + list(targets)


def run_semgrep(sources: Sequence[tuple[int, PreparedSource]], cwes: Collection[str] | None = None,
                timeout_s: float = 30.0, jobs: int | None = None) -> BackendOutput:
    """Scan `sources` (index, source) in one Semgrep process; findings restricted to `cwes`."""
    output = BackendOutput(NAME, "unknown")
    indices = [index for index, _ in sources]
    output.sources.update(indices)
    if not sources:
        return output
    rule_files = ruleset.semgrep_rule_files(cwes)
    if not rule_files:
        # No rule for any requested CWE: Semgrep judged nothing, which is not "clean" either.
        wanted = ", ".join(sorted(cwes or ()))
        return output.fail_all(indices, f"semgrep has no rule for {wanted}")
    rules = ruleset.semgrep_rules()
    by_index = dict(sources)
    line_bytes: dict[int, list[bytes]] = {}
    jobs = jobs or max(1, min(os.cpu_count() or 1, 4))
    with tempfile.TemporaryDirectory(prefix="safecoder-semgrep-") as scratch:
        folder = Path(scratch)
        paths = write_sources(folder, sources)
        command = semgrep_command(list(paths), rule_files, timeout_s, jobs)
        wall_limit = _STARTUP_ALLOWANCE_S + timeout_s * max(1, len(sources) / jobs)
        try:
            completed = subprocess.run(command, capture_output=True, timeout=wall_limit, check=True,
                                       env=semgrep_environment(), cwd=scratch)
            stdout = completed.stdout
        except subprocess.CalledProcessError as exc:
            # Semgrep exits non-zero for some per-file problems yet still reports JSON.
            stdout = exc.stdout or b""
            if not stdout.strip().startswith(b"{"):
                return output.fail_all(indices, describe_process_failure("semgrep", exc))
        except (subprocess.TimeoutExpired, OSError) as exc:
            return output.fail_all(indices, describe_process_failure("semgrep", exc))
        try:
            report = json.loads(stdout)
        except json.JSONDecodeError as exc:
            return output.fail_all(indices, f"semgrep wrote unreadable JSON ({exc}); rerun with -v for details")
    output.version = f"{report.get('version', 'unknown')}/{ruleset.rules_version()}"
    for result in report.get("results", []):
        index = index_of(paths, result.get("path", ""), folder)
        rule_id = str(result.get("check_id", "")).rsplit(".", 1)[-1]
        info = rules.get(rule_id)
        if index is None or info is None:
            logger.warning("semgrep reported %s on %s, which is not a known rule or target", rule_id, result.get("path"))
            continue
        if cwes is not None and info.cwe not in cwes:
            continue
        start, end = result.get("start", {}), result.get("end", {})
        lines = line_bytes.setdefault(index, by_index[index].data.split(b"\n"))
        start_line, end_line = int(start.get("line", 1)), int(end.get("line", start.get("line", 1)))
        output.add(index, Finding(
            cwe=info.cwe, rule_id=rule_id, analyzer=NAME, message=result.get("extra", {}).get("message", info.message),
            path=by_index[index].name, start_line=start_line,
            start_column=_character_column(lines, start_line, int(start.get("col", 1))),
            end_line=end_line, end_column=_character_column(lines, end_line, int(end.get("col", start.get("col", 1)))),
            severity=info.severity,
        ))
    for error in report.get("errors", []):
        _record_error(output, error, paths, folder)
    return output


def _character_column(lines: list[bytes], line: int, byte_column: int) -> int:
    """Semgrep counts columns in bytes; findings count characters."""
    if not 0 < line <= len(lines):
        return byte_column
    return char_column(lines[line - 1], byte_column - 1)


def _record_error(output: BackendOutput, error: dict, paths: dict[str, int], folder: Path) -> None:
    error_type = error.get("type")
    type_name = error_type[0] if isinstance(error_type, list) and error_type else str(error_type or "")
    reported = error.get("path") or next((span.get("file") for span in error.get("spans", []) if span.get("file")), "")
    index = index_of(paths, reported, folder) if reported else None
    if index is None:
        if error.get("level") == "error":
            # An error not tied to a target (a rule problem) leaves every target unjudged.
            for every in paths.values():
                output.errors.setdefault(every, f"semgrep error: {error.get('message', type_name)}")
        return
    if type_name == "PartialParsing" or (error.get("level") != "error" and type_name not in _FATAL_ERROR_TYPES):
        return
    message = " ".join(str(error.get("message", type_name)).split())
    rule = error.get("rule_id")
    output.errors[index] = f"semgrep {type_name.lower() or 'error'}{f' in rule {rule}' if rule else ''}: {message}"
