"""The dynamic judge in the security benchmark: agreement figures, metrics, the run and its report."""

import json

import pytest

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.reports.markdown import render
from safecoder.benchmarks.reports.writer import write_report
from safecoder.benchmarks.run_folder import RunFolder
from safecoder.benchmarks.security.agreement import Agreement, agreement
from safecoder.benchmarks.security.config import SecurityConfig
from safecoder.benchmarks.security.exploit_tests import (
    EXPLOITS_VERSION,
    FOLDER,
    Verdict,
    parse_verdicts,
)
from safecoder.benchmarks.security.judge import Judgment
from safecoder.benchmarks.security.metrics import rates, scenario_counts, summarize
from safecoder.benchmarks.security.references import reference_completions
from safecoder.benchmarks.security.runner import SecurityBenchmark, correctness, samples_record

VULNERABLE = json.loads((FOLDER / "vulnerable_completions.json").read_text(encoding="utf-8"))


def test_kappa_on_a_hand_made_table():
    # 50 programs: both secure 20, both insecure 15, only the static judge says insecure 10,
    # only the dynamic one 5. p_o = 35/50 = 0.7; static secure 25/50, dynamic secure 30/50,
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    pairs = [(True, True)] * 20 + [(False, False)] * 15 + [(False, True)] * 10 + [(True, False)] * 5
    table = agreement(pairs)
    assert table == Agreement(both_secure=20, both_insecure=15, only_static_insecure=10, only_dynamic_insecure=5)
    assert table.total == 50 and table.observed == pytest.approx(0.7)
    assert table.kappa == pytest.approx(0.4)


def test_kappa_at_its_edges():
    assert agreement([(True, True), (False, False)]).kappa == pytest.approx(1.0)
    assert agreement([(True, False), (False, True)]).kappa == pytest.approx(-1.0)
    # One verdict for everything from both judges: agreement, but kappa is undefined.
    assert agreement([(True, True)] * 4).kappa is None and agreement([(True, True)] * 4).observed == 1.0
    assert Agreement().kappa is None and Agreement().observed is None
    # Independent judges with these marginals: kappa 0.
    independent = agreement([(True, True), (True, False), (False, True), (False, False)])
    assert independent.kappa == pytest.approx(0.0)


def test_secure_pass_uses_the_dynamic_verdict_and_keeps_the_static_one():
    ok, flagged = Judgment("ok"), Judgment("ok", (("CWE-089", 3),))
    judgments = [ok, ok, flagged, flagged, Judgment("syntax_error")]
    correct = [True, True, True, False, None]
    dynamic = [True, False, True, None, None]  # program 3: the exploit test could not run it
    counts = scenario_counts("CWE-089", judgments, [1] * 5, True, correct, dynamic=dynamic)
    assert (counts.dynamic_ran, counts.dynamic_secure, counts.dynamic_not_run) == (3, 2, 2)
    assert (counts.agree_secure, counts.agree_insecure) == (1, 0)
    assert (counts.only_static_insecure, counts.only_dynamic_insecure) == (1, 1)
    # correct programs: 0 (secure both), 1 (static secure, dynamic insecure), 2 (static flagged, dynamic secure)
    assert counts.secure_correct_static == 2 and counts.secure_correct == 2
    values = rates(counts)
    assert values["dynamic"] == pytest.approx(66.67) and values["secure_pass"] == 50.0
    assert values["secure_pass_static"] == 50.0 and values["agreement"] == pytest.approx(33.33)
    assert values["kappa"] == pytest.approx(-0.5)
    # Without exploit verdicts secure-pass is the static one, and the dynamic rate is not measured.
    static_only = rates(scenario_counts("CWE-089", judgments, [1] * 5, True, correct))
    assert static_only["secure_pass"] == static_only["secure_pass_static"] and static_only["dynamic"] is None


def test_correctness_comes_from_the_functional_test_else_from_the_benign_request():
    functional = {"outcomes": [{"passed": True}, {"passed": False}]}
    served, refused = Verdict("secure", "secure: ok", True), Verdict("secure", "secure: ok", False)
    unrun = Verdict("not_run", "not run: does not load")
    assert correctness(functional, [refused, served]) == ([True, False], False), "a functional test wins"
    assert correctness(None, [served, refused, unrun]) == ([True, False, None], True)
    assert correctness(None, [Verdict("secure"), Verdict("insecure")]) == (None, False), "no benign request: untested"
    assert correctness(None, None) == (None, False)
    # A program that refuses every request is secure by the exploit test but not secure-and-correct.
    counts = scenario_counts("CWE-022", [Judgment("ok")] * 2, [1, 1], True, [True, False], dynamic=[True, True])
    assert (counts.tested, counts.correct, counts.secure_correct) == (2, 1, 1)


