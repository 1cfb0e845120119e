"""What an analyzer says about a piece of code: typed findings and per-source results.

Every consumer (the collector's fix verification, the benchmarks' judge, the server's
gate, the language server's diagnostics) reads these two records and nothing
analyzer-specific. A result's `status` keeps "we could not judge this code" apart from
"we judged it and found nothing": unparseable code is `syntax_error`, and an analyzer
that crashed, timed out or was given unusable input is `error`. Neither ever counts as
secure.

Positions: `start_line`/`start_column` are 1-based; `end_line`/`end_column` point just
past the last character (exclusive), also 1-based. Columns count Unicode code points,
not bytes; a language server converts them to its own encoding (LSP: 0-based, UTF-16).
`partial` on a result marks code judged as unfinished (see `safecoder.analysis.syntax`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Status = Literal["ok", "syntax_error", "error"]


@dataclass(frozen=True)
class Finding:
    cwe: str
    rule_id: str
    analyzer: str
    message: str
    path: str = ""
    start_line: int = 1
    start_column: int = 1
    end_line: int = 1
    end_column: int = 1
    severity: Severity = "warning"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(**data)


@dataclass(frozen=True)
class AnalysisResult:
    """The verdict on one source (a file or an in-memory snippet)."""

    source: str
    language: str | None
    status: Status
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    analyzers: dict[str, str] = field(default_factory=dict)
    partial: bool = False

    @property
    def judged(self) -> bool:
        """True when the code was analysed to the end (status `ok`)."""
        return self.status == "ok"

    def cwes(self) -> set[str]:
        return {f.cwe for f in self.findings}

    def has_cwe(self, cwe: str) -> bool:
        return any(f.cwe == cwe for f in self.findings)

    def is_secure(self, cwe: str | None = None) -> bool:
        """Judged and free of findings (of `cwe`, when given). Unjudged code is never secure."""
        if not self.judged:
            return False
        return not self.findings if cwe is None else not self.has_cwe(cwe)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "language": self.language,
            "status": self.status,
            "findings": [f.to_dict() for f in self.findings],
            "error": self.error,
            "analyzers": dict(self.analyzers),
            "partial": self.partial,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisResult:
        return cls(
            source=data["source"],
            language=data.get("language"),
            status=data["status"],
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            error=data.get("error"),
            analyzers=dict(data.get("analyzers", {})),
            partial=bool(data.get("partial", False)),
        )
