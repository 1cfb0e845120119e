"""In-process twins of the ruby Semgrep rules (see rules/semgrep/cwe-*.yaml)."""

from __future__ import annotations
