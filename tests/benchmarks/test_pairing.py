"""Pairing the gate with the model alone on the same draws: the twin's samples, per-sample
outcomes from judged programs, and the counts over the samples the gate replaced. The
records are written here; the runner's real gated run is in test_security_benchmark.py."""

from __future__ import annotations

from safecoder.benchmarks.security.pairing import (
    SampleOutcome,
    kept_floors,
    own_samples,
    replaced,
    sample_kept,
    sample_outcomes,
    transitions,
    transitions_by_action,
)
from safecoder.benchmarks.security.runner import inherited, record_correctness, samples_record

SCENARIO = "trained/cwe-078/1-py"


def test_the_twin_puts_back_every_replaced_draw_and_nothing_else():
    gated = {"samples": ["a", "b", "c"], "gate": {"own_samples": [None, "B", None]}}
    assert own_samples(gated) == ["a", "B", "c"]
    assert replaced(gated) == [False, True, False]
    assert own_samples({"samples": ["a"], "gate": None}) is None, "gate off: no twin"
    assert own_samples({"samples": ["a"], "gate": {"actions": {"passed": 1}}}) is None, "an older gated record"
    assert own_samples({"samples": ["a", "b"], "gate": {"own_samples": [None]}}) is None, "a damaged record"


def test_each_sample_takes_its_programs_verdicts_the_exploit_test_overruling_the_analyzer(scenarios):
    scenario = scenarios[SCENARIO]
    body = "    return 'x'\n"
    other = "    return 'y'\n"
    record = samples_record(scenario, "prompt", 1, [body, other, body], ["stop"] * 3)
    assert [p["count"] for p in record["programs"]] == [2, 1]
    record["judgments"] = [{"status": "ok", "findings": [[scenario.cwe, 3]]}, {"status": "ok", "findings": []}]
    record["dynamic"] = {"verdicts": [{"verdict": "secure", "works": True}, {"verdict": "error", "works": False}]}
    outcomes = sample_outcomes(scenario, record, record_correctness(record))
    # Program 0: the analyzer flags it, the exploit test ran and found it secure: secure.
    # Program 1: the exploit test could not run it, so the analyzer's clean verdict stands.
    assert outcomes == [SampleOutcome(True, True), SampleOutcome(True, False), SampleOutcome(True, True)]
    record["dynamic"] = {"verdicts": [{"verdict": "insecure", "works": True}, {"verdict": "secure", "works": None}]}
    assert sample_outcomes(scenario, record, record_correctness(record)) == [
        SampleOutcome(False, True), SampleOutcome(True, None), SampleOutcome(False, True)]
    assert sample_outcomes(scenario, record, record_correctness(record, dynamic=False)) == [
        SampleOutcome(False, None), SampleOutcome(True, None), SampleOutcome(False, None)], "static alone"


def test_transitions_count_only_replaced_samples_and_only_tested_ones_for_working():
    secure_works, insecure_works = SampleOutcome(True, True), SampleOutcome(False, True)
    secure_broken, untested = SampleOutcome(True, False), SampleOutcome(False, None)
    own = [insecure_works, insecure_works, untested, secure_works]
    gated = [secure_works, secure_broken, SampleOutcome(True, None), secure_works]
    counts = transitions([(own, gated, [True, True, True, False])])
    assert counts.replaced == 3 and (counts.secure_before, counts.secure_after) == (0, 3)
    assert counts.tested == 2, "the untested pair counts for security only"
    assert (counts.works_before, counts.works_after) == (2, 1)
    assert (counts.secure_and_works_before, counts.secure_and_works_after) == (0, 1)
    assert transitions([(own, own, [False] * 4)]).replaced == 0


def test_transitions_per_action_split_the_replaced_samples_and_add_up():
    secure_works, insecure_works = SampleOutcome(True, True), SampleOutcome(False, True)
    own = [insecure_works, insecure_works, secure_works, secure_works]
    gated = [secure_works, secure_works, SampleOutcome(False, None), secure_works]
    actions = ["reranked", "reranked+hinted", "annotated", "passed"]
    by_action = transitions_by_action([(own, gated, [True, True, True, False], actions)])
    assert set(by_action) == {"reranked", "reranked+hinted", "annotated"}, "a passed sample is no action's"
    assert by_action["reranked+hinted"].secure_and_works_after == 1 and by_action["annotated"].tested == 0
    assert sum(t.replaced for t in by_action.values()) == 3


def test_a_floor_puts_back_each_replacement_that_kept_less_of_the_draw():
    secure_works, insecure_works = SampleOutcome(True, True), SampleOutcome(False, True)
    secure_broken = SampleOutcome(True, False)
    own = [insecure_works, insecure_works, insecure_works, secure_works]
    # A faithful fix, a clean rewrite that lost the work, an unjudged swap, a passed sample.
    gated = [secure_works, secure_broken, SampleOutcome(False, False), secure_works]
    swapped, kept = [True, True, True, False], [0.95, 0.3, None, None]
    points = {p.min_kept: p for p in kept_floors([(own, gated, swapped, kept)], floors=(0.0, 0.5, 1.0))}
    assert (points[0.0].replaced, points[0.0].secure, points[0.0].works) == (3, 75.0, 50.0), "the gate as it ran"
    assert (points[0.5].replaced, points[0.5].secure, points[0.5].works) == (2, 50.0, 75.0)
    assert points[0.5].secure_and_works == 50.0, "the fix stays; the broken rewrite is put back"
    assert points[1.0].replaced == 1, "an unjudged swap is not weighed by the floor"
    alone = points[None]
    assert (alone.replaced, alone.secure, alone.works, alone.secure_and_works) == (0, 25.0, 100.0, 25.0)
    assert sample_kept({"samples": ["a", "b"], "gate": {"sample_kept": [None, 0.5]}}) == [None, 0.5]
    assert sample_kept({"samples": ["a"], "gate": {"own_samples": [None]}}) is None, "an older gated record"


def test_a_twin_of_programs_already_judged_inherits_their_verdicts_and_others_are_judged(scenarios):
    scenario = scenarios[SCENARIO]
    a, b, c = "    return 'a'\n", "    return 'b'\n", "    return 'c'\n"
    gated = samples_record(scenario, "prompt", 1, [a, b, b], ["stop"] * 3)
    gated["judgments"] = [{"status": "ok", "findings": [], "n": 0}, {"status": "ok", "findings": [], "n": 1}]
    gated["functional"] = {"tests_version": 7, "outcomes": [{"passed": True}, {"passed": False}]}
    gated["dynamic"] = {"exploits_version": 3, "verdicts": [{"verdict": "secure"}, {"verdict": "insecure"}]}
    # The gate replaced sample 0 (own draw: b): the twin's programs are b alone.
    twin = inherited(samples_record(scenario, "prompt", 1, [b, b, b], ["stop"] * 3), gated)
    assert [p["count"] for p in twin["programs"]] == [3]
    assert twin["judgments"] == [{"status": "ok", "findings": [], "n": 1}], "b's own judgment, not a's"
    assert twin["functional"] == {"tests_version": 7, "outcomes": [{"passed": False}]}
    assert twin["dynamic"] == {"exploits_version": 3, "verdicts": [{"verdict": "insecure"}]}
    # A draw the gate never returned (c) has no verdicts to inherit: the twin is judged whole.
    fresh = samples_record(scenario, "prompt", 1, [c, b, b], ["stop"] * 3)
    assert inherited(fresh, gated) == fresh and "judgments" not in fresh
