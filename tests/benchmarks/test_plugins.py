"""A benchmark added as a plug-in folder, and nothing else: listed, run, reported, gated.

The toy benchmark below is written into a temporary folder named by
`SAFECODER_BENCHMARK_PATH`; no file of the project changes. It scores its own settings
(the share of the word "secure" among its words), so the test needs no engine; the suite,
the CLI, the report, `bench compare` and the promotion gate are the real ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from safecoder.benchmarks import catalog
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.promotion import GateConfig, decide, gate_benchmarks
from safecoder.benchmarks.protocol import BenchmarkError
from safecoder.benchmarks.reports.compare import View, compare, view_from_result
from safecoder.benchmarks.run_folder import RunFolder, load_result
from safecoder.benchmarks.suite import (
    SUITE_NAME,
    evaluation_record,
    expected_config_hash,
    load_suite_config,
    run_suite,
)
from safecoder.registry import Registry

TOY = textwrap.dedent('''
    """A toy benchmark: the share of the word "secure" among its words."""

    from dataclasses import dataclass, field

    from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation, GateCheck
    from safecoder.benchmarks.reports.markdown import table

    from .words import share


    @dataclass
    class ToyConfig:
        words: tuple[str, ...] = field(default=("secure", "code"), metadata={"help": "the words scored"})
        limit: int = field(default=0, metadata={"help": "first N words (0: all)"})


    class ToyEvaluation(Evaluation):
        @property
        def score(self):
            return self.record.get("score")

        def metrics(self):
            return {"toy score": self.score}


    class ToyResult(BenchmarkResult):
        evaluation_class = ToyEvaluation

        @property
        def score(self):
            return self.record["score"]

        def evaluation(self):
            return ToyEvaluation({"version": self.version, "config_hash": self.config_hash, "score": self.score})

        def summary(self):
            return {"toy_score": self.score}

        def table(self):
            return table(["words", "score"], [[self.record["words"], self.score]])

        def markdown(self):
            return "Share of the word secure.\\n\\n" + self.table()


    @dataclass
    class ToyGate:
        toy_min_score: float = field(default=50.0, metadata={"help": "smallest toy score a candidate may have"})


    class Toy(Benchmark):
        name = "toy"
        version = "toy-1"
        title = "Toy benchmark"
        help = "the share of the word secure (a plug-in of the tests)"
        config_class = ToyConfig
        result_class = ToyResult
        gate_options = ToyGate
        gate_passed = "the toy score holds"

        def run(self, config, context):
            words = config.words[:config.limit or None]
            return ToyResult({"version": self.version, "config": self.result_config(config), "words": len(words),
                              "score": share(words, "secure")})

        def gate_checks(self, candidate, production, options):
            ours = candidate.score
            return [GateCheck("toy score", ours, production.score, None, None,
                              ours is not None and ours >= options.toy_min_score,
                              reason=f"the toy score {ours} is below {options.toy_min_score}")]


    BENCHMARK = Toy()
''')

WORDS = textwrap.dedent('''
    def share(words, word):
        return round(100.0 * sum(w == word for w in words) / len(words), 2) if words else None
''')


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """A plug-in folder holding `toy/` (two modules: the plug-in imports its sibling), on the search path."""
    root = tmp_path / "plugins"
    (root / "toy").mkdir(parents=True)
    (root / "toy" / "plugin.py").write_text(TOY)
    (root / "toy" / "words.py").write_text(WORDS)
    monkeypatch.setenv(catalog.PATH_VARIABLE, str(root))
    return root


def safecoder(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "safecoder", *args], capture_output=True, text=True, timeout=300,
                          env=os.environ.copy())


def test_the_plugin_is_listed_with_its_settings_and_gate_flags(plugins):
    assert catalog.get("toy").source == str(plugins / "toy")
    assert catalog.names()[-2:] == ("toy", "knowledge")  # after the generating benchmarks, before knowledge
    listing = safecoder("bench", "list")
    assert listing.returncode == 0, listing.stderr
    assert "toy-1" in listing.stdout and "toy-min-score" in listing.stdout
    suite_help = safecoder("bench", "all", "--help")
    assert "toy:" in suite_help.stdout and "toy (toy-1)" in suite_help.stdout
    assert "--words" in safecoder("bench", "toy", "--help").stdout
    assert "--toy-min-score" in safecoder("promote", "--help").stdout
    assert gate_benchmarks() == ("security", "functional", "answer-rate", "toy")


def test_the_suite_runs_reports_records_and_compares_it(plugins, tmp_path, embedded_model):
    config = tmp_path / "suite.yaml"
    config.write_text("benchmarks: [toy]\ntoy:\n  words: [secure, code, secure, tests]\n")
    suite = load_suite_config(config)
    assert suite.toy.words == ("secure", "code", "secure", "tests")
    folder = RunFolder(tmp_path / "run")
    result = run_suite(suite, RunContext(embedded_model, folder, progress=False), record=False)
    section = load_result(folder.root)["benchmarks"]["toy"]
    assert section["score"] == 50.0 and section["version"] == "toy-1"
    assert section["config_hash"] == expected_config_hash("toy", suite.toy)
    report = (folder.root / "report.md").read_text()
    assert "## Toy benchmark" in report and "| 4 | 50.0 |" in report
    record = evaluation_record(result)
    assert record["benchmarks"]["toy"] == {"version": "toy-1", "config_hash": section["config_hash"], "score": 50.0}
    assert record["summary"] == {"toy_score": 50.0}
    rows = compare(View("a", {"toy": {"score": 75.0}}), view_from_result(result, "b")).metrics
    assert rows == [{"metric": "toy score", "a": 75.0, "b": 50.0, "change": -25.0}]
    # The command line runs it alone, as every benchmark, and prints its table.
    done = safecoder("bench", "toy", "--model", "smollm2-135m", "--run-dir", str(tmp_path / "cli"), "--words",
                     "secure", "code", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Toy benchmark\n| words | score |" in done.stdout
    assert load_result(tmp_path / "cli")["benchmarks"]["toy"]["score"] == 50.0


def recorded(suite, security: float, toy: float) -> dict:
    """An evaluation record as `safecoder bench all` leaves it: the built-in gated benchmarks and the toy."""
    return {
        "suite": SUITE_NAME, "time": "2026-01-01T00:00:00+00:00", "summary": {},
        "benchmarks": {
            "security": {"version": catalog.get("security").version,
                         "config_hash": expected_config_hash("security", suite.security),
                         "overall": {"paper": security, "strict": security}, "splits": {}, "scenarios": {}},
            "functional": {"version": catalog.get("functional").version,
                           "config_hash": expected_config_hash("functional", suite.functional),
                           "pass@1": {"humaneval": 20.0}, "pass@10": {}},
            "answer-rate": {"version": catalog.get("answer-rate").version,
                            "config_hash": expected_config_hash("answer-rate", suite.answer_rate),
                            "answer_rate": 90.0, "refusal_rate": 10.0, "samples": 10, "counts": {}},
            "toy": {"version": "toy-1", "config_hash": expected_config_hash("toy", suite.toy), "score": toy},
        },
    }


def test_the_promotion_gate_applies_the_threshold_it_declares(plugins, registry_root):
    suite = load_suite_config(n=2, limit=1, benchmarks=gate_benchmarks())
    registry = Registry(registry_root)
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    registry.add_evaluation("v0001", recorded(suite, 60.0, toy=80.0))
    registry.add_evaluation("v0002", recorded(suite, 70.0, toy=40.0))
    gate_flags = ["--n", "2", "--limit", "1", "--no-progress", "--format", "json"]
    refused = safecoder("promote", "v0002", *gate_flags)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    decision = json.loads(refused.stdout)
    assert [c["check"] for c in decision["checks"] if not c["passed"]] == ["toy score"]
    assert "the toy score 40.0 is below 50.0" in decision["reasons"]
    assert decision["config"]["toy_min_score"] == 50.0
    promoted = safecoder("promote", "v0002", "--toy-min-score", "30", *gate_flags)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert registry.aliases()["production"] == "v0002"
    assert json.loads(promoted.stdout)["reasons"] == [
        "security is not lower, pass@1 is within the tolerance, the answer rate holds and the toy score holds"]


def test_a_candidate_without_the_plugins_result_is_refused(plugins):
    production = View("v0001", {"toy": {"score": 60.0}})
    decision = decide(View("v0002", {}), production, GateConfig(toy_min_score=10.0))
    assert not decision.passed and "the candidate has no toy result" in decision.reasons


def test_broken_and_clashing_plugins_are_named(plugins, tmp_path, monkeypatch):
    broken = tmp_path / "broken" / "bad"
    broken.mkdir(parents=True)
    (broken / "plugin.py").write_text("import not_a_module\n")
    monkeypatch.setenv(catalog.PATH_VARIABLE, str(broken.parent))
    with pytest.raises(BenchmarkError, match=r"bad/plugin.py failed to import: ModuleNotFoundError"):
        catalog.benchmarks()
    twin = tmp_path / "twin" / "toy"
    twin.mkdir(parents=True)
    (twin / "plugin.py").write_text(TOY)
    (twin / "words.py").write_text(WORDS)
    monkeypatch.setenv(catalog.PATH_VARIABLE, os.pathsep.join([str(plugins), str(twin.parent)]))
    with pytest.raises(BenchmarkError, match="two benchmarks are called 'toy'"):
        catalog.benchmarks()
    monkeypatch.setenv(catalog.PATH_VARIABLE, str(tmp_path / "nowhere"))
    with pytest.raises(BenchmarkError, match="not a folder"):
        catalog.benchmarks()


def test_a_version_recorded_before_the_plugin_existed_has_it_measured_once(plugins, registry_root, tmp_path):
    suite = load_suite_config(n=2, limit=1, benchmarks=gate_benchmarks())
    registry = Registry(registry_root)
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    before = recorded(suite, 60.0, toy=0.0)
    del before["benchmarks"]["toy"]
    registry.add_evaluation("v0001", before)
    registry.add_evaluation("v0002", recorded(suite, 70.0, toy=40.0))
    done = safecoder("promote", "v0002", "--n", "2", "--limit", "1", "--run-root", str(tmp_path / "runs"),
                     "--no-progress", "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    check = next(c for c in json.loads(done.stdout)["checks"] if c["check"] == "toy score")
    # Production's toy result was measured by the gate (limit 1: the word "secure" alone) and recorded.
    assert check["production"] == 100.0 and not check["passed"]
    assert registry.get("v0001").latest_evaluation(SUITE_NAME)["benchmarks"]["toy"]["score"] == 100.0
    assert load_result(tmp_path / "runs" / "v0001")["benchmarks"]["toy"]["score"] == 100.0
