"""Deciding which CWEs a commit fixed, from the analysis of its files before and after.

Input: per changed source file, the `AnalysisResult` of the version before and of the
version after (None where the file did not exist on that side), and the candidate CWEs
the filter found (`("*",)` for any). Output: the fixed CWEs, or the reason there are
none.

A (commit, CWE) pair is a fix when the version before has findings of that CWE and the
version after has none, and every version was judged: a syntax error or an analyzer
failure on either side drops the commit, because an unjudged version is never "no
findings" (see `safecoder.analysis.findings`). The analysis itself runs elsewhere
(`safecoder.collector.tasks`); this module is pure decisions over results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safecoder.analysis.findings import AnalysisResult, Finding
from safecoder.collector.keywords import GENERIC

UNJUDGED = "version not judged"
NO_FINDING_BEFORE = "no finding before the fix"
FINDING_REMAINS = "finding remains after the fix"


@dataclass(frozen=True)
class FileJudgement:
    path: str
    language: str
    before: AnalysisResult | None
    after: AnalysisResult | None

    def findings_before(self, cwe: str | None = None) -> list[Finding]:
        if self.before is None:
            return []
        return [f for f in self.before.findings if cwe is None or f.cwe == cwe]

    def findings_after(self, cwe: str | None = None) -> list[Finding]:
        if self.after is None:
            return []
        return [f for f in self.after.findings if cwe is None or f.cwe == cwe]


@dataclass(frozen=True)
class FixVerdict:
    fixed: tuple[str, ...]
    reason: str = ""
    detail: str = ""

    @property
    def is_fix(self) -> bool:
        return bool(self.fixed)


def judge_fix(files: Sequence[FileJudgement], candidate_cwes: Sequence[str]) -> FixVerdict:
    """The CWEs with findings before and none after, over all of a commit's files."""
    for judgement in files:
        for side, result in (("before", judgement.before), ("after", judgement.after)):
            if result is not None and not result.judged:
                why = result.error or result.status
                return FixVerdict((), UNJUDGED, f"{judgement.path} {side}: {result.status}: {why}"[:500])
    before: set[str] = set()
    after: set[str] = set()
    for judgement in files:
        before |= {f.cwe for f in judgement.findings_before()}
        after |= {f.cwe for f in judgement.findings_after()}
    if tuple(candidate_cwes) != (GENERIC,):
        before &= set(candidate_cwes)
    if not before:
        return FixVerdict((), NO_FINDING_BEFORE, f"candidates {', '.join(candidate_cwes)}")
    fixed = before - after
    if not fixed:
        return FixVerdict((), FINDING_REMAINS, ", ".join(sorted(before)))
    return FixVerdict(tuple(sorted(fixed)))


def analyzer_versions(files: Sequence[FileJudgement]) -> dict[str, str]:
    """Every analyzer (and rule set) version that judged any of the files."""
    versions: dict[str, str] = {}
    for judgement in files:
        for result in (judgement.before, judgement.after):
            if result is not None:
                versions.update(result.analyzers)
    return dict(sorted(versions.items()))
