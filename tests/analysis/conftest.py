"""Fixtures for the analysis tests: the rule test cases, judged once by Semgrep and by the fast path.

Rule test cases live in `rule_cases/<rule-id>.<ext>`, written by the project. A comment
line holding `ruleid: <id>` says the next code line starts a finding of that rule; `ok:
<id>` says the next code line has none. Every other line of the file must be free of
the file's rule as well. One Semgrep process judges all the case files (the real
Semgrep, the package's rules); the in-process rules judge each file in turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parent / "rule_cases"
_ANNOTATION = re.compile(r"(?:#|//|/\*)\s*(ruleid|ok):\s*([\w-]+)")


@dataclass
class RuleCase:
    path: Path
    rule_id: str
    expected: set[int] = field(default_factory=set)       # lines where the file's rule must fire
    expected_clean: set[int] = field(default_factory=set)  # lines annotated `ok:`
    semgrep: set[tuple[str, int]] = field(default_factory=set)
    fast: set[tuple[str, int]] = field(default_factory=set)
    semgrep_error: str | None = None


def load_cases() -> list[RuleCase]:
    cases = []
    from safecoder.languages import maybe_language_of

    for path in sorted(CASES.iterdir()):
        if not path.is_file() or path.name.startswith(".") or maybe_language_of(path.name) is None:
            continue
        case = RuleCase(path, path.stem)
        lines = path.read_text(encoding="utf-8").splitlines()
        pending: list[tuple[str, str]] = []
        for number, line in enumerate(lines, start=1):
            match = _ANNOTATION.search(line)
            if match and line.strip().startswith(("#", "//", "/*")):
                pending.append((match.group(1), match.group(2)))
                continue
            if not line.strip():
                continue
            for kind, rule_id in pending:
                if rule_id != case.rule_id:
                    raise ValueError(f"{path}:{number}: annotation for {rule_id}, but the file tests {case.rule_id}")
                (case.expected if kind == "ruleid" else case.expected_clean).add(number)
            pending = []
        cases.append(case)
    return cases


def judge_cases(cases: list[RuleCase]) -> list[RuleCase]:
    from safecoder.analysis.fast.registry import run_rules
    from safecoder.analysis.inputs import SourceInput, prepare_source
    from safecoder.analysis.semgrep_backend import run_semgrep
    from safecoder.analysis.syntax import parse

    prepared = [prepare_source(SourceInput(case.path.read_text(encoding="utf-8"), case.path.suffix.lstrip("."),
                                           case.path.name)) for case in cases]
    output = run_semgrep(list(enumerate(prepared)))
    for index, (case, source) in enumerate(zip(cases, prepared, strict=True)):
        case.semgrep = {(f.rule_id, f.start_line) for f in output.findings.get(index, ())}
        case.semgrep_error = output.errors.get(index)
        case.fast = {(f.rule_id, f.start_line) for f in run_rules(source, parse(source))}
    return cases


@pytest.fixture(scope="session")
def judged_rule_cases() -> list[RuleCase]:
    return judge_cases(load_cases())
