"""The functional benchmark: pass@k from programs run in the sandbox, on the real model."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.functional.config import FunctionalConfig
from safecoder.benchmarks.functional.passk import pass_at_k
from safecoder.benchmarks.functional.problems import load_problems
from safecoder.benchmarks.functional.runner import (
    PROGRAM_VERSION,
    FunctionalBenchmark,
    run_functional,
    samples_record,
)
from safecoder.benchmarks.run_folder import RunFolder
from safecoder.benchmarks.sandbox import CodeExecutionNotAllowedError
from safecoder.config import ConfigError

ANSWER = "any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])"
RIGHT = f"\n    return {ANSWER}\n"
WRONG = "\n    return False\n"
LOOPS = "\n    while True:\n        pass\n"
ESCAPED = Path("/tmp") / f"escaped-{uuid.uuid4().hex}"
# Right answers that also do something the sandbox forbids: each must count as a failure.
WRITES_OUTSIDE = f"\n    open({str(ESCAPED)!r}, 'w').write('x')\n    return {ANSWER}\n"
OPENS_A_SOCKET = f"\n    import socket\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n    return {ANSWER}\n"
FORKS_FOREVER = ("\n    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n"
                 f"            pass\n    return {ANSWER}\n")


@pytest.mark.slow
def test_pass_at_1_on_the_embedded_model(tmp_path, embedded_model, transformers_engine):
    folder = RunFolder(tmp_path / "run")
    context = RunContext(embedded_model, folder, engine_instance=transformers_engine, allow_code_execution=True,
                         progress=False)
    config = FunctionalConfig(limit=2, n=2, pass_at_10=False, max_new_tokens=64)
    section = run_functional(config, context)
    assert set(section["datasets"]) == {"humaneval", "mbpp"}
    for dataset in section["datasets"].values():
        assert dataset["problems"] == 2 and "pass@10" not in dataset
        problems = dataset["runs"]["pass@1"]["problems"]
        assert all(p["n"] == 2 for p in problems.values())
        expected = 100 * sum(pass_at_k(p["n"], p["c"], 1) for p in problems.values()) / len(problems)
        assert dataset["pass@1"] == pytest.approx(expected, abs=0.01)
    records = [json.loads(p.read_text()) for p in (folder.root / "functional").rglob("*.json")]
    assert len(records) == 4
    for record in records:
        assert record["temperature"] == 0.2 and len(record["completions"]) == 2
        assert record["isolation"] == "namespace" and len(record["passed"]) == 2
        # Stop sequences end every sample before a new top-level definition.
        assert not any("\ndef " in c or "\nclass " in c for c in record["completions"])


def test_programs_that_pass_fail_or_hang_are_counted_right(tmp_path, embedded_model):
    """Completions written into the run folder as if sampled; running them is real."""
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers",
                         allow_code_execution=True, progress=False)
    samples = [RIGHT, WRONG, RIGHT, LOOPS, WRITES_OUTSIDE, OPENS_A_SOCKET, FORKS_FOREVER, RIGHT]
    config = FunctionalConfig(datasets=("humaneval",), limit=1, n=len(samples), pass_at_10=False, timeout_s=3)
    benchmark = FunctionalBenchmark(config, context)
    problem = load_problems("humaneval", limit=1)[0]
    context.folder.save(benchmark.cache_path(problem, 0.2), samples_record(problem, 0.2, 1, samples))
    section = benchmark.run()
    assert context.engines_created == 0
    assert section["datasets"]["humaneval"]["runs"]["pass@1"]["problems"][problem.name] == {"n": 8, "c": 3}
    assert section["datasets"]["humaneval"]["pass@1"] == 37.5
    record = json.loads(benchmark.cache_path(problem, 0.2).read_text())
    assert record["passed"] == [True, False, True, False, False, False, False, True]
    assert record["statuses"][3] == "timeout" and record["statuses"][6] in ("timeout", "failed")
    assert not ESCAPED.exists()


def test_a_body_on_the_signatures_line_counts_and_older_records_are_tested_again(tmp_path, embedded_model):
    """A chat answer `def f(...): return ...` is right; a record tested by the older program
    assembly (which failed it) is tested again from its samples, with no model loaded."""
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), engine_kind="transformers",
                         allow_code_execution=True, progress=False)
    same_line = f" return {ANSWER}\n\nprint(has_close_elements([1.0, 1.5], 0.6))"
    broken_same_line = f" x = 1\n    return {ANSWER}\n"  # does not parse as written: stays wrong
    samples = [same_line, broken_same_line, RIGHT]
    config = FunctionalConfig(datasets=("humaneval",), limit=1, n=len(samples), pass_at_10=False, timeout_s=10)
    benchmark = FunctionalBenchmark(config, context)
    problem = load_problems("humaneval", limit=1)[0]
    stale = samples_record(problem, 0.2, 1, samples) | {"passed": [False, False, True],
                                                         "statuses": ["failed", "failed", "passed"]}
    context.folder.save(benchmark.cache_path(problem, 0.2), stale)
    section = benchmark.run()
    assert context.engines_created == 0
    assert section["program_version"] == PROGRAM_VERSION
    record = json.loads(benchmark.cache_path(problem, 0.2).read_text())
    assert record["passed"] == [True, False, True] and record["program_version"] == PROGRAM_VERSION
    assert record["completions"] == samples


def test_generated_code_never_runs_without_the_opt_in(tmp_path, embedded_model, monkeypatch, registry_root):
    monkeypatch.delenv("SAFECODER_ALLOW_CODE_EXECUTION", raising=False)
    context = RunContext(embedded_model, RunFolder(tmp_path / "run"), progress=False)
    with pytest.raises(CodeExecutionNotAllowedError, match="--allow-code-execution"):
        FunctionalBenchmark(FunctionalConfig(limit=1, n=1, pass_at_10=False), context)
    done = subprocess.run([sys.executable, "-m", "safecoder", "bench", "functional", "--limit", "1", "--n", "1",
                           "--no-pass-at-10", "--run-dir", str(tmp_path / "cli")],
                          capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "SAFECODER_ALLOW_CODE_EXECUTION"})
    assert done.returncode == 2
    assert "--allow-code-execution" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "cli").exists()


def test_pass_at_10_needs_ten_samples():
    with pytest.raises(ConfigError, match="pass@10 needs n >= 10"):
        FunctionalConfig(n=5)
    assert [run[0] for run in FunctionalConfig(n=10).runs()] == ["pass@1", "pass@10"]
    assert FunctionalConfig(n=10).runs()[1][1] == 0.6
