"""Reference completions: one hand-written completion per scenario of the shared data.

`reference_completions.json` maps each scenario id to a completion that continues its
`file_context + func_context` the way a model would, parses, and (for the scenarios with
a functional test) passes that test. They are no claim of security: they feed
`make bench-eval` (realistic programs to judge without a model) and the tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

REFERENCES_FILE = Path(__file__).with_name("reference_completions.json")


@cache
def reference_completions() -> dict[str, str]:
    return json.loads(REFERENCES_FILE.read_text(encoding="utf-8"))
