"""Registering in-process rules and running them over one parsed source.

A rule is a function `check(ctx) -> Iterable[node]` decorated with `@rule(id, language)`;
the id must be that of a Semgrep rule in `rules/semgrep/`, whose CWE, message and severity
the finding takes. The function yields the tree-sitter nodes where the rule fires (the
same span its Semgrep twin reports).

Rule modules are imported on first use. A rule that raises is a bug: the exception
propagates rather than being turned into "no findings".
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from safecoder.analysis.findings import Finding
from safecoder.analysis.inputs import PreparedSource

NAME = "fast"
RULE_MODULES = (
    "safecoder.analysis.fast.python_rules",
    "safecoder.analysis.fast.javascript_rules",
    "safecoder.analysis.fast.c_rules",
    "safecoder.analysis.fast.go_rules",
    "safecoder.analysis.fast.java_rules",
    "safecoder.analysis.fast.ruby_rules",
)

_REGISTERED: list[FastRule] = []


@dataclass(frozen=True)
class FastRule:
    id: str
    language: str
    check: Callable


def rule(rule_id: str, language: str) -> Callable[[Callable], Callable]:
    """Register `check` as the in-process twin of Semgrep rule `rule_id` for `language`."""
    def register(check: Callable) -> Callable:
        _REGISTERED.append(FastRule(rule_id, language, check))
        return check
    return register


@functools.lru_cache(maxsize=1)
def all_rules() -> tuple[FastRule, ...]:
    for module in RULE_MODULES:
        importlib.import_module(module)
    return tuple(_REGISTERED)


@functools.cache
def rules_for(language: str, cwes: frozenset[str] | None = None) -> tuple[FastRule, ...]:
    from safecoder.analysis.ruleset import semgrep_rules

    infos = semgrep_rules()
    selected = []
    for fast_rule in all_rules():
        if fast_rule.language != language:
            continue
        info = infos.get(fast_rule.id)
        if info is None:
            raise LookupError(f"in-process rule {fast_rule.id} has no Semgrep twin in rules/semgrep")
        if cwes is None or info.cwe in cwes:
            selected.append(fast_rule)
    return tuple(selected)


def run_rules(source: PreparedSource, tree, cwes: Collection[str] | None = None) -> list[Finding]:
    """Every finding of the in-process rules for `source`'s language (restricted to `cwes`)."""
    from safecoder.analysis.fast.context import Context
    from safecoder.analysis.ruleset import semgrep_rules

    selected = rules_for(source.language.id, frozenset(cwes) if cwes is not None else None)
    if not selected:
        return []
    ctx = Context(source, tree)
    infos = semgrep_rules()
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    for fast_rule in selected:
        info = infos[fast_rule.id]
        for node in _nodes(fast_rule.check(ctx)):
            key = (fast_rule.id, node.start_byte, node.end_byte)
            if key in seen:
                continue
            seen.add(key)
            start_line, start_column = ctx.position(node.start_byte)
            end_line, end_column = ctx.position(node.end_byte)
            findings.append(Finding(cwe=info.cwe, rule_id=info.id, analyzer=NAME, message=info.message,
                                    path=source.name, start_line=start_line, start_column=start_column,
                                    end_line=end_line, end_column=end_column, severity=info.severity))
    return findings


def _nodes(produced: Iterable | None) -> Iterable:
    return produced or ()
