"""The functional benchmark (HumanEval, MBPP pass@k) as a plug-in: result, report, gate rule.

The gate allows pass@1 to fall by at most `--pass1-tolerance` points on each dataset
production was measured on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder.benchmarks.functional import VERSION
from safecoder.benchmarks.functional.config import FunctionalConfig
from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation, GateCheck
from safecoder.benchmarks.reports.markdown import table
from safecoder.config import ConfigError

logger = logging.getLogger(__name__)

class FunctionalEvaluation(Evaluation):
    def pass_at(self, k: int) -> dict[str, float]:
        """pass@k per dataset (percent)."""
        return dict(self.record.get(f"pass@{k}") or {})

    def metrics(self) -> dict[str, float | None]:
        return {f"{dataset} pass@{k}": value for k in (1, 10) for dataset, value in sorted(self.pass_at(k).items())}


class FunctionalResult(BenchmarkResult):
    evaluation_class = FunctionalEvaluation

    @property
    def datasets(self) -> dict[str, dict[str, Any]]:
        return dict(self.record.get("datasets") or {})

    def pass_at(self, k: int) -> dict[str, float]:
        """pass@k per dataset (percent), for the datasets where it was computed."""
        return {name: values[f"pass@{k}"] for name, values in self.datasets.items() if f"pass@{k}" in values}

    def evaluation(self) -> FunctionalEvaluation:
        return FunctionalEvaluation({"version": self.version, "config_hash": self.config_hash,
                                     "pass@1": self.pass_at(1), "pass@10": self.pass_at(10)})

    def summary(self) -> dict[str, float | None]:
        return {f"{dataset}@1": value for dataset, value in self.pass_at(1).items()}

    def table(self) -> str:
        rows = [[name, d["problems"], d.get("pass@1"), d.get("pass@10")] for name, d in self.datasets.items()]
        return table(["dataset", "problems", "pass@1", "pass@10"], rows)

    def markdown(self) -> str:
        return self.table()


@dataclass
class FunctionalGate:
    pass1_tolerance: float = field(default=2.0, metadata={
        "help": "largest pass@1 drop (percentage points) a candidate may have on any functional dataset"})

    def __post_init__(self) -> None:
        if self.pass1_tolerance < 0:
            raise ConfigError("tolerances are drops in points and cannot be negative")


class Functional(Benchmark):
    name = "functional"
    version = VERSION
    title = "Functional correctness"
    help = "pass@1 and pass@10 on HumanEval and MBPP (runs generated code: needs --allow-code-execution)"
    config_class = FunctionalConfig
    result_class = FunctionalResult
    order = 20
    needs_code_execution = True
    gate_options = FunctionalGate
    gate_passed = "pass@1 is within the tolerance"

    def result_config(self, config: FunctionalConfig) -> dict[str, Any]:
        from safecoder.benchmarks.functional.runner import result_config

        return result_config(config)

    def apply_overrides(self, section: dict[str, Any], *, n: int | None, limit: int | None,
                        scenarios: Path | None) -> None:
        super().apply_overrides(section, n=n, limit=limit, scenarios=scenarios)
        if n is not None:
            section["n"] = n
            if n < 10 and "pass_at_10" not in section:
                logger.info("n=%d < 10: pass@10 is not computed", n)
                section["pass_at_10"] = False  # pass@10 needs 10 samples

    def run(self, config: FunctionalConfig, context) -> FunctionalResult:
        from safecoder.benchmarks.functional.runner import run_functional

        return FunctionalResult(run_functional(config, context))

    def gate_checks(self, candidate: FunctionalEvaluation, production: FunctionalEvaluation,
                    options: FunctionalGate) -> list[GateCheck]:
        checks = []
        ours, theirs = candidate.pass_at(1), production.pass_at(1)
        tolerance = options.pass1_tolerance
        for dataset in sorted(theirs):
            if ours.get(dataset) is None:
                checks.append(GateCheck(f"{dataset} pass@1", None, theirs[dataset], None, tolerance, False,
                                        reason=f"the candidate has no {dataset} pass@1 to compare", evidence=False))
                continue
            checks.append(GateCheck(
                f"{dataset} pass@1", ours[dataset], theirs[dataset], round(ours[dataset] - theirs[dataset], 2),
                tolerance, theirs[dataset] - ours[dataset] <= tolerance + 1e-9,
                reason=f"{dataset} pass@1 fell from {theirs[dataset]} to {ours[dataset]}, more than {tolerance} "
                       "points"))
        return checks


BENCHMARK = Functional()
