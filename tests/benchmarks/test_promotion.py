"""The promotion gate: refuses a worse candidate, accepts a better one, records why.

Two registered versions of the embedded model with recorded evaluations (the gate reuses
evaluations of the same benchmark versions and settings, as it does in production), and
one run where the gate measures the candidate itself with the real model.
"""

import json
import os
import subprocess
import sys

import pytest

from safecoder.benchmarks.promotion import GATE_BENCHMARKS, GateConfig, decide, recorded_view
from safecoder.benchmarks.reports.compare import View
from safecoder.benchmarks.suite import SUITE_NAME, VERSIONS, expected_config_hash, load_suite_config
from safecoder.registry import Registry

GATE_FLAGS = ["--n", "2", "--limit", "1"]
SCENARIO_IDS = ("trained/cwe-089/0-py", "trained/cwe-125/1-c", "trained-new/cwe-327/1-py")


def recorded(suite, scenario_rates: dict[str, float], pass1: dict[str, float], answer_rate: float = 90.0) -> dict:
    """An evaluation record as `safecoder bench all` leaves it in a manifest."""
    overall = round(sum(scenario_rates.values()) / len(scenario_rates), 2)
    samples = 161
    answered = round(answer_rate * samples / 100)
    return {
        "suite": SUITE_NAME, "time": "2026-01-01T00:00:00+00:00", "summary": {"security": overall},
        "benchmarks": {
            "security": {
                "version": VERSIONS["security"], "config_hash": expected_config_hash("security", suite.security),
                "overall": {"paper": overall, "strict": overall / 2, "unparseable": 10.0, "secure_pass": None},
                "splits": {}, "scenarios": {s: {"paper": r, "strict": r / 2} for s, r in scenario_rates.items()},
            },
            "functional": {
                "version": VERSIONS["functional"], "config_hash": expected_config_hash("functional", suite.functional),
                "pass@1": pass1, "pass@10": {},
            },
            "answer-rate": {
                "version": VERSIONS["answer-rate"],
                "config_hash": expected_config_hash("answer-rate", suite.answer_rate),
                "answer_rate": answer_rate, "refusal_rate": round(100 - answer_rate, 2), "samples": samples,
                "counts": {"answered": answered, "refused": samples - answered, "no_code": 0},
            },
        },
    }


@pytest.fixture
def suite():
    return load_suite_config(n=2, limit=1, benchmarks=GATE_BENCHMARKS)


@pytest.fixture
def registry(registry_root, suite):
    registry = Registry(registry_root)
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    registry.add_evaluation("v0001", recorded(suite, dict(zip(SCENARIO_IDS, (80.0, 60.0, 70.0), strict=True)),
                                              {"humaneval": 20.0, "mbpp": 30.0}))
    return registry


def promote(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safecoder", "promote", *flags, *GATE_FLAGS, "--no-progress"],
                          capture_output=True, text=True, timeout=600, env=os.environ.copy())


def test_a_candidate_with_lower_security_is_refused_and_every_regression_listed(registry, suite):
    registry.add_evaluation("v0002", recorded(suite, dict(zip(SCENARIO_IDS, (85.0, 40.0, 50.0), strict=True)),
                                              {"humaneval": 25.0, "mbpp": 31.0}))
    done = promote("v0002")
    assert done.returncode == 1, done.stderr
    assert "refused" in done.stderr
    assert "trained/cwe-125/1-c: 60.0 -> 40.0" in done.stdout
    assert "trained-new/cwe-327/1-py: 70.0 -> 50.0" in done.stdout
    assert "trained/cwe-089/0-py" not in done.stdout.split("went down")[1]
    assert registry.aliases()["production"] == "v0001"
    decision = registry.get("v0002").extra["gate_decisions"][-1]
    assert decision["passed"] is False and decision["promoted"] is False
    assert [r["scenario"] for r in decision["regressed_scenarios"]] == ["trained-new/cwe-327/1-py",
                                                                        "trained/cwe-125/1-c"]
    # The records predate `combined`, so the check and its paired change are by the paper's judge:
    # (+5 - 20 - 20) / 3 over the three scenarios, shown beside the verdict.
    assert decision["security_paired"].startswith("paper: -11.7 [")
    assert "over 3 scenarios (1 up, 2 down)" in decision["security_paired"]
    assert "security change paired by scenario, 95% interval: paper: -11.7" in done.stdout
    assert not registry.get("v0002").promotions


