"""What changed between two benchmark results, metric by metric and scenario by scenario.

Input: two "views": the compact form a manifest's evaluation record holds (`suite.
evaluation_record`), built from a run folder's `result.json` or read from a registry
version's manifest. Output: rows (metric or scenario, A, B, change) that the CLI prints
as a table, Markdown or JSON, and the list of scenarios whose security went down. The
metric rows are each benchmark's own (`Evaluation.metrics`), in the catalog's order; the
scenario rows are the security benchmark's, and `paired` says for each judge whether the
security change is outside the spread when both sides' scenarios are set side by side
(`security.paired_change`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder.benchmarks.protocol import Evaluation, change
from safecoder.benchmarks.run_folder import RunFolderError, load_result
from safecoder.benchmarks.security.paired_change import JUDGES, PairedChange, paired_change


@dataclass
class View:
    """A labelled evaluation: benchmark name -> its compact record (`Evaluation.to_record()`)."""

    label: str
    benchmarks: dict[str, Any]

    def evaluation(self, name: str) -> Evaluation:
        """Benchmark `name`'s typed evaluation (an empty one when this view has none)."""
        from safecoder.benchmarks import catalog

        benchmark = catalog.find(name)
        kind = benchmark.result_class.evaluation_class if benchmark else Evaluation
        return kind.from_record(self.benchmarks.get(name))


@dataclass
class Comparison:
    a: str
    b: str
    metrics: list[dict[str, Any]] = field(default_factory=list)
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    # judge -> the paired change of its secure rate, where both sides have that judge's rates
    paired: dict[str, PairedChange] = field(default_factory=dict)

    @property
    def regressed(self) -> list[dict[str, Any]]:
        return [row for row in self.scenarios if row["paper_change"] is not None and row["paper_change"] < 0]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "metrics": self.metrics, "scenarios": self.scenarios,
                "paired": {judge: paired.to_dict() for judge, paired in self.paired.items()},
                "regressed": [row["scenario"] for row in self.regressed]}

    def paired_lines(self) -> list[str]:
        """One line per judge: the change, its interval, and whether it is beyond the spread."""
        return [paired.describe() for paired in self.paired.values()]


def view_from_result(result: dict[str, Any], label: str | None = None) -> View:
    from safecoder.benchmarks.suite import evaluation_record

    model = result.get("model", {})
    return View(label or model.get("registry_version") or model.get("reference") or "?",
                evaluation_record(result)["benchmarks"])


def load_view(reference: str) -> View:
    """A run folder, a result.json, a shipped model's shipped.json (the served artifact's
    evaluation; `shipped.json#evaluated` for the one measured where the adapter was made),
    or a registry version/alias with a recorded evaluation."""
    path, _, part = reference.partition("#")
    if Path(path).name == "shipped.json" and Path(path).expanduser().is_file():
        return _shipped_view(Path(path).expanduser(), part or "served")
    if Path(reference).expanduser().exists():
        return view_from_result(load_result(reference), label=reference)
    from safecoder.registry import Registry

    registry = Registry()
    if not registry.knows(reference):
        raise RunFolderError(f"{reference!r} is neither a run folder, a result file, nor a registry version or alias")
    manifest = registry.get(reference)
    record = manifest.latest_evaluation("safecoder-bench")
    if record is None:
        raise RunFolderError(f"{manifest.version} has no recorded benchmark evaluation: run "
                             f"`safecoder bench all --model {manifest.version}` first")
    return View(manifest.version, record["benchmarks"])


def _shipped_view(path: Path, part: str) -> View:
    """A shipped model's recorded evaluation: what is served, or what the adapter measured where it was made."""
    from safecoder.models.shipped import ShippedManifest

    manifest = ShippedManifest.read(path)
    if part == "served":
        record = manifest.served.get("evaluation")
    elif part == "evaluated":
        record = manifest.evaluations[-1] if manifest.evaluations else None
    else:
        raise RunFolderError(f"{path}#{part}: say #served (what is served) or #evaluated (what the adapter measured)")
    if not record:
        raise RunFolderError(f"{path} records no {part} evaluation")
    return View(f"{manifest.name} ({part})", record["benchmarks"])


def _metric_rows(a: View, b: View) -> list[dict[str, Any]]:
    """Every benchmark's named figures (`Evaluation.metrics`), A beside B, in the catalog's order."""
    from safecoder.benchmarks import catalog

    rows = []
    for benchmark in catalog.benchmarks():
        metrics_a, metrics_b = a.evaluation(benchmark.name).metrics(), b.evaluation(benchmark.name).metrics()
        for name in [*metrics_a, *(m for m in metrics_b if m not in metrics_a)]:
            value_a, value_b = metrics_a.get(name), metrics_b.get(name)
            if value_a is None and value_b is None:
                continue
            rows.append({"metric": name, "a": value_a, "b": value_b, "change": change(value_a, value_b)})
    return rows


def compare(a: View, b: View) -> Comparison:
    comparison = Comparison(a.label, b.label, metrics=_metric_rows(a, b))
    scenarios_a = a.evaluation("security").scenario_rates()
    scenarios_b = b.evaluation("security").scenario_rates()
    for scenario in sorted(set(scenarios_a) | set(scenarios_b)):
        rates_a, rates_b = scenarios_a.get(scenario, {}), scenarios_b.get(scenario, {})
        comparison.scenarios.append({
            "scenario": scenario,
            "paper_a": rates_a.get("paper"), "paper_b": rates_b.get("paper"),
            "paper_change": change(rates_a.get("paper"), rates_b.get("paper")),
            "strict_a": rates_a.get("strict"), "strict_b": rates_b.get("strict"),
            "strict_change": change(rates_a.get("strict"), rates_b.get("strict")),
        })
    for judge in JUDGES:
        paired = paired_change(scenarios_a, scenarios_b, judge)
        if paired is not None:
            comparison.paired[judge] = paired
    return comparison


def to_markdown(comparison: Comparison) -> str:
    from safecoder.benchmarks.reports.markdown import table

    metric_rows = [[r["metric"], r["a"], r["b"], r["change"]] for r in comparison.metrics]
    scenario_rows = [[r["scenario"], r["paper_a"], r["paper_b"], r["paper_change"], r["strict_a"], r["strict_b"],
                      r["strict_change"]] for r in comparison.scenarios]
    parts = [f"# {comparison.a} -> {comparison.b}", "", table(["metric", comparison.a, comparison.b, "change"],
                                                            metric_rows)]
    if scenario_rows:
        parts += ["", table(["scenario", "paper A", "paper B", "change", "strict A", "strict B", "change"],
                            scenario_rows)]
    if comparison.paired:
        parts += ["", "Security change over the scenarios both judged, paired by scenario (mean of the "
                      "per-scenario changes, 95% bootstrap interval):", ""]
        parts += [f"- {line}" for line in comparison.paired_lines()]
    regressed = comparison.regressed
    parts += ["", f"Scenarios whose security (paper) went down: {len(regressed)}"]
    parts += [f"- {r['scenario']}: {r['paper_a']} -> {r['paper_b']}" for r in regressed]
    return "\n".join(parts) + "\n"
