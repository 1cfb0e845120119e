"""The project's own rule set: where it lives, what each rule means, and its version.

Inputs: the Semgrep rule files in `rules/semgrep/<cwe>.yaml` (one file per CWE, every
language's rules for that CWE inside) and the in-process rule modules in `fast/`.
Outputs: `RuleInfo` per rule id (CWE, languages, message, severity), the rule files for
a set of CWEs (so a judge that asks for one CWE runs one file), and `rules_version()`,
a content hash that changes whenever any rule changes; every result records it.

Conventions checked here (a broken rule file is a bug, raised at load): rule ids are
unique and free of dots (Semgrep prefixes dotted paths), `metadata.cwe` is a CWE id,
severity is ERROR, WARNING or INFO.

This module runs no analyzer.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from safecoder import cwe as cwe_catalog
from safecoder.analysis.findings import Severity
from safecoder.hashing import sha256_bytes

_SEVERITIES: dict[str, Severity] = {"ERROR": "error", "WARNING": "warning", "INFO": "info"}


@dataclass(frozen=True)
class RuleInfo:
    id: str
    cwe: str
    languages: tuple[str, ...]
    message: str
    severity: Severity
    file: str


class RuleSetError(RuntimeError):
    """A rule file of the package is malformed (a bug in the rules, not user input)."""


def package_dir() -> Path:
    return Path(str(resources.files("safecoder.analysis")))


def semgrep_dir() -> Path:
    return package_dir() / "rules" / "semgrep"


def semgrep_rule_files(cwes: Collection[str] | None = None) -> list[Path]:
    """The Semgrep rule files, all or only those for `cwes` (normalised ids)."""
    files = sorted(semgrep_dir().glob("cwe-*.yaml"))
    if cwes is None:
        return files
    wanted = {cwe.lower() for cwe in cwes}
    return [path for path in files if path.stem in wanted]


@functools.lru_cache(maxsize=1)
def semgrep_rules() -> dict[str, RuleInfo]:
    """Every Semgrep rule of the package by id."""
    rules: dict[str, RuleInfo] = {}
    for path in semgrep_rule_files():
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise RuleSetError(f"{path}: not valid YAML: {exc}") from None
        for raw in document.get("rules", []):
            info = _rule_info(raw, path)
            if info.id in rules:
                raise RuleSetError(f"{path}: rule id {info.id!r} is also defined in {rules[info.id].file}")
            rules[info.id] = info
    return rules


def _rule_info(raw: dict, path: Path) -> RuleInfo:
    rule_id = raw.get("id", "")
    if not rule_id or "." in rule_id:
        raise RuleSetError(f"{path}: rule id {rule_id!r} must be non-empty and contain no dots")
    metadata = raw.get("metadata") or {}
    try:
        cwe = cwe_catalog.normalize(metadata.get("cwe", ""))
    except cwe_catalog.UnknownCWEError:
        raise RuleSetError(f"{path}: rule {rule_id} needs metadata.cwe like 'CWE-089'") from None
    if cwe.lower() != path.stem:
        raise RuleSetError(f"{path}: rule {rule_id} is about {cwe} but lives in {path.name}")
    severity = _SEVERITIES.get(str(raw.get("severity", "")).upper())
    if severity is None:
        raise RuleSetError(f"{path}: rule {rule_id} has severity {raw.get('severity')!r}; use ERROR, WARNING or INFO")
    return RuleInfo(rule_id, cwe, tuple(raw.get("languages", ())), " ".join(str(raw.get("message", "")).split()),
                    severity, str(path))


@functools.lru_cache(maxsize=1)
def rules_version() -> str:
    """`rules-<12 hex>`: a hash over every rule file and in-process rule module of the package."""
    root = package_dir()
    parts = []
    for path in sorted([*semgrep_rule_files(), *(root / "fast").glob("*.py")]):
        parts.append(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return "rules-" + sha256_bytes(b"\n".join(parts))[:12]