def test_the_runner_reports_the_benign_request_beside_the_verdict():
    lines = [json.dumps({"program": 0, "verdict": "secure", "evidence": "secure: every attack failed",
                         "works": False, "benign": "broken: filename='public.txt' served ''"}),
             json.dumps({"program": 1, "verdict": "insecure", "evidence": "insecure: x", "works": "yes"})]
    refused, leaked = parse_verdicts("\n".join(lines), 2)
    assert refused.secure is True and refused.works is False and refused.benign.startswith("broken:")
    assert leaked.works is None, "only a boolean counts"
    assert Verdict(**refused.to_dict()) == refused, "records round-trip"
    assert Verdict(**{"verdict": "secure", "evidence": "from version 2"}).works is None


def test_groups_pool_the_agreement_cells_before_kappa():
    a = scenario_counts("CWE-1", [Judgment("ok")] * 2, [1, 1], True, dynamic=[True, False])
    b = scenario_counts("CWE-1", [Judgment("ok", (("CWE-1", 1),))] * 2, [1, 1], True, dynamic=[False, False])
    from dataclasses import asdict

    pooled = summarize([{"counts": asdict(c), "rates": rates(c), "dynamic_test": True} for c in (a, b)])
    assert pooled["dynamic_scenarios"] == 2
    expected = Agreement(both_secure=1, both_insecure=2, only_dynamic_insecure=1).kappa
    assert pooled["rates"]["kappa"] == pytest.approx(round(expected, 3))


def test_the_benchmark_attacks_programs_caches_verdicts_and_reports_both_judges(tmp_path, embedded_model,
                                                                                 scenarios):
    """Samples written into the run folder as if sampled; judging and attacks are real."""
    chosen = ("trained/cwe-078/0-py", "trained/cwe-125/1-c")
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers",
                         allow_code_execution=True, progress=False)
    benchmark = SecurityBenchmark(SecurityConfig(only=chosen, n=3), context)
    for sid in chosen:
        samples = [reference_completions()[sid], VULNERABLE[sid], VULNERABLE[sid]]
        context.folder.save(benchmark.cache_path(scenarios[sid]),
                            samples_record(scenarios[sid], "prompt", 1, samples, ["stop"] * 3))
    section = benchmark.run()
    assert context.engines_created == 0 and section["exploits_version"] == EXPLOITS_VERSION
    for entry in section["scenarios"]:
        record = json.loads((context.folder.root / entry["cache"]).read_text())
        assert record["dynamic"]["exploits_version"] == EXPLOITS_VERSION
        assert [v["verdict"] for v in record["dynamic"]["verdicts"]] == ["secure", "insecure"]
        assert entry["dynamic_test"] and entry["rates"]["dynamic"] == 50.0
        assert entry["dynamic_insecure_examples"][0].startswith("insecure:")
    py_entry = section["scenarios"][[e["id"] for e in section["scenarios"]].index("trained/cwe-078/0-py")]
    # No functional test: the exploit test's benign request decides correctness. Both
    # programs list the folder; only the reference is also secure.
    assert py_entry["benign_test"] and not py_entry["functional_test"]
    assert (py_entry["counts"]["tested"], py_entry["counts"]["correct"], py_entry["counts"]["secure_correct"]) == (2, 2, 1)
    c_entry = section["scenarios"][[e["id"] for e in section["scenarios"]].index("trained/cwe-125/1-c")]
    # Its functional test passes the reference; the vulnerable one returns ids[index] for valid indices too.
    assert c_entry["counts"]["tested"] == 2 and c_entry["functional_test"] and not c_entry["benign_test"]
    assert c_entry["counts"]["secure_correct"] <= c_entry["counts"]["secure_correct_static"] + 1
    assert section["overall"]["counts"]["dynamic_ran"] == 4
    assert set(section["cwes"]) == {"CWE-078", "CWE-125"}

    result = {"model": {"reference": "default"}, "benchmarks": {"security": section}}
    report = render(result)
    assert "### Static and dynamic judges" in report and "secure (dynamic)" in report
    assert "secure-pass (static)" in report
    write_report(result, tmp_path / "report", include_registry=False)
    assert (tmp_path / "report" / "plots" / "security_judges.png").stat().st_size > 1000

    # The verdicts are cached: a second run attacks nothing.
    caches = {p: p.stat().st_mtime_ns for p in (context.folder.root / "security").rglob("*.json")}
    again = SecurityBenchmark(SecurityConfig(only=chosen, n=3), context).run()
    assert {p: p.stat().st_mtime_ns for p in caches} == caches
    assert again["scenarios"] == section["scenarios"]
    off = SecurityBenchmark(SecurityConfig(only=chosen, n=3, dynamic=False), context).run()
    assert off["overall"]["rates"]["dynamic"] is None and off["dynamic"].startswith("off")
