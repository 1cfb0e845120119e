"""Reading predictions and scoring them: the model's answer, the analyzer's findings, accuracy, confusion.

- `model_prediction(answer)`: the first CWE identifier in the answer (`CWE-89`, `cwe 89`
  -> `CWE-089`), else `none` when the answer says none / no weakness / no vulnerability /
  is secure before naming a CWE, else `unreadable`.
- `analyzer_prediction(findings)`: `none` without findings, else the most frequent CWE,
  the earliest finding's on a tie.
- `score(labels, predictions)`: accuracy overall, on vulnerable items (the exact CWE),
  on secure items (`none`), and the confusion table (label -> prediction -> count).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from safecoder.analysis.findings import Finding

NONE = "none"
UNREADABLE = "unreadable"
_CWE = re.compile(r"\bCWE[\s_-]*0*(\d{1,4})\b", re.IGNORECASE)
_NONE = re.compile(r"\b(none|no (?:security )?(?:weakness|vulnerabilit(?:y|ies)|issue|cwe)|not vulnerable|"
                   r"is secure)\b", re.IGNORECASE)


def model_prediction(answer: str) -> str:
    cwe, none = _CWE.search(answer), _NONE.search(answer)
    if cwe and (not none or cwe.start() < none.start()):
        return f"CWE-{int(cwe.group(1)):03d}"
    return NONE if none else UNREADABLE


def analyzer_prediction(findings: Sequence[Finding]) -> str:
    if not findings:
        return NONE
    counts = Counter(f.cwe for f in findings)
    first_line = {}
    for finding in sorted(findings, key=lambda f: (f.start_line, f.start_column)):
        first_line.setdefault(finding.cwe, finding.start_line)
    return min(counts, key=lambda cwe: (-counts[cwe], first_line[cwe]))


def rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def score(labels: Sequence[str], predictions: Sequence[str]) -> dict[str, Any]:
    pairs = list(zip(labels, predictions, strict=True))
    vulnerable = [(label, p) for label, p in pairs if label != NONE]
    secure = [(label, p) for label, p in pairs if label == NONE]
    confusion: dict[str, Counter] = defaultdict(Counter)
    for label, prediction in pairs:
        confusion[label][prediction] += 1
    return {
        "items": len(pairs),
        "accuracy": rate(sum(label == p for label, p in pairs), len(pairs)),
        "vulnerable_accuracy": rate(sum(label == p for label, p in vulnerable), len(vulnerable)),
        "secure_accuracy": rate(sum(p == NONE for _, p in secure), len(secure)),
        "unreadable": rate(sum(p == UNREADABLE for _, p in pairs), len(pairs)),
        "confusion": {label: dict(sorted(row.items())) for label, row in sorted(confusion.items())},
    }
