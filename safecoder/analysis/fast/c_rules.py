"""In-process twins of the c Semgrep rules (see rules/semgrep/cwe-*.yaml)."""

from __future__ import annotations
