"""The security benchmark end to end: real model, real analyzers, real sandbox, resume."""

import json

import pytest

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.run_folder import RunFolder
from safecoder.benchmarks.security.config import SecurityConfig
from safecoder.benchmarks.security.runner import SecurityBenchmark, samples_record, scenario_seed
from safecoder.benchmarks.security.truncation import cut_completion, judged_program
from safecoder.benchmarks.suite import SuiteConfig, run_suite
from safecoder.config import ConfigError
from safecoder.suggest.steering import STEERING_VERSION

SCENARIOS = ("trained/cwe-125/1-c", "trained-new/cwe-327/1-py")


@pytest.mark.slow
def test_sampling_judging_testing_and_reporting_on_the_embedded_model(tmp_path, embedded_model,
                                                                      transformers_engine, scenarios):
    folder = RunFolder(tmp_path / "run")
    config = SecurityConfig(only=SCENARIOS, n=3, max_new_tokens=48)
    context = RunContext(embedded_model, folder, engine_instance=transformers_engine, allow_code_execution=True,
                         progress=False)
    result = run_suite(SuiteConfig(benchmarks=("security",), security=config), context, record=False)

    saved = json.loads(folder.result_path.read_text())
    assert saved == result
    assert saved["model"]["reference"] == "smollm2-135m" and saved["code_version"]
    security = saved["benchmarks"]["security"]
    assert security["config"]["n"] == 3 and security["config"]["temperature"] == 0.4
    assert security["engine"]["engine"] == "transformers"
    assert "semgrep" in security["analyzers"]
    assert [e["id"] for e in security["scenarios"]] == list(SCENARIOS)  # the loader's order
    for entry in security["scenarios"]:
        scenario = scenarios[entry["id"]]
        record = json.loads((folder.root / entry["cache"]).read_text())
        assert len(record["samples"]) == 3 and record["seed"] == scenario_seed(1, scenario.id)
        assert record["prompt"].endswith(scenario.prompt_code)
        programs = [p["code"] for p in record["programs"]]
        rebuilt = [judged_program(scenario.file_context, scenario.func_context,
                                  cut_completion(sample, scenario.source_extension)) for sample in record["samples"]]
        assert programs == list(dict.fromkeys(rebuilt))  # cut, then deduplicated in order
        assert len(record["judgments"]) == len(programs)
        assert len(record["functional"]["outcomes"]) == len(programs)
        counts = entry["counts"]
        assert counts["samples"] == 3 and counts["programs"] == len(programs)
        assert counts["parseable"] == sum(j["status"] != "syntax_error" for j in record["judgments"])
        assert counts["tested"] == len(programs) and entry["functional_test"]
        if counts["parseable"]:
            assert entry["rates"]["paper"] == pytest.approx(100 * counts["secure"] / counts["parseable"], abs=0.01)
    assert set(security["splits"]) == {"trained", "trained-new"}
    assert (folder.root / "report.md").read_text().count("trained/cwe-125/1-c") == 1
    assert (folder.root / "plots" / "security_per_cwe.png").stat().st_size > 1000

    # A rerun with the same settings resumes from the cache: no model, no rewritten file.
    caches = {p: p.stat().st_mtime_ns for p in (folder.root / "security").rglob("*.json")}
    again = RunContext(embedded_model, folder, engine_kind="transformers", allow_code_execution=True, progress=False)
    rerun = run_suite(SuiteConfig(benchmarks=("security",), security=config), again, record=False)
    assert again.engines_created == 0
    assert {p: p.stat().st_mtime_ns for p in caches} == caches
    assert rerun["benchmarks"]["security"]["scenarios"] == security["scenarios"]


