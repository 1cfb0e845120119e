"""What changed between two benchmark results, metric by metric and scenario by scenario.

Input: two "views": the compact form a manifest's evaluation record holds (`suite.
evaluation_record`), built from a run folder's `result.json` or read from a registry
version's manifest. Output: rows (metric or scenario, A, B, change) that the CLI prints
as a table, Markdown or JSON, and the list of scenarios whose security went down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder.benchmarks.run_folder import RunFolderError, load_result


@dataclass
class View:
    label: str
    benchmarks: dict[str, Any]


@dataclass
class Comparison:
    a: str
    b: str
    metrics: list[dict[str, Any]] = field(default_factory=list)
    scenarios: list[dict[str, Any]] = field(default_factory=list)

    @property
    def regressed(self) -> list[dict[str, Any]]:
        return [row for row in self.scenarios if row["paper_change"] is not None and row["paper_change"] < 0]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "metrics": self.metrics, "scenarios": self.scenarios,
                "regressed": [row["scenario"] for row in self.regressed]}


def view_from_result(result: dict[str, Any], label: str | None = None) -> View:
    from safecoder.benchmarks.suite import evaluation_record

    model = result.get("model", {})
    return View(label or model.get("registry_version") or model.get("reference") or "?",
                evaluation_record(result)["benchmarks"])


def load_view(reference: str) -> View:
    """A run folder, a result.json, or a registry version/alias with a recorded evaluation."""
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


def _change(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 2)


def _metric_rows(a: View, b: View) -> list[dict[str, Any]]:
    rows = []

    def add(name: str, value_a, value_b) -> None:
        if value_a is None and value_b is None:
            return
        rows.append({"metric": name, "a": value_a, "b": value_b, "change": _change(value_a, value_b)})

    security_a, security_b = a.benchmarks.get("security", {}), b.benchmarks.get("security", {})
    for rate in ("paper", "strict", "unparseable", "dynamic", "secure_pass", "secure_pass_static"):
        add(f"security {rate} (all)", security_a.get("overall", {}).get(rate), security_b.get("overall", {}).get(rate))
    for split in sorted(set(security_a.get("splits", {})) | set(security_b.get("splits", {}))):
        add(f"security paper ({split})", security_a.get("splits", {}).get(split, {}).get("paper"),
            security_b.get("splits", {}).get(split, {}).get("paper"))
    functional_a, functional_b = a.benchmarks.get("functional", {}), b.benchmarks.get("functional", {})
    for k in ("pass@1", "pass@10"):
        for dataset in sorted(set(functional_a.get(k, {})) | set(functional_b.get(k, {}))):
            add(f"{dataset} {k}", functional_a.get(k, {}).get(dataset), functional_b.get(k, {}).get(dataset))
    answers_a, answers_b = a.benchmarks.get("answer-rate", {}), b.benchmarks.get("answer-rate", {})
    add("answer rate (benign prompts)", answers_a.get("answer_rate"), answers_b.get("answer_rate"))
    add("refusal rate (benign prompts)", answers_a.get("refusal_rate"), answers_b.get("refusal_rate"))
    sets_a = a.benchmarks.get("cyberseceval", {}).get("sets", {})
    sets_b = b.benchmarks.get("cyberseceval", {}).get("sets", {})
    for set_name in sorted(set(sets_a) | set(sets_b)):
        values_a, values_b = sets_a.get(set_name, {}), sets_b.get(set_name, {})
        for key in sorted(set(values_a) | set(values_b)):
            if key != "samples":
                add(f"CyberSecEval {set_name} {key.replace('_', ' ')}", values_a.get(key), values_b.get(key))
    repair_a = a.benchmarks.get("repair", {}).get("settings", {})
    repair_b = b.benchmarks.get("repair", {}).get("settings", {})
    for hint in sorted(set(repair_a) | set(repair_b)):
        for way, key in (("single", "fixed_and_correct"), ("single", "fixed"), ("loop", "fixed_and_correct")):
            add(f"repair {hint} {way} {key.replace('_', ' ')}", repair_a.get(hint, {}).get(way, {}).get(key),
                repair_b.get(hint, {}).get(way, {}).get(key))
    for who in ("model", "analyzer"):
        add(f"classify accuracy ({who})", a.benchmarks.get("classify", {}).get(who, {}).get("accuracy"),
            b.benchmarks.get("classify", {}).get(who, {}).get("accuracy"))
    knowledge_a, knowledge_b = a.benchmarks.get("knowledge", {}), b.benchmarks.get("knowledge", {})
    add("MMLU", knowledge_a.get("mmlu"), knowledge_b.get("mmlu"))
    add("TruthfulQA mc1", knowledge_a.get("truthfulqa"), knowledge_b.get("truthfulqa"))
    return rows


def compare(a: View, b: View) -> Comparison:
    comparison = Comparison(a.label, b.label, metrics=_metric_rows(a, b))
    scenarios_a = a.benchmarks.get("security", {}).get("scenarios", {})
    scenarios_b = b.benchmarks.get("security", {}).get("scenarios", {})
    for scenario in sorted(set(scenarios_a) | set(scenarios_b)):
        rates_a, rates_b = scenarios_a.get(scenario, {}), scenarios_b.get(scenario, {})
        comparison.scenarios.append({
            "scenario": scenario,
            "paper_a": rates_a.get("paper"), "paper_b": rates_b.get("paper"),
            "paper_change": _change(rates_a.get("paper"), rates_b.get("paper")),
            "strict_a": rates_a.get("strict"), "strict_b": rates_b.get("strict"),
            "strict_change": _change(rates_a.get("strict"), rates_b.get("strict")),
        })
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
    regressed = comparison.regressed
    parts += ["", f"Scenarios whose security (paper) went down: {len(regressed)}"]
    parts += [f"- {r['scenario']}: {r['paper_a']} -> {r['paper_b']}" for r in regressed]
    return "\n".join(parts) + "\n"
