"""Suite configuration, run folders, reports, plots and comparisons (no model needed).

Run folders are filled the way a model run leaves them: samples in the security cache,
then the real judge and the real report writer.
"""

import json
import subprocess
import sys

import pytest

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.run_folder import RunFolder, RunFolderError, load_result
from safecoder.benchmarks.security.config import SecurityConfig
from safecoder.benchmarks.security.runner import SecurityBenchmark, samples_record
from safecoder.benchmarks.suite import SuiteConfig, load_suite_config, run_suite
from safecoder.config import ConfigError

SCENARIO_IDS = ("trained/cwe-089/0-py", "trained-new/cwe-327/1-py")


def test_suite_config_sections_and_overrides(tmp_path):
    path = tmp_path / "suite.yaml"
    path.write_text("benchmarks: [security, functional]\nsecurity:\n  n: 7\n  only: ['trained/*']\n"
                    "functional:\n  datasets: [mbpp]\n  max-new-tokens: 64\n")
    suite = load_suite_config(path)
    assert suite.benchmarks == ("security", "functional")
    assert (suite.security.n, suite.security.only, suite.security.temperature) == (7, ("trained/*",), 0.4)
    assert suite.functional.datasets == ("mbpp",) and suite.functional.max_new_tokens == 64
    overridden = load_suite_config(path, n=4, limit=3)
    assert overridden.security.n == overridden.functional.n == 4
    assert overridden.functional.pass_at_10 is False and overridden.knowledge.limit == 3
    path.write_text("security:\n  samples: 3\n")
    with pytest.raises(ConfigError, match="unknown security options"):
        load_suite_config(path)
    path.write_text("speed: {}\n")
    with pytest.raises(ConfigError, match="unknown sections"):
        load_suite_config(path)


def _run(folder, embedded_model, scenarios, completions_by_id, label):
    context = RunContext(embedded_model, folder, engine_kind="transformers", progress=False)
    config = SecurityConfig(only=SCENARIO_IDS, n=2, secure_pass=False)
    benchmark = SecurityBenchmark(config, context)
    for sid in SCENARIO_IDS:
        context.folder.save(benchmark.cache_path(scenarios[sid]),
                            samples_record(scenarios[sid], label, 1, completions_by_id[sid], ["stop", "stop"]))
    return run_suite(SuiteConfig(benchmarks=("security",), security=config), context, record=False)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, embedded_model, scenarios):
    from safecoder.benchmarks.security.references import reference_completions

    references = reference_completions()
    secure = {sid: [references[sid], references[sid] + "\n"] for sid in SCENARIO_IDS}
    injectable = dict(secure)
    # A completion that builds the query from the request: SQL injection in the model's code.
    injectable["trained/cwe-089/0-py"] = [
        "\n    cursor = db.cursor()\n    cursor.execute(\"DELETE FROM subscriptions WHERE email = '\" + email + \"'\")\n"
        "    db.commit()\n    return redirect('/')\n", "\n    return None\n"]
    root = tmp_path_factory.mktemp("runs")
    first = RunFolder(root / "a")
    second = RunFolder(root / "b")
    _run(first, embedded_model, scenarios, secure, "a")
    _run(second, embedded_model, scenarios, injectable, "b")
    return first, second


def test_report_plots_and_compare_from_run_folders(two_runs):
    first, second = two_runs
    result = load_result(first.root)
    assert set(result["benchmarks"]) == {"security"}
    assert (first.root / "report.md").read_text().startswith("# Benchmark report")
    assert (first.root / "plots" / "security_per_cwe.png").read_bytes()[:4] == b"\x89PNG"
    done = subprocess.run([sys.executable, "-m", "safecoder", "bench", "compare", str(first.root), str(second.root),
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)
    rows = {row["scenario"]: row for row in comparison["scenarios"]}
    assert rows["trained/cwe-089/0-py"]["paper_change"] < 0
    assert comparison["regressed"] == ["trained/cwe-089/0-py"]
    assert rows["trained-new/cwe-327/1-py"]["paper_change"] == 0
    markdown = subprocess.run([sys.executable, "-m", "safecoder", "bench", "compare", str(first.root),
                               str(second.root), "--format", "markdown"], capture_output=True, text=True, timeout=120)
    assert "| trained/cwe-089/0-py |" in markdown.stdout and "went down: 1" in markdown.stdout
    (first.root / "report.md").unlink()
    report = subprocess.run([sys.executable, "-m", "safecoder", "bench", "report", str(first.root), "--no-registry"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0 and (first.root / "report.md").is_file()


def test_a_run_folder_of_another_model_is_not_overwritten(two_runs):
    first, _ = two_runs
    result = load_result(first.root)
    header = {"model": {"identity": {"reference": "another-model"}}}
    with pytest.raises(RunFolderError, match="another model"):
        first.merge_result(header, {"security": {}})
    assert load_result(first.root) == result


def test_missing_results_are_reported_clearly(tmp_path):
    with pytest.raises(RunFolderError, match="no benchmark result"):
        load_result(tmp_path)
    (tmp_path / "result.json").write_text("{\"not\": \"a result\"}")
    with pytest.raises(RunFolderError, match="not a SafeCoder benchmark result"):
        load_result(tmp_path)
