"""In-process twins of the java Semgrep rules (see rules/semgrep/cwe-*.yaml)."""

from __future__ import annotations
