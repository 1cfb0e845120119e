"""In-process twins of the go Semgrep rules (see rules/semgrep/cwe-*.yaml)."""

from __future__ import annotations
