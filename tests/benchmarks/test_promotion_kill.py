"""`kill -9` of a real `safecoder promote` at each of its writes, then the same command again:
the registry ends as an uninterrupted promotion leaves it.

A promotion that passes the gate changes two files: `aliases.json` (production moves; the
history event carries the whole decision, the commit point), then the candidate's
manifest (its promotion record and the gate's decision, one write). The command runs
under `tests/kill_point.py`, which SIGKILLs it just before or just after one of those
renames (drawn with a seed; then the rerun is killed too, at a second drawn point); a
last run completes. Every kill point between two renames leaves what a kill at the
second leaves, so these points cover every state a kill can leave. The gate reuses the
recorded evaluations (as `test_promotion.py` sets them up): nothing else is written.

Checked: the manifests and `aliases.json` equal the uninterrupted run's (times aside), no
temporary file is left in the registry, and a promotion killed after its commit point is
completed from the history ("resumed: ...") instead of failing as "already in production".
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from registry_state import registry_state

from safecoder.registry import Registry

from .test_promotion import GATE_FLAGS, SCENARIO_IDS, recorded

KILL_POINT = Path(__file__).resolve().parents[1] / "kill_point.py"
SEED = 23


@pytest.fixture
def suite():
    from safecoder.benchmarks.promotion import GATE_BENCHMARKS
    from safecoder.benchmarks.suite import load_suite_config

    return load_suite_config(n=2, limit=1, benchmarks=GATE_BENCHMARKS)


def _registry(root: Path, suite) -> Registry:
    """v0001 in production, v0002 better on every gated benchmark; both with recorded evaluations."""
    registry = Registry(root)
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    registry.add_evaluation("v0001", recorded(suite, dict(zip(SCENARIO_IDS, (80.0, 60.0, 70.0), strict=True)),
                                              {"humaneval": 20.0, "mbpp": 30.0}))
    registry.add_evaluation("v0002", recorded(suite, dict(zip(SCENARIO_IDS, (85.0, 70.0, 75.0), strict=True)),
                                              {"humaneval": 21.0, "mbpp": 30.0}))
    return registry


def _promote(root: Path, *point: str, trace: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, str(KILL_POINT), *point, *(["--trace", str(trace)] if trace else []), "--",
               "promote", "v0002", *GATE_FLAGS, "--no-progress"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SAFECODER_REGISTRY": str(root), "COLUMNS": "200"})


def _leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".*") if p.name != ".lock")


def test_kill_9_at_each_write_of_a_promotion_then_rerun_ends_as_the_uninterrupted_run(tmp_path, suite):
    reference = _registry(tmp_path / "reference", suite)
    trace = tmp_path / "trace.tsv"
    done = _promote(reference.root, trace=trace)
    assert done.returncode == 0, done.stderr
    assert reference.aliases()["production"] == "v0002"
    renames = [Path(line.split("\t")[1]).name for line in trace.read_text().splitlines()]
    assert renames == ["aliases.json", "manifest.json"], "the promotion's writes (the kill points below)"
    expected = registry_state(reference)

    points = [(when, n) for n in range(1, len(renames) + 1) for when in ("--before", "--after")]
    randomness = random.Random(SEED)
    outcomes = []
    for trial, (when, n) in enumerate(points):
        root = tmp_path / f"killed-{trial}"
        registry = _registry(root, suite)
        second = randomness.choice(points)
        kills = []
        for kill in ((when, n), second):
            killed = _promote(root, kill[0], str(kill[1]))
            kills.append((kill, killed.returncode))
            assert killed.returncode in (-9, 0, 2), killed.stderr
            assert "Traceback" not in killed.stderr
        final = _promote(root)
        production_before = [e for e in registry.history("production") if e["to"] == "v0002"]
        assert final.returncode in (0, 2), f"kills {kills}\n{final.stderr}"
        if final.returncode == 2:
            assert "already in production" in final.stderr, final.stderr
        assert registry_state(registry) == expected, f"kills {kills}"
        assert _leftovers(root) == [], f"kills {kills}: temporary files left"
        assert len(production_before) == 1, "promoted once"
        outcomes.append((kills, final.returncode))

    # A kill just after the commit point: the rerun completes the promotion from the history.
    root = tmp_path / "after-commit"
    registry = _registry(root, suite)
    assert _promote(root, "--after", "1").returncode == -9
    assert registry.aliases()["production"] == "v0002" and registry.get("v0002").promotions == []
    resumed = _promote(root)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed:" in resumed.stderr and "the gate did not run again" in resumed.stderr
    assert registry_state(registry) == expected, outcomes


@pytest.mark.slow
def test_kill_9_while_the_gate_measures_then_rerun_resumes_the_benchmark_and_decides(tmp_path):
    """The gate measures an unmeasured candidate with the real model (SmolLM2-135M); the
    promotion is killed just after the first scenario's samples reach the run folder. The
    rerun reuses that scenario ("1 of 2 scenarios resumed"), samples only the other one, and
    decides; the registry was untouched by the killed run."""
    from safecoder.benchmarks.promotion import GATE_BENCHMARKS
    from safecoder.benchmarks.suite import SUITE_NAME, load_suite_config

    scenarios = ["trained-new/cwe-116/0-js", "trained/cwe-089/0-py"]
    config = tmp_path / "tiny.yaml"
    config.write_text(
        f"security:\n  only: {scenarios!r}\n  n: 2\n  max_new_tokens: 24\n"
        "functional:\n  datasets: [humaneval]\n  limit: 1\n  n: 2\n  pass_at_10: false\n  max_new_tokens: 24\n"
        "answer-rate:\n  limit: 1\n  max_new_tokens: 24\n")
    suite = load_suite_config(config, benchmarks=GATE_BENCHMARKS)
    root, runs = tmp_path / "registry", tmp_path / "runs"
    registry = Registry(root)
    for _ in range(2):
        registry.register(None, kind="embedded", base_model="smollm2-135m", aliases=())
    registry.promote("v0001", reason="first version")
    registry.add_evaluation("v0001", recorded(suite, dict.fromkeys(scenarios, 0.0), {"humaneval": 0.0}, answer_rate=0.0))
    before = registry_state(registry)

    def promote(*point: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(KILL_POINT), *point, "--", "promote", "v0002", "--config", str(config),
             "--allow-code-execution", "--run-root", str(runs), "--no-progress"],
            capture_output=True, text=True, timeout=900, env={**os.environ, "SAFECODER_REGISTRY": str(root)})

    killed = promote("--after-match", "trained*_cwe-*.json")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    saved = sorted((runs / "v0002").rglob("trained*_cwe-*.json"))
    assert len(saved) == 1, "killed just after the first scenario's record"
    samples_before_kill = json.loads(saved[0].read_text())["samples"]
    assert registry_state(registry) == before, "the killed gate wrote nothing to the registry"

    resumed = promote()
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "security: 1 of 2 scenarios resumed" in resumed.stderr
    assert json.loads(saved[0].read_text())["samples"] == samples_before_kill
    evaluation = registry.get("v0002").latest_evaluation(SUITE_NAME)
    assert sorted(evaluation["benchmarks"]["security"]["scenarios"]) == sorted(scenarios)
    assert registry.aliases()["production"] == "v0002"
