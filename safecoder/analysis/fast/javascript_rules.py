"""In-process twins of the javascript Semgrep rules (see rules/semgrep/cwe-*.yaml)."""

from __future__ import annotations
