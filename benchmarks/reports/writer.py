"""Write a run's report: `report.md` and `plots/*.png` beside its `result.json`.

The security-against-pass@1 plot shows this run and every registry version whose
manifest holds an evaluation of the suite, so each new run is seen among the others.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from safecoder.benchmarks.reports import markdown, plots

from safecoder.atomic import write_text

logger = logging.getLogger(__name__)


def pass1_of(benchmarks: dict[str, Any]) -> tuple[float | None, str | None]:
    """The pass@1 a plot uses: HumanEval's, else MBPP's (from a result or an evaluation record)."""
    functional = benchmarks.get("functional") or {}
    values = functional.get("pass@1") or {d: s.get("pass@1") for d, s in functional.get("datasets", {}).items()}
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
        security = record["benchmarks"].get("security", {}).get("overall", {}).get("paper")
        pass1, dataset = pass1_of(record["benchmarks"])
        points.append({"label": manifest.version, "security": security, "pass1": pass1, "pass1_dataset": dataset})
    return points


def write_report(result: dict[str, Any], folder: Path, include_registry: bool = True) -> Path:
    folder = Path(folder)
    names = []
    if plots.cwe_bars(result, folder / "plots" / "security_per_cwe.png"):
        names.append("plots/security_per_cwe.png")
    if plots.judge_bars(result, folder / "plots" / "security_judges.png"):
        names.append("plots/security_judges.png")
    if plots.repair_bars(result, folder / "plots" / "repair_per_cwe.png"):
        names.append("plots/repair_per_cwe.png")
    model = result.get("model", {})
    label = model.get("registry_version") or model.get("name") or "this run"
    pass1, dataset = pass1_of(result["benchmarks"])
    security = result["benchmarks"].get("security", {}).get("overall", {}).get("rates", {}).get("paper")
    points = [p for p in (registry_points() if include_registry else []) if p["label"] != label]
    points.append({"label": label, "security": security, "pass1": pass1, "pass1_dataset": dataset})
    if plots.security_vs_pass1(points, folder / "plots" / "security_vs_pass1.png"):
        names.append("plots/security_vs_pass1.png")
    path = folder / "report.md"
    write_text(path, markdown.render(result, names))
    return path
