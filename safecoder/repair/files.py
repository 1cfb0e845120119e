"""Fixing whole files: every finding of the analyzer, one verified rewrite at a time.

`fix_text(text, language, candidates, settings)` analyses the text (the fast path, or the
judge given), then repeatedly takes the first finding not yet attempted, asks
`fixer.propose_fix` for a verified rewrite of its function, splices it in, and analyses
the new text again (a fix of one finding may clear another in the same function, and
lines move). Output: a `TextRepair` with every attempt, the fixed text and the findings
left.

`fix_file(path, ...)` does the same for a file and remembers the SHA-256 of the bytes it
analysed; `FileRepair.diff()` is a unified diff, and `FileRepair.apply()` writes the
fixed text atomically (`safecoder.atomic`), keeping the file's mode, and refuses
(`FileChangedError`) when the file no longer has the bytes that were analysed.

Not here: generating or judging (`fixer`, `verify`), printing (`cli`).
"""

from __future__ import annotations

import difflib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from safecoder import languages
from safecoder.analysis.findings import Finding
from safecoder.atomic import atomic_open
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_bytes
from safecoder.repair.fixer import CandidateSource, FixSettings, propose_fix
from safecoder.repair.functions import enclosing_function
from safecoder.repair.verify import FixOutcome, Judge, fast_judge


class RepairInputError(SafeCoderError):
    """A path that cannot be fixed: missing, not a file, not UTF-8, a language SafeCoder does not know."""


class FileChangedError(SafeCoderError):
    """The file changed between its analysis and the write of its fix; nothing was written."""


@dataclass(frozen=True)
class Attempt:
    finding: Finding  # as found in the text the attempt started from
    outcome: FixOutcome
    seconds: float = 0.0  # drawing and verifying its candidates


@dataclass
class TextRepair:
    original: str
    fixed: str
    language: str
    findings: list[Finding] = field(default_factory=list)  # of the original text
    attempts: list[Attempt] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)  # of the fixed text
    status: str = "ok"  # the analysis of the original: ok, syntax_error or error
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    @property
    def all_fixed(self) -> bool:
        """Every finding got a verified fix (true for a file without findings)."""
        return self.status == "ok" and not self.remaining


@dataclass
class FileRepair(TextRepair):
    path: Path = field(kw_only=True)  # keyword-only: TextRepair's fields before it have defaults
    digest: str = ""  # SHA-256 of the bytes analysed

    def diff(self) -> str:
        name = str(self.path)
        return "".join(difflib.unified_diff(self.original.splitlines(True), self.fixed.splitlines(True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))

    def apply(self) -> bool:
        """Write the fixed text; False when there is nothing to write. Raises FileChangedError."""
        if not self.changed:
            return False
        try:
            current = self.path.read_bytes()
        except OSError as exc:
            raise FileChangedError(f"{self.path}: cannot read it again before writing the fix ({exc}); "
                                   "nothing was written") from None
        if sha256_bytes(current) != self.digest:
            raise FileChangedError(f"{self.path} changed after it was analysed; nothing was written. "
                                   "Run `safecoder fix` on it again.")
        mode = stat.S_IMODE(self.path.stat().st_mode)
        with atomic_open(self.path, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(self.fixed.encode("utf-8"))
        return True


def _key(finding: Finding, text: str, language: languages.Language) -> tuple:
    function = enclosing_function(text, language, finding.start_line - 1, max(finding.start_column - 1, 0))
    return (finding.cwe, finding.rule_id, function.text if function else finding.start_line)


async def fix_text(text: str, language: str, candidates: CandidateSource, settings: FixSettings, *,
                   judge: Judge = fast_judge, name: str = "") -> TextRepair:
    resolved = languages.get(language)
    analysis = judge(text, resolved.id, name)
    repair = TextRepair(original=text, fixed=text, language=resolved.id, status=analysis.status,
                        error=analysis.error)
    if not analysis.judged:
        return repair
    repair.findings = list(analysis.findings)
    current, findings = text, list(analysis.findings)
    attempted: set[tuple] = set()
    for _ in range(3 * len(repair.findings)):
        pending = [f for f in findings if _key(f, current, resolved) not in attempted]
        if not pending:
            break
        finding = pending[0]
        attempted.add(_key(finding, current, resolved))
        started = time.perf_counter()
        outcome = await propose_fix(candidates, current, resolved, finding, settings, judge=judge, name=name)
        repair.attempts.append(Attempt(finding, outcome, round(time.perf_counter() - started, 2)))
        if outcome.verified:
            current = outcome.applied_to(current)
            after = judge(current, resolved.id, name)
            findings = list(after.findings) if after.judged else findings
    repair.fixed = current
    final = judge(current, resolved.id, name)
    repair.remaining = list(final.findings) if final.judged else list(findings)
    return repair


def read_source(path: str | os.PathLike) -> tuple[Path, bytes, str, str]:
    """(path, bytes, text, language id); bad input raises RepairInputError naming the problem."""
    path = Path(path)
    if not path.exists():
        raise RepairInputError(f"{path}: no such file")
    if not path.is_file():
        raise RepairInputError(f"{path}: not a regular file (give source files, not folders)")
    language = languages.maybe_language_of(path.name)
    if language is None:
        known = ", ".join(f".{e}" for language in languages.LANGUAGES for e in language.extensions)
        raise RepairInputError(f"{path}: SafeCoder does not know the language of a '{path.suffix or path.name}' "
                               f"file (it knows {known})")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RepairInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return path, data, text, language.id


async def fix_file(path: str | os.PathLike, candidates: CandidateSource, settings: FixSettings, *,
                   judge: Judge = fast_judge) -> FileRepair:
    path, data, text, language = read_source(path)
    repair = await fix_text(text, language, candidates, settings, judge=judge, name=path.name)
    return FileRepair(**{name: getattr(repair, name) for name in TextRepair.__dataclass_fields__},
                      path=path, digest=sha256_bytes(data))