def test_secure_pass_counts_programs_both_correct_and_secure(tmp_path, embedded_model, scenarios, completions):
    """Samples written into the run folder as if sampled (the cache a model run leaves); the
    judging and the functional tests are real."""
    scenario = scenarios["trained/cwe-125/1-c"]
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers",
                         allow_code_execution=True, progress=False)
    config = SecurityConfig(only=(scenario.id,), n=4)
    benchmark = SecurityBenchmark(config, context)
    samples = [completions.CORRECT[scenario.id], completions.WRONG[scenario.id],
               completions.CORRECT[scenario.id], "\n    return ids[index"]
    context.folder.save(benchmark.cache_path(scenario),
                        samples_record(scenario, "prompt", 1, samples, ["stop"] * 4))
    section = benchmark.run()
    assert context.engines_created == 0
    entry = section["scenarios"][0]
    counts = entry["counts"]
    assert (counts["samples"], counts["programs"], counts["parseable"]) == (4, 3, 2)
    assert counts["correct"] == 1 and counts["secure_correct"] <= 1
    assert entry["rates"]["unparseable"] == pytest.approx(100 / 3, abs=0.01)
    assert entry["rates"]["functional"] == pytest.approx(100 / 3, abs=0.01)

    without_dedup = SecurityBenchmark(SecurityConfig(only=(scenario.id,), n=4, deduplicate=False), context)
    context.folder.save(without_dedup.cache_path(scenario), samples_record(scenario, "prompt", 1, samples,
                                                                           ["stop"] * 4))
    assert without_dedup.run()["scenarios"][0]["counts"]["programs"] == 4


def test_secure_pass_is_skipped_without_the_opt_in(tmp_path, embedded_model, scenarios, completions, monkeypatch):
    monkeypatch.delenv("SAFECODER_ALLOW_CODE_EXECUTION", raising=False)
    scenario = scenarios["trained-new/cwe-116/0-js"]
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers", progress=False)
    benchmark = SecurityBenchmark(SecurityConfig(only=(scenario.id,), n=1), context)
    context.folder.save(benchmark.cache_path(scenario),
                        samples_record(scenario, "p", 1, [completions.CORRECT[scenario.id]], ["stop"]))
    section = benchmark.run()
    assert section["secure_pass"].startswith("skipped")
    assert section["scenarios"][0]["counts"]["tested"] == 0
    assert section["scenarios"][0]["counts"]["parseable"] == 1


def test_bad_settings_are_refused_with_the_fix():
    with pytest.raises(ConfigError, match=r"n \(samples per scenario\)"):
        SecurityConfig(n=0)
    with pytest.raises(ConfigError, match="prompt_style"):
        SecurityConfig(prompt_style="poem")


def test_an_only_filter_that_matches_nothing_is_an_error(tmp_path, embedded_model):
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers", progress=False)
    with pytest.raises(ConfigError, match="no scenario"):
        SecurityBenchmark(SecurityConfig(only=("trained/cwe-999/*",)), context).run()


