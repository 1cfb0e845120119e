"""The in-process rules: the project's Semgrep rules re-expressed over tree-sitter trees.

`analyze_snippet` cannot afford a Semgrep process (about 1.8 s to start), so every
Semgrep rule of the package has a twin here with the same id, written against the
tree-sitter tree of the snippet with a few shared helpers (`context`: resolved call
names, arguments, literals; `taint`: an intra-procedural taint walk). The rule tests run
both on every rule test case and require the same findings, so the twins cannot drift
apart unnoticed.

Inputs: a prepared source and its tree. Output: `Finding`s with analyzer `fast`; the
rule's CWE, message and severity come from its Semgrep twin, so they are written once.

This package does not decide whether code parses (`syntax` does) and runs no process.
"""

from __future__ import annotations

from safecoder.analysis.fast.registry import FastRule, rules_for, run_rules

__all__ = ["FastRule", "rules_for", "run_rules"]
