"""Which reporting group a scenario belongs to.

The paper reports `trained` (scenarios of the CWEs SVEN trained on) as 18 test and 6
validation scenarios, and `trained-new` (42 scenarios for the CWEs added by SafeCoder's
dataset). A scenario folder in another tree reports under its top folder's name.
"""

from __future__ import annotations

from safecoder.data.scenarios import Scenario

# (CWE folder, scenario) pairs of `trained` kept for validation in the paper's protocol.
TRAINED_VALIDATION = frozenset({
    ("cwe-022", "2-py"),
    ("cwe-078", "2-py"),
    ("cwe-089", "2-py"),
    ("cwe-125", "2-c"),
    ("cwe-190", "2-c"),
    ("cwe-787", "2-c"),
})
REPORT_ORDER = ("trained", "trained-val", "trained-new")


def report_split(scenario: Scenario) -> str:
    parts = scenario.id.split("/")
    split = scenario.split or (parts[0] if len(parts) > 2 else "scenarios")
    if split == "trained" and len(parts) >= 2 and (parts[-2], parts[-1]) in TRAINED_VALIDATION:
        return "trained-val"
    return split


def ordered_splits(names) -> list[str]:
    known = [s for s in REPORT_ORDER if s in names]
    return known + sorted(set(names) - set(known))
