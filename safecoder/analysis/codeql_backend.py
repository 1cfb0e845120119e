"""CodeQL, where the `codeql` CLI is installed: a database per language, standard suites, SARIF out.

Inputs: prepared sources, the CWEs of interest, a per-source timeout. For each language
present, the sources are laid out in one folder, `codeql database create` builds a
database from it (no build for interpreted languages; `--build-mode=none` for Java and
C/C++; Go's autobuilder), and `codeql database analyze` runs the language's standard
`security-extended` suite into SARIF, read back by `sarif.read_sarif`. Output: a
`BackendOutput`. A failed database build or analysis leaves that language's sources with
an error, never with an empty result.

The CodeQL CLI is on no package registry reachable here; the tests drive this module
with a stand-in `codeql` executable and real SARIF written by Semgrep.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path

from safecoder.analysis.backend import BackendOutput, describe_process_failure, write_sources
from safecoder.analysis.inputs import PreparedSource
from safecoder.analysis.sarif import SarifError, read_sarif
from safecoder.errors import SafeCoderError

NAME = "codeql"
# CodeQL's language names and what a database build needs for each.
CODEQL_LANGUAGES = {"python": "python", "javascript": "javascript", "ruby": "ruby", "java": "java",
                    "c": "cpp", "go": "go"}
_BUILD_MODE = {"java": ["--build-mode=none"], "cpp": ["--build-mode=none"], "go": ["--build-mode=autobuild"]}
_STARTUP_ALLOWANCE_S = 300.0


class CodeQLNotInstalledError(SafeCoderError):
    """CodeQL was asked for but no `codeql` is on PATH."""


def codeql_executable() -> str | None:
    return shutil.which("codeql")


def require_codeql() -> str:
    executable = codeql_executable()
    if executable is None:
        raise CodeQLNotInstalledError(
            "the codeql analyzer was requested but no `codeql` CLI is on PATH; install the CodeQL "
            "bundle from GitHub and put it on PATH, or leave codeql out of --analyzers")
    return executable


def codeql_version(executable: str) -> str:
    try:
        completed = subprocess.run([executable, "version", "--format=terse"], capture_output=True, text=True,
                                   timeout=60, check=True)
        return completed.stdout.strip() or "unknown"
    except (subprocess.SubprocessError, OSError):
        return "unknown"


def suite_for(codeql_language: str) -> str:
    return f"codeql/{codeql_language}-queries:codeql-suites/{codeql_language}-security-extended.qls"


def run_codeql(sources: Sequence[tuple[int, PreparedSource]], cwes: Collection[str] | None = None,
               timeout_s: float = 30.0, threads: int = 0) -> BackendOutput:
    executable = require_codeql()
    output = BackendOutput(NAME, codeql_version(executable))
    output.sources.update(index for index, _ in sources)
    groups: dict[str, list[tuple[int, PreparedSource]]] = {}
    for index, source in sources:
        groups.setdefault(CODEQL_LANGUAGES[source.language.id], []).append((index, source))
    for language, group in groups.items():
        _analyze_language(executable, language, group, cwes, timeout_s, threads, output)
    return output


def _analyze_language(executable: str, language: str, group: list[tuple[int, PreparedSource]],
                      cwes: Collection[str] | None, timeout_s: float, threads: int, output: BackendOutput) -> None:
    indices = [index for index, _ in group]
    by_index = dict(group)
    wall_limit = _STARTUP_ALLOWANCE_S + timeout_s * len(group)
    with tempfile.TemporaryDirectory(prefix="safecoder-codeql-") as scratch:
        root = Path(scratch)
        source_root = root / "src"
        source_root.mkdir()
        paths = write_sources(source_root, group)
        database = root / "db"
        sarif_path = root / "results.sarif"
        create = [executable, "database", "create", str(database), f"--language={language}",
                  f"--source-root={source_root}", "--overwrite", *_BUILD_MODE.get(language, [])]
        analyze = [executable, "database", "analyze", str(database), suite_for(language), "--format=sarif-latest",
                   f"--output={sarif_path}", f"--threads={threads}"]
        for step, command in (("database create", create), ("database analyze", analyze)):
            try:
                subprocess.run(command, capture_output=True, timeout=wall_limit, check=True, cwd=scratch)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
                output.fail_all(indices, describe_process_failure(f"codeql {step} ({language})", exc))
                return
        try:
            findings = read_sarif(sarif_path)
        except SarifError as exc:
            output.fail_all(indices, f"codeql ({language}) wrote no readable SARIF: {exc}")
            return
    by_name = {os.path.basename(path): index for path, index in paths.items()}
    for finding in findings:
        index = by_name.get(os.path.basename(finding.path))
        if index is None or (cwes is not None and finding.cwe not in cwes):
            continue
        output.add(index, type(finding)(**{**finding.to_dict(), "analyzer": NAME, "path": by_index[index].name}))
