"""Verification of rewrites: a candidate is a fix only on the parser's, compiler's and analyzer's word.

Input: the source (a whole file or an editor's document), its language, one finding in
it, the function around the finding (`functions.FunctionSpan`) and the model's answers.
Each answer's code (`prompts.extract_code`), re-indented and spliced into the source in
place of the function, must

1. be new code (not the function unchanged, not a repeat of an earlier candidate);
2. parse: tree-sitter finds no error inside the spliced range;
3. define the same function (same name);
4. be judged by the judge (status `ok`), with no finding of the CWE inside the rewritten
   function and no finding there of a CWE the original function did not already have;
5. compile where a checker is installed (`safecoder.analysis.compilers`: node, gofmt,
   javac, ruby; gcc with `compilers="always"`; Python's own parser for Python). A
   source the checker already rejects before the rewrite (a half-typed document, a C
   file whose headers are elsewhere) cannot be judged this way and skips this step.

The first candidate that passes is the fix. Output: a `FixOutcome` with the replacement
text, or the reasons every candidate was refused ("still has CWE-089 (2), does not parse
(1)").

The judge is the analysis fast path by default (`fast_judge`); `ensemble_judge` adds the
batch analyzers (Semgrep, Bandit), for findings only they report. The model is never
trusted: nothing here reads what it says about its own code.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from safecoder.analysis.compilers import CompilerPolicy, check_with_compilers
from safecoder.analysis.findings import AnalysisResult, Finding
from safecoder.analysis.inputs import InputProblem, SourceInput, prepare_source
from safecoder.analysis.syntax import check_syntax
from safecoder.languages import Language
from safecoder.repair.functions import FunctionSpan, errors_within, function_at_offset
from safecoder.repair.prompts import extract_code

logger = logging.getLogger(__name__)

# (code, language id, file name) -> the analysis of the code.
Judge = Callable[[str, str, str], AnalysisResult]


def fast_judge(code: str, language: str, name: str = "") -> AnalysisResult:
    """The analysis fast path (in process, milliseconds)."""
    from safecoder.analysis import analyze_snippet

    return analyze_snippet(code, language, name=name)


def ensemble_judge(analyzers: Sequence[str] = ("semgrep", "bandit")) -> Judge:
    """The fast path, then the batch analyzers; judged only when both judged, findings merged."""
    from safecoder.analysis import AnalysisConfig, analyze_sources

    config = AnalysisConfig(analyzers=(*analyzers, "syntax"), syntax_policy="tree-sitter", compilers="never")

    def judge(code: str, language: str, name: str = "") -> AnalysisResult:
        fast = fast_judge(code, language, name)
        if not fast.judged:
            return fast
        (batch,) = analyze_sources([SourceInput(code, language, name)], config=config)
        if not batch.judged:
            return batch
        seen = {(f.cwe, f.start_line) for f in fast.findings}
        extra = tuple(f for f in batch.findings if (f.cwe, f.start_line) not in seen)
        return AnalysisResult(fast.source, fast.language, "ok", findings=fast.findings + extra,
                              analyzers={**fast.analyzers, **batch.analyzers})

    return judge


@dataclass(frozen=True)
class FixOutcome:
    cwe: str
    function: FunctionSpan | None
    replacement: str | None = None  # the new function text, indented like the old one
    candidates: int = 0  # answers judged
    accepted: int | None = None  # 0-based position of the verified answer among them
    refusals: Counter = field(default_factory=Counter)
    reason: str = ""

    @property
    def verified(self) -> bool:
        return self.replacement is not None

    def applied_to(self, source: str) -> str:
        """`source` with the function replaced by the fix (the source it was verified on)."""
        if self.replacement is None or self.function is None:  # a verified fix has both
            raise ValueError("there is no verified fix to apply")
        return source[: self.function.start] + self.replacement + source[self.function.end:]


class _CompileCheck:
    """Whether a spliced source compiles; the original's verdict is computed once, when needed."""

    def __init__(self, source: str, language: Language, name: str, policy: CompilerPolicy):
        self.source, self.language, self.name = source, language, name
        self.policy: CompilerPolicy = policy
        self._original_ok: bool | None = None

    def rejection(self, code: str) -> str | None:
        """The checker's complaint about `code`, or None (accepted, or not judgeable here)."""
        if self.policy == "never":
            return None
        complaint = compile_complaint(code, self.language, self.name, self.policy)
        if complaint is None:
            return None
        if self._original_ok is None:
            self._original_ok = compile_complaint(self.source, self.language, self.name, self.policy) is None
        return complaint if self._original_ok else None


