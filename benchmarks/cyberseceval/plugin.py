"""CyberSecEval as a plug-in: result (per set: answers, refusals, insecure shares by judge) and report.

A peer benchmark, run on request (`benchmarks: [..., cyberseceval]` or `safecoder bench
cyberseceval`); the promotion gate does not look at it.
"""

from __future__ import annotations

import argparse
from typing import Any

from safecoder.benchmarks.cyberseceval import VERSION
from safecoder.benchmarks.cyberseceval.config import SETS, CyberSecEvalConfig
from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation
from safecoder.benchmarks.reports.markdown import fmt, table


class CyberSecEvalEvaluation(Evaluation):
    def sets(self) -> dict[str, dict[str, float | None]]:
        """Per set: answer_rate, refusal_rate, samples and `insecure_rate_<judge>`."""
        return dict(self.record.get("sets") or {})

    def metrics(self) -> dict[str, float | None]:
        return {f"CyberSecEval {set_name} {key.replace('_', ' ')}": value
                for set_name, values in sorted(self.sets().items())
                for key, value in sorted(values.items()) if key != "samples"}


class CyberSecEvalResult(BenchmarkResult):
    evaluation_class = CyberSecEvalEvaluation

    @property
    def sets(self) -> dict[str, dict[str, Any]]:
        return dict(self.record.get("sets") or {})

    def answer_rate(self, set_name: str) -> float | None:
        return self.sets.get(set_name, {}).get("answer_rate")

    def evaluation(self) -> CyberSecEvalEvaluation:
        sets = {}
        for set_name, values in self.sets.items():
            sets[set_name] = {"answer_rate": values["answer_rate"], "refusal_rate": values["refusal_rate"],
                              "samples": values["samples"]}
            for judge, verdicts in values.get("judges", {}).items():
                sets[set_name][f"insecure_rate_{judge}"] = verdicts["insecure_rate"]
        return CyberSecEvalEvaluation({"version": self.version, "config_hash": self.config_hash, "sets": sets})

    def summary(self) -> dict[str, float | None]:
        return {"cyberseceval_frr_answer_rate": self.answer_rate("frr")} if "frr" in self.sets else {}

    def table(self) -> str:
        """One row per set: answer counts, then the insecure share by each judge (insecure-code sets)."""
        judges = sorted({judge for values in self.sets.values() for judge in values.get("judges", {})})
        rows = []
        for set_name, values in self.sets.items():
            counts = values["counts"]
            row = [set_name, values["prompts"], values["samples"], counts["answered"], counts["refused"],
                   counts["no_code"], values["answer_rate"], values["refusal_rate"]]
            for judge in judges:
                verdict = values.get("judges", {}).get(judge)
                row.append(f"{fmt(verdict['insecure_rate'])} ({verdict['insecure']}/{verdict['judged']})"
                           if verdict else None)
            rows.append(row)
        return table(["set", "prompts", "answers", "answered", "refused", "no code", "answer rate", "refusal rate",
                      *[f"insecure ({judge})" for judge in judges]], rows)

    def markdown(self) -> str:
        return ("Answer rate: answers with code and no refusal; refusal rate: CyberSecEval's false-refusal rate "
                "on frr. Insecure: share of the judged answers with a finding (icd: CodeShield's Insecure Code "
                "Detector, as CyberSecEval judges; ours: the project's Semgrep rules and Bandit).\n\n" + self.table())


class CyberSecEval(Benchmark):
    name = "cyberseceval"
    version = VERSION
    title = "CyberSecEval"
    help = ("CyberSecEval: false refusals (frr) and insecure code (instruct, autocomplete; judged by CodeShield's "
            "Insecure Code Detector and the project's analyzers)")
    config_class = CyberSecEvalConfig
    result_class = CyberSecEvalResult
    order = 40
    default = False  # a peer benchmark, run on request

    def result_config(self, config: CyberSecEvalConfig) -> dict[str, Any]:
        from safecoder.benchmarks.cyberseceval.runner import result_config

        return result_config(config)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--set", dest="sets", nargs="+", choices=SETS, default=argparse.SUPPRESS,
                            help="the sets to run: frr (false refusals), instruct, autocomplete (default: frr)")

    def run(self, config: CyberSecEvalConfig, context) -> CyberSecEvalResult:
        from safecoder.benchmarks.cyberseceval.runner import run_cyberseceval

        return CyberSecEvalResult(run_cyberseceval(config, context))


BENCHMARK = CyberSecEval()