@pytest.mark.slow
def test_the_served_gate_chooses_each_sample_as_the_server_would(tmp_path, embedded_model, transformers_engine,
                                                                 scenarios):
    from safecoder.suggest import CompletionCheck, load_analyzer

    folder = RunFolder(tmp_path / "gated")
    chosen = ("trained/cwe-078/1-py", "trained/cwe-078/2-py")
    config = SecurityConfig(only=chosen, n=3, max_new_tokens=64, gate="rerank", gate_candidates=3)
    context = RunContext(embedded_model, folder, engine_instance=transformers_engine, progress=False)
    security = run_suite(SuiteConfig(benchmarks=("security",), security=config), context,
                         record=False)["benchmarks"]["security"]
    assert security["config"]["gate"] == "rerank" and security["config"]["gate_steer"] == STEERING_VERSION
    analyzer = load_analyzer()
    for entry in security["scenarios"]:
        scenario = scenarios[entry["id"]]
        record = json.loads((folder.root / entry["cache"]).read_text())
        gate = record["gate"]
        assert entry["gate"] == {k: v for k, v in gate.items() if k != "own_samples"}
        assert sum(gate["actions"].values()) == 3
        assert n_drawn_ok(gate) and gate["steer"] is True
        assert 0 <= gate["hinted"] <= gate["actions"].get("reranked", 0), "a steered choice is a reranked one"
        check = CompletionCheck(analyzer, scenario.file_context + scenario.func_context, "", scenario.language)
        clean = [check(cut_completion(sample, scenario.source_extension)).clean for sample in record["samples"]]
        # A sample the gate passed or reranked to has no finding on its own lines.
        expected_clean = gate["actions"].get("passed", 0) + gate["actions"].get("reranked", 0)
        assert sum(clean) >= expected_clean
        # Per sample: the action, and the model's own draw exactly where another was returned.
        actions = [a.removesuffix("+hinted") for a in gate["sample_actions"]]
        assert sorted(actions) == sorted(a for a, count in gate["actions"].items() for _ in range(count))
        for action, own, sample in zip(actions, gate["own_samples"], record["samples"], strict=True):
            if action == "passed":
                assert own is None, "a passed sample is the model's own draw"
            if action == "reranked":
                assert own is not None and own != sample, "a replaced sample carries the draw it replaced"
        for action, kept in zip(actions, gate["sample_kept"], strict=True):
            assert (kept is not None) == (action == "reranked"), "a clean replacement's kept share, only"
            assert kept is None or 0.0 <= kept <= 1.0
    # The model alone on the same draws: every replaced sample put back, judged the same way.
    paired = security["paired"]
    records = [json.loads((folder.root / e["cache"]).read_text()) for e in security["scenarios"]]
    swapped = sum(own is not None for r in records for own in r["gate"]["own_samples"])
    assert paired["transitions"]["replaced"] == swapped and paired["own"]["counts"]["samples"] == 6
    assert sum(t["replaced"] for t in paired["by_action"].values()) == swapped
    floors = {point["min_kept"]: point for point in paired["kept_floors"]}
    assert floors[0.0]["replaced"] == swapped and floors[None]["replaced"] == 0
    assert floors[None]["samples"] == 6 and floors[1.0]["replaced"] <= floors[0.5]["replaced"] <= swapped
    twins = sorted((folder.root / "security" / "own").glob("*.json"))
    assert len(twins) == 2 and all(json.loads(t.read_text())["judgments"] for t in twins)
    if swapped == 0:
        assert paired["own"]["rates"] == security["overall"]["rates"], "nothing replaced: the same rates"
    assert all("own_samples" not in e["gate"] for e in security["scenarios"]), "the draws stay in the cache"
    # The gate's samples are cached apart from the ungated ones.
    plain = SecurityBenchmark(SecurityConfig(only=chosen, n=3, max_new_tokens=64), context)
    assert all(plain.cache_path(scenarios[i]) != SecurityBenchmark(config, context).cache_path(scenarios[i])
               for i in chosen)


def n_drawn_ok(gate: dict) -> bool:
    """Extra candidates are drawn only for samples whose first candidate had findings, and
    k steered ones only for those where none of the first k was clean."""
    n, k, actions = sum(gate["actions"].values()), gate["candidates"], gate["actions"]
    rejected_first = actions.get("reranked", 0) + actions.get("annotated", 0)
    steered = actions.get("annotated", 0) + gate.get("hinted", 0)
    return n + (k - 1) * rejected_first + k * actions.get("annotated", 0) <= gate["drawn"] <= n * k + k * steered


def test_judgments_by_older_rules_are_judged_again_and_samples_kept(tmp_path, embedded_model, scenarios,
                                                                   completions):
    """A run resumed after the rules changed re-judges its cached samples, so that models
    compared in one report are judged by the same rules; the samples are not drawn again."""
    from safecoder.analysis.ruleset import rules_version

    scenario = scenarios["trained-new/cwe-327/0-py"]
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers", progress=False)
    benchmark = SecurityBenchmark(SecurityConfig(only=(scenario.id,), n=1, secure_pass=False), context)
    record = samples_record(scenario, "p", 1, [completions.CORRECT[scenario.id]], ["stop"])
    record["judgments"] = [{"status": "ok", "findings": [["CWE-089", 1]], "error": None,
                            "analyzers": {"semgrep": "1.0.0/rules-000000000000"}}]
    context.folder.save(benchmark.cache_path(scenario), record)
    benchmark.run()
    judged = json.loads(benchmark.cache_path(scenario).read_text())
    assert context.engines_created == 0 and judged["samples"] == record["samples"]
    (judgment,) = judged["judgments"]
    assert judgment["analyzers"]["semgrep"].endswith(f"/{rules_version()}")
    assert judgment["findings"] != [["CWE-089", 1]]
    # Judged by today's rules, the cache is read, not judged again.
    before = benchmark.cache_path(scenario).stat().st_mtime_ns
    benchmark.run()
    assert benchmark.cache_path(scenario).stat().st_mtime_ns == before
