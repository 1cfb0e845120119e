"""SARIF 2.1.0 in and out: read any analyzer's SARIF into `Finding`s; write results as SARIF.

Reading (`read_sarif`): every result of every run becomes a `Finding` with the analyzer
named by the run's tool, the rule id, the message, the first physical location (SARIF
regions are 1-based with an exclusive end column, as `Finding` is) and the CWE taken
from the rule's tags (`external/cwe/cwe-089` as CodeQL writes them, `CWE-89: ...` as
Semgrep writes them) or, failing that, from the result's own properties. Results
without a CWE are kept with `cwe=""` only when `keep_unclassified` is set.

Writing (`to_sarif`): `AnalysisResult`s as one SARIF run per analyzer, for
`safecoder analyze --format sarif`.

This module reads and writes documents; it runs no analyzer.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from safecoder.analysis.findings import AnalysisResult, Finding, Severity

_CWE = re.compile(r"cwe[-_/ :]?0*(\d{1,5})", re.IGNORECASE)
_LEVELS: dict[str, Severity] = {"error": "error", "warning": "warning", "note": "info", "none": "info"}


class SarifError(ValueError):
    """A document that is not SARIF (the message says what is missing)."""


def read_sarif(document: dict[str, Any] | str | os.PathLike, keep_unclassified: bool = False) -> list[Finding]:
    if isinstance(document, dict):
        log = document
    else:
        try:
            log = json.loads(Path(document).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SarifError(f"cannot read SARIF from {document}: {exc}") from None
    runs = log.get("runs")
    if not isinstance(runs, list):
        raise SarifError("not a SARIF log: no 'runs' list at the top level")
    findings: list[Finding] = []
    for run in runs:
        driver = (run.get("tool") or {}).get("driver") or {}
        analyzer = (str(driver.get("name") or "sarif").split() or ["sarif"])[0].lower()
        rules = driver.get("rules") or []
        rules_by_id = {rule.get("id"): rule for rule in rules if isinstance(rule, dict)}
        for result in run.get("results") or []:
            rule = _rule_of(result, rules, rules_by_id)
            rule_id = str(result.get("ruleId") or (rule or {}).get("id") or "")
            cwe = _cwe_of(result, rule)
            if cwe is None and not keep_unclassified:
                continue
            path, region = _location(result)
            start_line = int(region.get("startLine", 1))
            start_column = int(region.get("startColumn", 1))
            end_line = int(region.get("endLine", start_line))
            end_column = int(region.get("endColumn", start_column))
            level = result.get("level") or ((rule or {}).get("defaultConfiguration") or {}).get("level", "warning")
            findings.append(Finding(
                cwe=cwe or "", rule_id=rule_id, analyzer=analyzer,
                message=str((result.get("message") or {}).get("text", "")), path=path,
                start_line=start_line, start_column=start_column, end_line=end_line, end_column=end_column,
                severity=_LEVELS.get(str(level), "warning"),
            ))
    return findings


def _rule_of(result: dict, rules: list, rules_by_id: dict) -> dict | None:
    index = result.get("ruleIndex")
    if index is None:
        index = (result.get("rule") or {}).get("index")
    if isinstance(index, int) and 0 <= index < len(rules):
        return rules[index]
    return rules_by_id.get(result.get("ruleId"))


def _cwe_of(result: dict, rule: dict | None) -> str | None:
    candidates: list[str] = []
    for holder in (rule or {}, result):
        properties = holder.get("properties") or {}
        candidates.extend(str(tag) for tag in properties.get("tags") or [])
        for key in ("cwe", "CWE"):
            value = properties.get(key)
            if isinstance(value, list):
                candidates.extend(str(v) for v in value)
            elif value:
                candidates.append(str(value))
    for candidate in candidates:
        match = _CWE.search(candidate)
        if match:
            return f"CWE-{int(match.group(1)):03d}"
    return None


def _location(result: dict) -> tuple[str, dict]:
    for location in result.get("locations") or []:
        physical = location.get("physicalLocation") or {}
        uri = (physical.get("artifactLocation") or {}).get("uri", "")
        return uri, physical.get("region") or {}
    return "", {}


def to_sarif(results: Iterable[AnalysisResult], tool_version: str = "") -> dict[str, Any]:
    """One SARIF log with a run per analyzer that reported findings (or one empty run)."""
    by_analyzer: dict[str, list[tuple[AnalysisResult, Finding]]] = {}
    notifications = []
    for result in results:
        for finding in result.findings:
            by_analyzer.setdefault(finding.analyzer, []).append((result, finding))
        if result.status != "ok":
            notifications.append({"level": "error", "message": {"text": f"{result.source}: {result.status}: "
                                                                        f"{result.error or ''}"}})
    runs = []
    for analyzer, pairs in sorted(by_analyzer.items()) or [("safecoder", [])]:
        rule_ids = sorted({finding.rule_id for _, finding in pairs})
        rules = []
        for rule_id in rule_ids:
            finding = next(f for _, f in pairs if f.rule_id == rule_id)
            rules.append({"id": rule_id, "shortDescription": {"text": finding.message[:200]},
                          "properties": {"tags": [finding.cwe, "security"]}})
        runs.append({
            "tool": {"driver": {"name": analyzer, "version": tool_version, "rules": rules}},
            "results": [{
                "ruleId": finding.rule_id, "ruleIndex": rule_ids.index(finding.rule_id),
                "level": {"error": "error", "warning": "warning", "info": "note"}[finding.severity],
                "message": {"text": finding.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": finding.path or result.source},
                    "region": {"startLine": finding.start_line, "startColumn": finding.start_column,
                               "endLine": finding.end_line, "endColumn": finding.end_column}}}],
                "properties": {"cwe": finding.cwe},
            } for result, finding in pairs],
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
        })
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": runs}
