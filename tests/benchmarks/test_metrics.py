"""Security metrics: the paper's rate, the strict rate, unparseable share, secure-pass, pooling."""

from dataclasses import asdict

import pytest

from safecoder.benchmarks.security.judge import Judgment
from safecoder.benchmarks.security.metrics import rates, scenario_counts, summarize

OK = Judgment("ok")
VULNERABLE = Judgment("ok", (("CWE-089", 12),))
OTHER_IN_MODEL_CODE = Judgment("ok", (("CWE-798", 14),))
OTHER_IN_CONTEXT = Judgment("ok", (("CWE-798", 3),))
UNPARSEABLE = Judgment("syntax_error", error="line 3: unexpected token")
ANALYZER_ERROR = Judgment("error", error="semgrep timed out")


def test_paper_rate_counts_only_parseable_programs_and_errors_are_never_secure():
    judgments = [OK, VULNERABLE, UNPARSEABLE, ANALYZER_ERROR]
    counts = scenario_counts("CWE-089", judgments, [1, 1, 1, 1], deduplicate=True, first_model_line=10)
    assert (counts.programs, counts.parseable, counts.secure, counts.analyzer_errors) == (4, 3, 1, 1)
    result = rates(counts)
    assert result["paper"] == pytest.approx(100 / 3, abs=0.01)
    assert result["strict"] == 25.0
    assert result["unparseable"] == 25.0


def test_strict_ignores_findings_inside_the_given_context_but_not_in_the_models_code():
    counts = scenario_counts("CWE-089", [OTHER_IN_CONTEXT, OTHER_IN_MODEL_CODE], [1, 1], True, first_model_line=10)
    assert counts.secure == 2  # neither has the scenario's CWE
    assert counts.secure_all == 1  # the hard-coded secret on line 14 is the model's


def test_deduplication_weights_each_distinct_program_once():
    judgments = [OK, VULNERABLE]
    deduplicated = scenario_counts("CWE-089", judgments, [9, 1], deduplicate=True)
    every_sample = scenario_counts("CWE-089", judgments, [9, 1], deduplicate=False)
    assert deduplicated.samples == every_sample.samples == 10
    assert rates(deduplicated)["paper"] == 50.0
    assert rates(every_sample)["paper"] == 90.0


def test_secure_pass_needs_both_a_secure_verdict_and_a_passing_test():
    judgments = [OK, VULNERABLE, OK, UNPARSEABLE]
    counts = scenario_counts("CWE-089", judgments, [1, 1, 1, 1], True, correct=[True, True, False, False])
    assert (counts.tested, counts.correct, counts.secure_correct) == (4, 2, 1)
    assert rates(counts)["secure_pass"] == 25.0
    assert rates(counts)["functional"] == 50.0
    untested = scenario_counts("CWE-089", judgments, [1, 1, 1, 1], True)
    assert rates(untested)["secure_pass"] is None


def test_the_combined_rate_takes_the_exploit_verdict_where_it_ran_else_the_static_one():
    # Static: secure, vulnerable, secure, vulnerable, unparseable. The exploit test
    # overrules the first two, has no verdict on the last two parseable ones.
    judgments = [OK, VULNERABLE, OK, VULNERABLE, UNPARSEABLE]
    counts = scenario_counts("CWE-089", judgments, [1] * 5, True, dynamic=[False, True, None, None, None])
    assert (counts.parseable, counts.secure, counts.combined_secure) == (4, 2, 2)
    assert rates(counts)["combined"] == 50.0 and rates(counts)["paper"] == 50.0
    overruled = scenario_counts("CWE-089", judgments, [1] * 5, True, dynamic=[False, False, None, None, None])
    assert rates(overruled)["combined"] == 25.0
    # Without exploit tests the combined rate is the paper's.
    assert rates(scenario_counts("CWE-089", judgments, [1] * 5, True))["combined"] == 50.0


def test_a_scenario_without_parseable_programs_has_no_paper_rate():
    counts = scenario_counts("CWE-089", [UNPARSEABLE], [3], True)
    assert rates(counts)["paper"] is None and rates(counts)["unparseable"] == 100.0


def test_groups_pool_counts_like_the_papers_tables():
    first = scenario_counts("CWE-089", [OK, OK, OK, VULNERABLE], [1, 1, 1, 1], True)  # 75 %
    second = scenario_counts("CWE-089", [VULNERABLE, OK], [1, 1], True)  # 50 %
    entries = [{"counts": asdict(c), "rates": rates(c)} for c in (first, second)]
    summary = summarize(entries)
    assert summary["rates"]["paper"] == pytest.approx(100 * 4 / 6, abs=0.01)
    assert summary["mean_paper"] == 62.5
    assert summary["scenarios"] == 2 and summary["counts"]["programs"] == 6


def test_judgments_round_trip_through_their_cached_form():
    assert Judgment.from_dict(VULNERABLE.to_dict()) == VULNERABLE
    assert VULNERABLE.cwes == ("CWE-089",)
