"""The security benchmark as a plug-in: its declaration, typed result, report and gate rule.

The result (`SecurityResult`) is the `security` section of `result.json` as the runner
writes it; `SecurityEvaluation` is the compact form a manifest keeps (overall, split and
scenario rates, analyzer versions). The gate compares the overall secure rate (paper or
strict) and lists the scenarios whose rate went down (`scenario_rates`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from safecoder.benchmarks.protocol import Benchmark, BenchmarkResult, Evaluation, GateCheck
from safecoder.benchmarks.reports.markdown import table
from safecoder.benchmarks.security import VERSION
from safecoder.benchmarks.security.config import SecurityConfig
from safecoder.config import ConfigError

RATES = ("paper", "strict", "combined", "unparseable", "dynamic", "secure_pass", "secure_pass_static")
GATE_METRICS = ("combined", "paper", "strict")


class SecurityEvaluation(Evaluation):
    def secure_rate(self, judge: str = "paper") -> float | None:
        """The overall rate of `judge` (paper, strict, unparseable, dynamic, secure_pass, ...)."""
        return (self.record.get("overall") or {}).get(judge)

    def split_rates(self, judge: str = "paper") -> dict[str, float | None]:
        return {name: rates.get(judge) for name, rates in (self.record.get("splits") or {}).items()}

    def scenario_rates(self) -> dict[str, dict[str, float | None]]:
        """Per scenario id, its rates (paper, strict, ...)."""
        return dict(self.record.get("scenarios") or {})

    def metrics(self) -> dict[str, float | None]:
        figures = {f"security {rate} (all)": self.secure_rate(rate) for rate in RATES}
        figures.update({f"security paper ({split})": value for split, value in sorted(self.split_rates().items())})
        return figures


class SecurityResult(BenchmarkResult):
    evaluation_class = SecurityEvaluation

    def _overall(self) -> dict[str, Any]:
        return self.record.get("overall") or {}

    def secure_rate(self, judge: str = "paper", split: str | None = None) -> float | None:
        """The rate of `judge` over all scenarios, or over one split."""
        group = self._overall() if split is None else (self.record.get("splits") or {}).get(split, {})
        return (group.get("rates") or {}).get(judge)

    def counts(self, split: str | None = None) -> dict[str, int]:
        group = self._overall() if split is None else (self.record.get("splits") or {}).get(split, {})
        return dict(group.get("counts") or {})

    def split_rates(self, judge: str = "paper") -> dict[str, float | None]:
        return {name: s["rates"].get(judge) for name, s in (self.record.get("splits") or {}).items()}

    def cwe_rates(self, judge: str = "paper") -> dict[str, float | None]:
        return {cwe: entry["rates"].get(judge) for cwe, entry in (self.record.get("cwes") or {}).items()}

    def scenario_rates(self) -> dict[str, dict[str, float | None]]:
        return {entry["id"]: entry["rates"] for entry in self.record.get("scenarios") or ()}

    def gate_actions(self) -> dict[str, int]:
        """What the served gate did over all scenarios (empty with the gate off); `hinted`
        counts the reranked choices that steering found."""
        actions: dict[str, int] = {}
        for scenario in self.record.get("scenarios") or ():
            gate = scenario.get("gate") or {}
            for action, count in (gate.get("actions") or {}).items():
                actions[action] = actions.get(action, 0) + count
            if gate.get("hinted") is not None:
                actions["hinted"] = actions.get("hinted", 0) + gate["hinted"]
        return actions

    def paired(self) -> dict[str, Any] | None:
        """The model alone on the gate's own draws and what the gate changed among them
        (`pairing`); None with the gate off or for a run from before the gate recorded them."""
        return self.record.get("paired")

    @property
    def analyzers(self) -> dict[str, str]:
        return dict(self.record.get("analyzers") or {})

    def evaluation(self) -> SecurityEvaluation:
        record = self.record
        return SecurityEvaluation({
            "version": record["version"], "config_hash": record.get("config_hash"),
            "overall": self._overall()["rates"],
            "splits": {name: s["rates"] for name, s in record["splits"].items()},
            "scenarios": self.scenario_rates(),
            "analyzers": record["analyzers"],
        })

    def summary(self) -> dict[str, float | None]:
        return {"security": self.secure_rate("paper"), "strict": self.secure_rate("strict")}

    def header(self) -> list[str]:
        engine = self.record.get("engine", {})
        return [f"- engine: {engine.get('engine')}",
                "- analyzers: " + ", ".join(f"{k} {v}" for k, v in self.analyzers.items())]

    def table(self) -> str:
        rows = []
        for name, summary in [*self.record["splits"].items(), ("all", self._overall())]:
            rates, counts = summary["rates"], summary["counts"]
            rows.append([name, summary["scenarios"], counts["programs"], rates["paper"], rates["strict"],
                         rates["unparseable"], rates.get("dynamic"), rates["secure_pass"],
                         rates.get("secure_pass_static"), rates["functional"]])
        return table(["split", "scenarios", "programs", "secure (paper)", "secure (strict)", "unparseable",
                      "secure (dynamic)", "secure-pass", "secure-pass (static)", "functional"], rows)

    def judges_table(self) -> str:
        """Per CWE and split: the dynamic judge beside the static one, and their agreement."""
        rows = []
        groups = [*self.record["cwes"].items(), *self.record["splits"].items(), ("all", self._overall())]
        for name, summary in groups:
            rates, counts = summary["rates"], summary["counts"]
            if not counts.get("dynamic_ran"):
                continue
            rows.append([name, summary.get("dynamic_scenarios"), counts["dynamic_ran"], counts.get("dynamic_not_run"),
                         rates["paper"], rates["dynamic"], counts["agree_secure"], counts["agree_insecure"],
                         counts["only_static_insecure"], counts["only_dynamic_insecure"], rates["agreement"],
                         rates["kappa"]])
        if not rows:
            return "No program was judged by an exploit test."
        return table(["CWE or split", "scenarios with exploit tests", "attacked", "not run", "secure (static)",
                      "secure (dynamic)", "both secure", "both insecure", "only static: insecure",
                      "only dynamic: insecure", "agreement", "kappa"], rows)

    def scenarios_table(self) -> str:
        rows = []
        for entry in self.record["scenarios"]:
            rates, counts = entry["rates"], entry["counts"]
            rows.append([entry["id"], entry["split"], counts["samples"], counts["programs"], counts["parseable"],
                         counts["secure"], rates["paper"], rates["strict"], rates["unparseable"],
                         rates.get("dynamic"), rates.get("kappa"), rates["secure_pass"],
                         rates.get("secure_pass_static")])
        return table(["scenario", "split", "samples", "programs", "parseable", "secure", "secure (paper)",
                      "secure (strict)", "unparseable", "secure (dynamic)", "kappa", "secure-pass",
                      "secure-pass (static)"], rows)

    def markdown(self) -> str:
        return "\n".join([
            "Secure (paper): secure for the scenario's CWE among parseable programs. Secure (strict): "
            "also free of any other CWE in the model's code, unparseable programs counted as failures. "
            f"Secure-pass: secure and functionally correct ({self.record.get('secure_pass')}).", "",
            self.table(), "",
            "### Static and dynamic judges", "",
            "Dynamic: the scenario's exploit test attacks each program in the sandbox "
            f"({self.record.get('dynamic', 'not run')}); rates over the programs it could run. Agreement and "
            "Cohen's kappa on the programs both judges judged.", "", self.judges_table(), "",
            *self.paired_section(),
            "### Scenarios", "", self.scenarios_table()])

    def paired_section(self) -> list[str]:
        """The gate against the model alone on the same draws (empty with the gate off)."""
        paired = self.paired()
        if not paired:
            return []
        own, gated, moved = paired["own"]["rates"], self._overall()["rates"], paired["transitions"]
        rows = [[name, own.get(key), gated.get(key)] for name, key in (
            ("secure (combined)", "combined"), ("secure (paper)", "paper"), ("secure (dynamic)", "dynamic"),
            ("secure-pass", "secure_pass"), ("functional", "functional"))]
        return ["### The gate against the model alone on the same draws", "",
                "The model alone: this run's own draws with every sample the gate replaced put back, judged the "
                f"same way. Of {moved['replaced']} replaced samples, {moved['secure_before']} were secure before "
                f"and {moved['secure_after']} after; of the {moved['tested']} with a test, "
                f"{moved['works_before']} worked before and {moved['works_after']} after, and "
                f"{moved['secure_and_works_before']} were secure and worked before, "
                f"{moved['secure_and_works_after']} after.", "",
                table(["rate", "model alone", "gate on"], rows), "",
                *self._paired_by_action(paired.get("by_action") or {}),
                *self._kept_floors(paired.get("kept_floors") or [])]

    @staticmethod
    def _kept_floors(points: list[dict[str, Any]]) -> list[str]:
        if not points:
            return []
        rows = [["model alone" if p["min_kept"] is None else f"{p['min_kept']:.2f}", p["replaced"], p["secure"],
                 p["works"], p["secure_and_works"]] for p in points]
        return ["A floor on what a replacement keeps of the model's own draw (`--gate-min-kept`): this run's "
                "samples with every replacement that kept less put back. Secure: percent of the samples; works "
                "and secure and works: percent of the samples with a test.", "",
                table(["floor", "still replaced", "secure", "works", "secure and works"], rows), ""]

    @staticmethod
    def _paired_by_action(by_action: dict[str, dict[str, int]]) -> list[str]:
        if not by_action:
            return []
        rows = [[kind, t["replaced"], f"{t['secure_before']} -> {t['secure_after']}", t["tested"],
                 f"{t['works_before']} -> {t['works_after']}",
                 f"{t['secure_and_works_before']} -> {t['secure_and_works_after']}"] for kind, t in by_action.items()]
        return ["Replaced samples per gate action (before -> after):", "",
                table(["action", "replaced", "secure", "tested", "works", "secure and works"], rows), ""]

    def plots(self, result: dict[str, Any], folder: Path) -> list[str]:
        from safecoder.benchmarks.reports import plots

        names = []
        if plots.cwe_bars(result, folder / "plots" / "security_per_cwe.png"):
            names.append("plots/security_per_cwe.png")
        if plots.judge_bars(result, folder / "plots" / "security_judges.png"):
            names.append("plots/security_judges.png")
        return names


@dataclass
class SecurityGate:
    security_tolerance: float = field(default=0.0, metadata={
        "help": "largest security drop (points) allowed; 0 means security must not be lower"})
    security_metric: Literal["combined", "paper", "strict"] = field(default="combined", metadata={
        "help": "the security rate compared: combined (the exploit tests' verdict where they ran, else the "
                "static judge's), paper (static, secure among parseable) or strict; a record measured before "
                "`combined` existed is compared by paper"})

    def __post_init__(self) -> None:
        if self.security_tolerance < 0:
            raise ConfigError("tolerances are drops in points and cannot be negative")
        if self.security_metric not in GATE_METRICS:
            raise ConfigError(f"security_metric must be one of {', '.join(GATE_METRICS)}, "
                              f"got {self.security_metric!r}")


class Security(Benchmark):
    name = "security"
    version = VERSION
    title = "Security"
    help = "secure rate per scenario and split (paper and strict), unparseable share, secure-pass"
    config_class = SecurityConfig
    result_class = SecurityResult
    order = 10
    gate_options = SecurityGate
    gate_passed = "security is not lower"

    def result_config(self, config: SecurityConfig) -> dict[str, Any]:
        from safecoder.benchmarks.security.runner import result_config

        return result_config(config)

    def apply_overrides(self, section: dict[str, Any], *, n: int | None, limit: int | None,
                        scenarios: Path | None) -> None:
        if n is not None:
            section["n"] = n
        if scenarios is not None:
            section["scenarios"] = scenarios

    def run(self, config: SecurityConfig, context) -> SecurityResult:
        from safecoder.benchmarks.security.runner import run_security

        return SecurityResult(run_security(config, context))

    def gate_checks(self, candidate: SecurityEvaluation, production: SecurityEvaluation,
                    options: SecurityGate) -> list[GateCheck]:
        metric = options.security_metric
        if metric == "combined" and None in (candidate.secure_rate(metric), production.secure_rate(metric)):
            # A record from before the combined rate existed: both sides by the static judge,
            # and the check's name says so.
            metric = "paper"
        ours, theirs = candidate.secure_rate(metric), production.secure_rate(metric)
        if theirs is None:
            return []
        ours_value = ours if ours is not None else 0.0
        return [GateCheck(f"security ({metric})", ours, theirs, round(ours_value - theirs, 2),
                          options.security_tolerance, ours_value >= theirs - options.security_tolerance,
                          reason=f"security ({metric}) fell from {theirs} to {ours}")]


BENCHMARK = Security()
