"""The interactive fast path: judge one snippet in process, in milliseconds.

Input: code, its language, optionally the CWEs of interest. Output: an `AnalysisResult`
from tree-sitter's syntax check (partial-code policy, see `syntax`) and the in-process
twins of the Semgrep rules (`fast`). No process is started, nothing touches the disk, and
the function is thread-safe (one tree-sitter parser per thread, rules are pure
functions), so the server's security gate can judge several candidates concurrently
and the language server can judge on every keystroke.

Results of the last few hundred distinct (code, language, CWEs) calls are cached (for
snippets up to `CACHED_MAX_CHARS`, so the cache stays small): an editor and the gate
send the same text again and again.

Not covered here: Bandit and CodeQL (batch only, via `analyze_sources`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from safecoder.analysis import ruleset
from safecoder.analysis.fast.registry import NAME as FAST_NAME
from safecoder.analysis.fast.registry import run_rules
from safecoder.analysis.findings import AnalysisResult
from safecoder.analysis.inputs import (
    DEFAULT_MAX_BYTES,
    InputProblem,
    SourceInput,
    normalize_cwes,
    prepare_source,
)
from safecoder.analysis.syntax import check_syntax, parse, tree_sitter_version

SYNTAX_NAME = "syntax"
CACHED_MAX_CHARS = 200_000


def analyze_snippet(code: str, language: str, cwes: Collection[str] | None = None,
                    name: str = "", max_bytes: int = DEFAULT_MAX_BYTES) -> AnalysisResult:
    """Judge `code` with the in-process rules; partial code is accepted (the result says `partial`)."""
    wanted = normalize_cwes(cwes)
    if isinstance(code, str) and len(code) <= CACHED_MAX_CHARS:
        return _cached(code, language, wanted, name, max_bytes)
    return _judge(code, language, wanted, name, max_bytes)


@functools.lru_cache(maxsize=512)
def _cached(code: str, language: str, cwes: frozenset[str] | None, name: str, max_bytes: int) -> AnalysisResult:
    return _judge(code, language, cwes, name, max_bytes)


def _judge(code: str, language: str, cwes: frozenset[str] | None, name: str, max_bytes: int) -> AnalysisResult:
    prepared = prepare_source(SourceInput(code, language, name), max_bytes=max_bytes)
    analyzers = {SYNTAX_NAME: tree_sitter_version(), FAST_NAME: ruleset.rules_version()}
    if isinstance(prepared, InputProblem):
        return AnalysisResult(prepared.name, prepared.language, "error", error=prepared.reason, analyzers=analyzers)
    tree = parse(prepared)
    verdict, tree = check_syntax(prepared, tree, policy="partial")
    if not verdict.ok:
        return AnalysisResult(prepared.name, prepared.language.id, "syntax_error", error=verdict.message,
                              analyzers={SYNTAX_NAME: analyzers[SYNTAX_NAME]})
    findings = run_rules(prepared, tree, cwes)
    findings.sort(key=lambda f: (f.start_line, f.start_column, f.rule_id))
    return AnalysisResult(prepared.name, prepared.language.id, "ok", findings=tuple(findings),
                          analyzers=analyzers, partial=verdict.partial)