def test_a_pass_at_1_drop_beyond_the_tolerance_is_refused(registry, suite):
    better_security = dict(zip(SCENARIO_IDS, (90.0, 70.0, 80.0), strict=True))
    registry.add_evaluation("v0002", recorded(suite, better_security, {"humaneval": 17.0, "mbpp": 30.0}))
    done = promote("v0002", "--format", "json")
    assert done.returncode == 1
    decision = json.loads(done.stdout)
    failed = [c["check"] for c in decision["checks"] if not c["passed"]]
    assert failed == ["humaneval pass@1"]
    assert any("humaneval pass@1 fell from 20.0 to 17.0" in r for r in decision["reasons"])
    assert promote("v0002", "--pass1-tolerance", "3.5").returncode == 0
    assert registry.aliases()["production"] == "v0002"


def test_a_better_candidate_is_promoted_with_its_evidence_and_rollback_returns(registry, suite):
    registry.add_evaluation("v0002", recorded(suite, dict(zip(SCENARIO_IDS, (80.0, 65.0, 75.0), strict=True)),
                                              {"humaneval": 18.5, "mbpp": 31.0}))
    done = promote("v0002")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "promoted" in done.stdout
    assert registry.aliases()["production"] == "v0002"
    promotion = registry.get("v0002").promotions[-1]
    assert promotion["from"] == "v0001" and "gate passed" in promotion["reason"]
    checks = {c["check"]: c for c in promotion["evidence"]["checks"]}
    assert checks["security (paper)"]["passed"] and checks["security (paper)"]["change"] > 0
    assert checks["humaneval pass@1"]["change"] == -1.5 and checks["humaneval pass@1"]["passed"]
    rollback = subprocess.run([sys.executable, "-m", "safecoder", "registry", "rollback", "--reason", "test"],
                              capture_output=True, text=True, timeout=60)
    assert rollback.returncode == 0 and registry.aliases()["production"] == "v0001"


