"""Write a run's report: `report.md` and `plots/*.png` beside its `result.json`.

Each benchmark in the result writes its own plots (`BenchmarkResult.plots`) and its
section of the report. The security-against-pass@1 plot shows this run and every registry
version whose manifest holds an evaluation of the suite, so each new run is seen among
the others.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safecoder.atomic import write_text
from safecoder.benchmarks import catalog
from safecoder.benchmarks.functional.plugin import FunctionalEvaluation, FunctionalResult
from safecoder.benchmarks.reports import markdown, plots
from safecoder.benchmarks.security.plugin import SecurityEvaluation, SecurityResult

logger = logging.getLogger(__name__)


def pass1_of(benchmarks: dict[str, Any]) -> tuple[float | None, str | None]:
    """The pass@1 a plot uses: HumanEval's, else MBPP's (from a result or an evaluation record)."""
    functional = benchmarks.get("functional") or {}
    kind = FunctionalResult if "datasets" in functional else FunctionalEvaluation
    values = kind.from_record(functional).pass_at(1)
    for dataset in ("humaneval", "mbpp"):
        if values.get(dataset) is not None:
            return values[dataset], dataset
    return None, None


def registry_points() -> list[dict[str, Any]]:
    from safecoder.errors import SafeCoderError
    from safecoder.registry import Registry

    points = []
    try:
        manifests = Registry().list()
    except (SafeCoderError, OSError) as exc:
        logger.info("no registry points for the plot: %s", exc)
        return points
    for manifest in manifests:
        record = manifest.latest_evaluation("safecoder-bench")
        if not record:
            continue
        security = SecurityEvaluation.from_record(record["benchmarks"].get("security")).secure_rate("paper")
        pass1, dataset = pass1_of(record["benchmarks"])
        points.append({"label": manifest.version, "security": security, "pass1": pass1, "pass1_dataset": dataset})
    return points


def write_report(result: dict[str, Any], folder: Path, include_registry: bool = True) -> Path:
    folder = Path(folder)
    sections = result["benchmarks"]
    names = []
    for benchmark in catalog.benchmarks():
        if sections.get(benchmark.name):
            names += benchmark.result_class.from_record(sections[benchmark.name]).plots(result, folder)
    model = result.get("model", {})
    label = model.get("registry_version") or model.get("name") or "this run"
    pass1, dataset = pass1_of(sections)
    security = SecurityResult.from_record(sections.get("security")).secure_rate("paper")
    points = [p for p in (registry_points() if include_registry else []) if p["label"] != label]
    points.append({"label": label, "security": security, "pass1": pass1, "pass1_dataset": dataset})
    if plots.security_vs_pass1(points, folder / "plots" / "security_vs_pass1.png"):
        names.append("plots/security_vs_pass1.png")
    path = folder / "report.md"
    write_text(path, markdown.render(result, names))
    return path
