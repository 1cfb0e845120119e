"""The cheap heuristic filter: which commits deserve a look at their code.

Input: `CommitInfo` (message, parents, changed files with line counts). Output: a
`FilterDecision` per commit: kept with the candidate CWEs and the source files to
analyse, or dropped with the reason (the first check that failed, in this order):

1. `merge commit` / `root commit`: no single version before the change;
2. `no security keyword`: the message names no CWE keyword nor a generic security word
   (an advisory's CWE, when the source gives one, stands in for the keywords);
3. `no source file`: after leaving out files of unsupported types and test, vendored
   and generated files (those never count, neither as files nor as lines);
4. `too many files` / `too many changed lines`: over `max_files` / `max_changed_lines`.

A source that does not list the changed files (a bare GH Archive push) passes checks 3
and 4 here; they are applied once the repository is read. The filter looks at metadata
only, never at code, and it is the one step that runs over every commit of a stream, so
it stays allocation-light (see `safecoder.collector.perf`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from safecoder import cwe as cwe_catalog
from safecoder import languages
from safecoder.collector.commits import ChangedFile, CommitInfo
from safecoder.collector.config import CollectConfig
from safecoder.collector.keywords import GENERIC, KeywordMatcher
from safecoder.config import ConfigError

MERGE = "merge commit"
ROOT = "root commit"
NO_KEYWORD = "no security keyword"
NO_SOURCE = "no source file"
TOO_MANY_FILES = "too many files"
TOO_MANY_LINES = "too many changed lines"
BINARY = "binary source file"


@dataclass(frozen=True)
class FilterDecision:
    kept: bool
    reason: str = ""
    cwes: tuple[str, ...] = ()  # sorted; ("*",) = any CWE
    source_files: tuple[str, ...] = ()
    detail: str = ""


class CommitFilter:
    """Applies the checks above; build once, call `decide` per commit."""

    def __init__(self, config: CollectConfig, matcher: KeywordMatcher):
        self.config = config
        self.matcher = matcher
        self._excluded = {
            "test file": _union(config.test_paths),
            "vendored file": _union(config.vendored_paths),
            "generated file": _union(config.generated_paths),
        }
        self._language_by_extension = {
            ext: language.id for language in languages.LANGUAGES for ext in language.extensions
        }

    def classify(self, path: str) -> str:
        """`source`, `unsupported type`, `test file`, `vendored file` or `generated file`."""
        extension = os.path.splitext(path)[1][1:].lower()
        if extension not in self._language_by_extension:
            return "unsupported type"
        for kind, regex in self._excluded.items():
            if regex is not None and regex.search(path):
                return kind
        return "source"

    def language_of(self, path: str) -> str | None:
        return self._language_by_extension.get(os.path.splitext(path)[1][1:].lower())

    def decide(self, commit: CommitInfo) -> FilterDecision:
        if commit.parents is not None:
            if len(commit.parents) > 1:
                return FilterDecision(False, MERGE)
            if len(commit.parents) == 0:
                return FilterDecision(False, ROOT)
        if commit.advisory_cwes:
            cwes = tuple(sorted({cwe_catalog.normalize(c) for c in commit.advisory_cwes}))
        else:
            matched = self.matcher.match(commit.message)
            if not matched:
                return FilterDecision(False, NO_KEYWORD)
            cwes = tuple(sorted(matched))
        if commit.files is None:
            return FilterDecision(True, cwes=cwes)
        return self.decide_files(commit.files, cwes)

    def decide_files(self, files: tuple[ChangedFile, ...], cwes: tuple[str, ...]) -> FilterDecision:
        sources: list[ChangedFile] = []
        left_out: list[str] = []
        for changed in files:
            kind = self.classify(changed.path)
            if kind == "source":
                sources.append(changed)
            else:
                left_out.append(kind)
        if not sources:
            kinds = sorted(set(left_out)) or ["no files"]
            return FilterDecision(False, NO_SOURCE, detail=", ".join(kinds))
        if len(sources) > self.config.max_files:
            return FilterDecision(False, TOO_MANY_FILES, detail=f"{len(sources)} > {self.config.max_files}")
        total = 0
        for changed in sources:
            lines = changed.changed_lines
            if lines is None:
                return FilterDecision(False, BINARY, detail=changed.path)
            total += lines
        if total > self.config.max_changed_lines:
            return FilterDecision(False, TOO_MANY_LINES, detail=f"{total} > {self.config.max_changed_lines}")
        return FilterDecision(True, cwes=cwes, source_files=tuple(sorted(c.path for c in sources)))


def is_generic(cwes: tuple[str, ...]) -> bool:
    return cwes == (GENERIC,)


def _union(patterns: tuple[str, ...]) -> re.Pattern | None:
    if not patterns:
        return None
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"path pattern {pattern!r} is not a valid regular expression: {exc}") from None
    return re.compile("|".join(f"(?:{p})" for p in patterns))