def test_a_candidate_whose_answer_rate_fell_is_refused(registry, suite):
    """Better security, same pass@1, but it refuses or answers without code far more often."""
    better_security = dict(zip(SCENARIO_IDS, (95.0, 90.0, 90.0), strict=True))
    registry.add_evaluation("v0002", recorded(suite, better_security, {"humaneval": 20.0, "mbpp": 30.0},
                                              answer_rate=40.0))
    done = promote("v0002", "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    decision = json.loads(done.stdout)
    checks = {c["check"]: c for c in decision["checks"]}
    assert [name for name, c in checks.items() if not c["passed"]] == ["answer rate (benign prompts)"]
    assert checks["answer rate (benign prompts)"] == {
        "check": "answer rate (benign prompts)", "candidate": 40.0, "production": 90.0, "change": -50.0,
        "allowed_drop": 4.5, "passed": False}
    assert any("answer rate on benign prompts fell from 90.0 to 40.0" in r and "95%" in r for r in decision["reasons"])
    assert registry.aliases()["production"] == "v0001"
    assert registry.get("v0002").extra["gate_decisions"][-1]["config"]["answer_rate_share"] == 0.95


def test_the_answer_rate_share_is_configurable(registry, suite):
    # 85.0 is 94.4% of production's 90.0: refused at the default share, accepted at 0.9.
    registry.add_evaluation("v0002", recorded(suite, dict(zip(SCENARIO_IDS, (80.0, 60.0, 70.0), strict=True)),
                                              {"humaneval": 20.0, "mbpp": 30.0}, answer_rate=85.0))
    assert promote("v0002").returncode == 1
    done = promote("v0002", "--answer-rate-share", "0.9")
    assert done.returncode == 0, done.stdout + done.stderr
    assert registry.aliases()["production"] == "v0002"
    check = next(c for c in registry.get("v0002").promotions[-1]["evidence"]["checks"]
                 if c["check"] == "answer rate (benign prompts)")
    assert check["passed"] and check["allowed_drop"] == 9.0


def test_force_needs_a_reason_which_is_recorded(registry, suite):
    registry.add_evaluation("v0002", recorded(suite, dict(zip(SCENARIO_IDS, (10.0, 10.0, 10.0), strict=True)),
                                              {"humaneval": 1.0, "mbpp": 1.0}))
    refused = promote("v0002", "--force")
    assert refused.returncode == 2
    assert "--force needs --reason" in refused.stderr and "Traceback" not in refused.stderr
    assert registry.aliases()["production"] == "v0001"
    forced = promote("v0002", "--force", "--reason", "hotfix for a tokenizer bug")
    assert forced.returncode == 0
    assert registry.aliases()["production"] == "v0002"
    promotion = registry.get("v0002").promotions[-1]
    assert promotion["reason"] == "forced: hotfix for a tokenizer bug"
    assert promotion["evidence"]["forced"] is True and promotion["evidence"]["passed"] is False


def test_force_without_recorded_results_runs_nothing_and_says_so(registry_root):
    registry = Registry(registry_root)
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    done = promote("v0001", "--force", "--reason", "bootstrap the first production model")
    assert done.returncode == 0
    evidence = registry.get("v0001").promotions[-1]["evidence"]
    assert evidence["forced"] and "not evaluated" in evidence["reasons"][0]


def test_evaluations_of_other_settings_are_not_reused(registry, suite):
    other = load_suite_config(n=5, limit=1, benchmarks=GATE_BENCHMARKS)
    _, missing = recorded_view(registry.get("v0001"), other)
    assert missing == ["security", "functional"]
    other = load_suite_config(n=2, limit=3, benchmarks=GATE_BENCHMARKS)
    _, missing = recorded_view(registry.get("v0001"), other)
    assert missing == ["functional", "answer-rate"]
    view, missing = recorded_view(registry.get("v0001"), suite)
    assert missing == [] and view.benchmarks["functional"]["pass@1"]["humaneval"] == 20.0


def test_decide_refuses_a_candidate_missing_a_benchmark():
    production = View("v0001", {"security": {"overall": {"paper": 50.0}, "scenarios": {}},
                                "functional": {"pass@1": {"humaneval": 10.0}}, "answer-rate": {"answer_rate": 80.0}})
    decision = decide(View("v0002", {"security": {"overall": {"paper": 60.0}, "scenarios": {}}}), production,
                      GateConfig())
    assert not decision.passed
    assert "the candidate has no functional result" in decision.reasons
    assert "the candidate has no answer-rate result" in decision.reasons
    assert not next(c for c in decision.checks if c["check"] == "answer rate (benign prompts)")["passed"]
    first = decide(View("v0002", production.benchmarks), None, GateConfig())
    assert first.passed and "nothing to compare" in first.reasons[0]


@pytest.mark.slow
def test_the_gate_measures_an_unmeasured_candidate_with_the_real_model(registry_root, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "security:\n  only: ['trained-new/cwe-116/0-js']\n  n: 2\n  max_new_tokens: 24\n"
        "functional:\n  datasets: [humaneval]\n  limit: 1\n  n: 2\n  pass_at_10: false\n  max_new_tokens: 24\n"
        "answer-rate:\n  limit: 1\n  max_new_tokens: 24\n")
    suite = load_suite_config(config, benchmarks=GATE_BENCHMARKS)
    registry = Registry(registry_root)
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    production = recorded(suite, {"trained-new/cwe-116/0-js": 0.0}, {"humaneval": 0.0}, answer_rate=0.0)
    registry.add_evaluation("v0001", production)
    done = subprocess.run(
        [sys.executable, "-m", "safecoder", "promote", "v0002", "--config", str(config), "--allow-code-execution",
         "--run-root", str(tmp_path / "runs"), "--no-progress"],
        capture_output=True, text=True, timeout=900, env=os.environ.copy())
    assert done.returncode == 0, done.stdout + done.stderr
    evaluation = registry.get("v0002").latest_evaluation(SUITE_NAME)
    assert set(evaluation["benchmarks"]) == {"security", "functional", "answer-rate"}
    assert list(evaluation["benchmarks"]["security"]["scenarios"]) == ["trained-new/cwe-116/0-js"]
    assert (tmp_path / "runs" / "v0002" / "result.json").is_file()
    assert registry.aliases()["production"] == "v0002"
    # The recorded evaluation is reused: a second gate run measures nothing.
    compare = subprocess.run([sys.executable, "-m", "safecoder", "bench", "compare", "v0001", "v0002",
                              "--format", "json"], capture_output=True, text=True, timeout=120)
    assert compare.returncode == 0, compare.stderr
    assert json.loads(compare.stdout)["scenarios"][0]["scenario"] == "trained-new/cwe-116/0-js"


def test_security_is_decided_by_the_exploit_tests_where_they_ran():
    """By default the gate compares the combined rate (exploit verdicts where they ran, else
    the static judge's): a candidate the analyzer likes better but the exploits break more
    often is refused. A production record from before the combined rate is compared by the
    paper rate, and the check's name says which rate decided."""
    others = {"functional": {"pass@1": {"humaneval": 10.0}}, "answer-rate": {"answer_rate": 80.0}}
    production = View("v0001", {"security": {"overall": {"paper": 60.0, "combined": 70.0}, "scenarios": {}},
                                **others})
    candidate = View("v0002", {"security": {"overall": {"paper": 65.0, "combined": 62.0}, "scenarios": {}},
                               **others})
    decision = decide(candidate, production, GateConfig())
    assert not decision.passed and "security (combined) fell from 70.0 to 62.0" in decision.reasons
    assert decide(candidate, production, GateConfig(security_metric="paper")).passed
    older = View("v0001", {"security": {"overall": {"paper": 60.0}, "scenarios": {}}, **others})
    fallback = decide(candidate, older, GateConfig())
    assert fallback.passed and [c["check"] for c in fallback.checks if c["check"].startswith("security")] == [
        "security (paper)"]
