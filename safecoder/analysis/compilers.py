"""Syntax checks by the languages' own tools, for whole files, beside tree-sitter.

Tree-sitter recovers from errors and accepts some code that the language rejects; the
paper removed samples that "do not parse or compile". This module asks the real tools,
batched where the tool allows it:

| language   | tool (one process per batch unless noted)           | checks                   | policy       |
|------------|-----------------------------------------------------|--------------------------|--------------|
| Java       | `javac` stopped after parsing                       | syntax                   | auto, always |
| JavaScript | `node`, compiling each file as Node does (CommonJS, then ES module); not JSX | syntax | auto, always |
| Ruby       | `ruby`, `RubyVM::InstructionSequence.compile`       | syntax                   | auto, always |
| Go         | `gofmt -e`                                          | syntax                   | auto, always |
| C/C++      | `gcc`/`g++ -fsyntax-only`, one process per file     | syntax *and* types, needs every header | always |
| Python     | Python's own parser, in process (see `syntax`)      | syntax                   | always (strict) |

`auto` uses only checks that need nothing but the file itself. `always` adds gcc, which
also rejects undeclared identifiers and missing headers: right for self-contained files
such as scenario completions (the paper compiled those), wrong for a repository file whose
headers are elsewhere. A tool that is not installed is skipped (the verdict says which
checker judged). Input: prepared sources; output: a verdict per source index for those
a tool rejected.

This module does not run tree-sitter.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from safecoder.analysis.backend import index_of, write_sources
from safecoder.analysis.inputs import PreparedSource
from safecoder.analysis.syntax import SyntaxVerdict

CompilerPolicy = Literal["auto", "always", "never"]

# Compiles each file the way Node loads it: as a CommonJS function body, and when that
# fails on module syntax (import/export/await), as an ES module.
_NODE_CHECKER = r"""
const fs = require("fs"), vm = require("vm");
const CJS = ["exports", "require", "module", "__filename", "__dirname"];
function line(err) { const m = String(err.stack || "").split("\n")[0].match(/:(\d+)$/); return m ? Number(m[1]) : null; }
function check(file) {
  const src = fs.readFileSync(file, "utf8");
  try { vm.compileFunction(src, CJS, { filename: file }); return { file, ok: true }; }
  catch (err) {
    if (!(err instanceof SyntaxError)) return { file, ok: true };
    if (/import|export|await/.test(err.message) && vm.SourceTextModule) {
      try { new vm.SourceTextModule(src, { identifier: file }); return { file, ok: true }; }
      catch (err2) { return { file, ok: false, line: line(err2), message: err2.message }; }
    }
    return { file, ok: false, line: line(err), message: err.message };
  }
}
for (const f of process.argv.slice(1)) console.log(JSON.stringify(check(f)));
"""

_RUBY_CHECKER = r"""
require "json"
ARGV.each do |file|
  begin
    RubyVM::InstructionSequence.compile(File.read(file, encoding: "UTF-8"), file)
    puts JSON.generate({file: file, ok: true})
  rescue SyntaxError => e
    found = e.message[/:(\d+):/, 1]
    puts JSON.generate({file: file, ok: false, line: found && found.to_i, message: e.message.lines.first.to_s.strip})
  end
