"""Every rule against its own test cases, in real Semgrep and in the in-process twin.

The cases (`rule_cases/<rule-id>.<ext>`) are written by the project: each marks the
lines where its rule must fire (`ruleid:`) and lines where it must not (`ok:`). Semgrep
(the real binary, the package's rule files) and the in-process rules must both find
exactly the marked lines, and must agree with each other on every finding of every
rule in every case file.
"""

from __future__ import annotations

import pytest

from safecoder.analysis.fast.registry import all_rules
from safecoder.analysis.ruleset import semgrep_rules

from .conftest import CASES, RuleCase, load_cases

CASE_IDS = [case.path.name for case in load_cases()]


def _case(judged: list[RuleCase], name: str) -> RuleCase:
    return next(case for case in judged if case.path.name == name)


@pytest.mark.parametrize("name", CASE_IDS)
def test_semgrep_finds_exactly_the_marked_lines(judged_rule_cases, name):
    case = _case(judged_rule_cases, name)
    assert case.semgrep_error is None, case.semgrep_error
    found = {line for rule_id, line in case.semgrep if rule_id == case.rule_id}
    assert found == case.expected, f"Semgrep: expected lines {sorted(case.expected)}, found {sorted(found)}"


@pytest.mark.parametrize("name", CASE_IDS)
def test_fast_path_finds_exactly_the_marked_lines(judged_rule_cases, name):
    case = _case(judged_rule_cases, name)
    found = {line for rule_id, line in case.fast if rule_id == case.rule_id}
    assert found == case.expected, f"in-process: expected lines {sorted(case.expected)}, found {sorted(found)}"


@pytest.mark.parametrize("name", CASE_IDS)
def test_fast_path_agrees_with_semgrep_on_every_rule(judged_rule_cases, name):
    case = _case(judged_rule_cases, name)
    assert case.fast == case.semgrep, (
        f"only Semgrep: {sorted(case.semgrep - case.fast)}; only in-process: {sorted(case.fast - case.semgrep)}")


def test_every_rule_has_a_twin_and_vulnerable_and_safe_cases():
    cases = {case.rule_id: case for case in load_cases()}
    semgrep_ids = set(semgrep_rules())
    fast_ids = {fast_rule.id for fast_rule in all_rules()}
    assert semgrep_ids == fast_ids, f"without twin: {sorted(semgrep_ids ^ fast_ids)}"
    missing = sorted(semgrep_ids - set(cases))
    assert not missing, f"rules without a case file in {CASES}: {missing}"
    for rule_id, case in cases.items():
        assert rule_id in semgrep_ids, f"{case.path.name} tests an unknown rule"
        assert case.expected and case.expected_clean, f"{case.path.name} needs both `ruleid:` and `ok:` lines"


def test_case_languages_match_their_rules():
    from safecoder.languages import language_of

    for case in load_cases():
        info = semgrep_rules()[case.rule_id]
        assert language_of(case.path.name).id in {language_of(name).id for name in info.languages}