def compile_complaint(code: str, language: Language, name: str, policy: CompilerPolicy) -> str | None:
    prepared = prepare_source(SourceInput(code, language.id, name))
    if isinstance(prepared, InputProblem):
        return prepared.reason
    if language.id == "python":
        verdict, _ = check_syntax(prepared, policy="strict")
        return None if verdict.ok else verdict.message
    rejected = check_with_compilers([(0, prepared)], policy)
    return rejected[0].message if 0 in rejected else None


def verify_candidates(source: str, language: Language, finding: Finding, function: FunctionSpan,
                      answers: Sequence[str], *, judge: Judge = fast_judge, compilers: CompilerPolicy = "auto",
                      name: str = "", seen: set[str] | None = None) -> FixOutcome:
    """The first answer that is a verified fix, or why none is (see the module docstring).

    `seen` carries the codes already refused across several calls (rounds of drawing).
    """
    before = judge(source, language.id, name)
    old_first = source.count("\n", 0, function.start) + 1
    old_last = old_first + function.text.count("\n")
    existing = {f.cwe for f in before.findings if _within(f, old_first, old_last)} if before.judged else {finding.cwe}
    compile_check = _CompileCheck(source, language, name, compilers)
    refusals: Counter = Counter()
    seen = set() if seen is None else seen
    for index, answer in enumerate(answers):
        code = extract_code(answer)
        if not code.strip():
            refusals["gave no code"] += 1
            continue
        if code in seen:
            refusals["repeats another candidate"] += 1
            continue
        seen.add(code)
        reason = refusal(source, language, finding, function, code, existing, judge, compile_check, name)
        if reason is None:
            return FixOutcome(cwe=finding.cwe, function=function, replacement=function.reindent(code),
                              candidates=len(answers), accepted=index, refusals=refusals,
                              reason=f"{finding.cwe} is no longer found and the code parses")
        refusals[reason] += 1
    return refused(finding, function, len(answers), refusals)


def refused(finding: Finding, function: FunctionSpan, candidates: int, refusals: Counter) -> FixOutcome:
    summary = ", ".join(f"{reason} ({count})" for reason, count in refusals.most_common())
    where = f"`{function.name}`" if function.name else "this function"
    return FixOutcome(
        cwe=finding.cwe, function=function, candidates=candidates, refusals=refusals,
        reason=(f"no verified fix for {finding.cwe} in {where}: of {candidates} "
                f"candidate{'' if candidates == 1 else 's'}, {summary or 'none came back'}"),
    )


def refusal(source: str, language: Language, finding: Finding, function: FunctionSpan, code: str,
            existing: set[str], judge: Judge = fast_judge, compile_check: _CompileCheck | None = None,
            name: str = "") -> str | None:
    """Why `code` is not a fix, or None when it is one."""
    if code.strip() == function.dedented.strip():
        return "leaves the function unchanged"
    replacement = function.reindent(code)
    spliced = source[: function.start] + replacement + source[function.end:]
    new_end = function.start + len(replacement)
    if errors_within(spliced, language, function.start, new_end):
        return "does not parse"
    last_code = new_end - (len(replacement) - len(replacement.rstrip())) - 1
    rewritten = function_at_offset(spliced, language, max(last_code, function.start))
    if rewritten is None or (function.name is not None and rewritten.name != function.name):
        return f"does not define `{function.name}`" if function.name else "defines no function"
    result = judge(spliced, language.id, name)
    if not result.judged:
        return "could not be analysed"
    first = spliced.count("\n", 0, function.start) + 1
    last = first + replacement.count("\n")
    inside = [f for f in result.findings if _within(f, first, last)]
    if any(f.cwe == finding.cwe for f in inside):
        return f"still has {finding.cwe}"
    introduced = sorted({f.cwe for f in inside} - existing)
    if introduced:
        return f"introduces {', '.join(introduced)}"
    if compile_check is not None and compile_check.rejection(spliced) is not None:
        return "does not compile"
    return None


def _within(finding: Finding, first_line: int, last_line: int) -> bool:
    return finding.start_line <= last_line and finding.end_line >= first_line