end
"""
_PER_FILE_TIMEOUT_S = 20.0
_LOCATED = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:(?P<column>\d+):)?\s*(?:error:)?\s*(?P<message>.*)$")


def available_checkers(policy: CompilerPolicy) -> dict[str, str]:
    """language id -> tool name, for the tools installed and allowed by `policy`."""
    if policy == "never":
        return {}
    wanted = {"java": "javac", "javascript": "node", "ruby": "ruby", "go": "gofmt"}
    if policy == "always":
        wanted["c"] = "gcc"
    return {language: tool for language, tool in wanted.items() if shutil.which(tool)}


def check_with_compilers(sources: Sequence[tuple[int, PreparedSource]], policy: CompilerPolicy,
                         jobs: int = 2) -> dict[int, SyntaxVerdict]:
    """Verdicts for the sources a compiler rejected (index -> verdict); accepted ones are absent."""
    tools = available_checkers(policy)
    by_language: dict[str, list[tuple[int, PreparedSource]]] = {}
    for index, source in sources:
        if source.language.id in tools and not (source.language.id == "javascript" and source.extension == "jsx"):
            by_language.setdefault(source.language.id, []).append((index, source))
    rejected: dict[int, SyntaxVerdict] = {}
    with tempfile.TemporaryDirectory(prefix="safecoder-compile-") as scratch:
        folder = Path(scratch)
        paths = write_sources(folder, [item for group in by_language.values() for item in group])
        per_file_jobs = []
        sources_by_index = dict(sources)
        for language, group in by_language.items():
            members = {index for index, _ in group}
            group_paths = {path: index for path, index in paths.items() if index in members}
            if language == "java":
                rejected.update(_batch(["javac", "-XDshould-stop.ifError=PARSE", "-XDshould-stop.ifNoError=PARSE",
                                        "-d", str(folder / "classes"), "-proc:none"], group_paths, folder, "javac"))
            elif language == "go":
                rejected.update(_batch(["gofmt", "-e", "-l"], group_paths, folder, "gofmt"))
            elif language == "javascript":
                rejected.update(_scripted(["node", "--experimental-vm-modules", "--no-warnings", "-e", _NODE_CHECKER],
                                          group_paths, folder, "node"))
            elif language == "ruby":
                rejected.update(_scripted(["ruby", "-e", _RUBY_CHECKER], group_paths, folder, "ruby"))
            else:
                per_file_jobs.extend((language, path, index) for path, index in group_paths.items())
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for index, verdict in pool.map(lambda job: _single(*job, sources_by_index=sources_by_index),
                                          per_file_jobs):
                if verdict is not None:
                    rejected[index] = verdict
    return rejected


def _batch(command: list[str], paths: dict[str, int], folder: Path, tool: str) -> dict[int, SyntaxVerdict]:
    if not paths:
        return {}
    timeout = 30.0 + _PER_FILE_TIMEOUT_S * len(paths) / 10
    try:
        subprocess.run([*command, *paths], capture_output=True, timeout=timeout, check=True, cwd=folder)
        return {}
    except subprocess.CalledProcessError as exc:
        output = (exc.stderr or b"").decode("utf-8", "replace") + (exc.stdout or b"").decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return {index: SyntaxVerdict(False, tool, f"{tool} timed out") for index in paths.values()}
    rejected: dict[int, SyntaxVerdict] = {}
    for line in output.splitlines():
        match = _LOCATED.match(line.strip())
        if not match:
            continue
        index = index_of(paths, match.group("path"), folder)
        if index is None or index in rejected:
            continue
        line_number = int(match.group("line"))
        column = int(match.group("column")) if match.group("column") else None
        where = f"line {line_number}" + (f", column {column}" if column else "")
        rejected[index] = SyntaxVerdict(False, tool, f"{where}: {match.group('message').strip()} ({tool})",
                                        line_number, column)
    if not rejected and output.strip():
        # The tool failed without naming a file: every file in the batch is unjudged by it.
        reason = " ".join(output.strip().splitlines()[-2:])[:300]
        return {index: SyntaxVerdict(False, tool, f"{tool} failed: {reason}") for index in paths.values()}
    return rejected


def _scripted(command: list[str], paths: dict[str, int], folder: Path, tool: str) -> dict[int, SyntaxVerdict]:
    """Run a checker script that prints one JSON verdict per file."""
    if not paths:
        return {}
    timeout = 30.0 + _PER_FILE_TIMEOUT_S * len(paths) / 10
    try:
        completed = subprocess.run([*command, *paths], capture_output=True, timeout=timeout, check=True, cwd=folder)
    except subprocess.CalledProcessError as exc:
        reason = " ".join((exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-2:])[:300]
        return {index: SyntaxVerdict(False, tool, f"{tool} failed: {reason}") for index in paths.values()}
    except subprocess.TimeoutExpired:
        return {index: SyntaxVerdict(False, tool, f"{tool} timed out") for index in paths.values()}
    rejected: dict[int, SyntaxVerdict] = {}
    for line in completed.stdout.decode("utf-8", "replace").splitlines():
        try:
            verdict = json.loads(line)
        except json.JSONDecodeError:
            continue
        index = index_of(paths, str(verdict.get("file", "")), folder)
        if index is None or verdict.get("ok"):
            continue
        message = str(verdict.get("message", "rejected")).split(": ", 1)[-1] if tool == "ruby" else \
            str(verdict.get("message", "rejected"))
        where = f"line {verdict['line']}: " if verdict.get("line") else ""
        rejected[index] = SyntaxVerdict(False, tool, f"{where}{message} ({tool})", verdict.get("line"))
    return rejected


def _single(language: str, path: str, index: int, sources_by_index: dict) -> tuple[int, SyntaxVerdict | None]:
    source = sources_by_index[index]
    compiler = "gcc" if source.extension in ("c", "h") else "g++"
    mode = "c" if compiler == "gcc" else "c++"
    command, tool = [compiler, "-fsyntax-only", "-w", "-x", mode, path], compiler
    try:
        subprocess.run(command, capture_output=True, timeout=_PER_FILE_TIMEOUT_S, check=True)
        return index, None
    except subprocess.CalledProcessError as exc:
        output = (exc.stderr or b"").decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return index, SyntaxVerdict(False, tool, f"{tool} timed out after {_PER_FILE_TIMEOUT_S:.0f} s")
    for line in output.splitlines():
        match = _LOCATED.match(line.strip())
        if match and "error" in line:
            line_number = int(match.group("line"))
            column = int(match.group("column")) if match.group("column") else None
            where = f"line {line_number}" + (f", column {column}" if column else "")
            return index, SyntaxVerdict(False, tool, f"{where}: {match.group('message').strip()} ({tool})",
                                        line_number, column)
    first = next((line for line in output.splitlines() if line.strip()), "rejected")
    return index, SyntaxVerdict(False, tool, f"{first.strip()[:300]} ({tool})")
