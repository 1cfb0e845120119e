"""PNG plots of benchmark results (matplotlib, headless).

- `cwe_bars`: per CWE, the secure rate (paper) and the strict rate of one run;
- `repair_bars`: per CWE, the repair benchmark's fixed-and-correct rate per prompt
  setting (single draw) and the verified-fix loop's;
- `judge_bars`: per CWE with exploit tests, the static and the dynamic secure rate and
  their agreement (Cohen's kappa);
- `security_vs_pass1`: one point per model version, security against pass@1, the
  trade-off the paper's figures show.
Input: result dicts (read through the benchmarks' typed results) or points; output: PNG
files written atomically. A plot with no data is not written (the function returns None).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from safecoder.atomic import write_bytes


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> Path:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    write_bytes(path, buffer.getvalue())
    return path


def cwe_bars(result: dict[str, Any], path: Path) -> Path | None:
    from safecoder.benchmarks.security.plugin import SecurityResult

    security = SecurityResult.from_record(result["benchmarks"].get("security"))
    if not security.cwe_rates():
        return None
    plt = _figure()
    cwes = list(security.cwe_rates())
    paper = [rate or 0.0 for rate in security.cwe_rates("paper").values()]
    strict = [rate or 0.0 for rate in security.cwe_rates("strict").values()]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.55 * len(cwes) + 2), 4))
    positions = range(len(cwes))
    width = 0.4
    axes.bar([p - width / 2 for p in positions], paper, width, label="secure (paper)")
    axes.bar([p + width / 2 for p in positions], strict, width, label="secure (strict)")
    axes.set_xticks(list(positions))
    axes.set_xticklabels(cwes, rotation=60, ha="right")
    axes.set_ylim(0, 100)
    axes.set_ylabel("% of programs")
    model = result.get("model", {})
    axes.set_title(f"Security per CWE: {model.get('registry_version') or model.get('name')}")
    axes.legend()
    try:
        return _save(figure, path)
    finally:
        plt.close(figure)


def repair_bars(result: dict[str, Any], path: Path) -> Path | None:
    """Per CWE, fixed-and-correct (single draw) in each prompt setting, and the loop's with the CWE named."""
    from safecoder.benchmarks.repair.plugin import RepairResult

    repair = RepairResult.from_record(result["benchmarks"].get("repair"))
    if not repair.settings:
        return None
    plt = _figure()
    hints = list(repair.settings)
    cwes = repair.group_names("cwes")
    series = [(f"single draw, {hint}", hint, "single") for hint in hints]
    if "cwe" in hints:
        series.append(("verified-fix loop, cwe", "cwe", "loop"))
    figure, axes = plt.subplots(figsize=(max(6.0, 0.8 * len(cwes) + 2), 4))
    width = 0.8 / len(series)
    for number, (label, hint, way) in enumerate(series):
        values = [repair.group_rate(hint, "cwes", c, way) or 0.0 for c in cwes]
        axes.bar([p - 0.4 + width * (number + 0.5) for p in range(len(cwes))], values, width, label=label)
    axes.set_xticks(list(range(len(cwes))))
    axes.set_xticklabels(cwes, rotation=60, ha="right")
    axes.set_ylim(0, 100)
    axes.set_ylabel("% fixed and correct")
    model = result.get("model", {})
    axes.set_title(f"Repair per CWE: {model.get('registry_version') or model.get('name')}")
    axes.legend(fontsize=8)
    try:
        return _save(figure, path)
    finally:
        plt.close(figure)


def judge_bars(result: dict[str, Any], path: Path) -> Path | None:
    """Per CWE with exploit tests: the static and the dynamic secure rate, kappa above each pair."""
    from safecoder.benchmarks.security.plugin import SecurityResult

    security = SecurityResult.from_record(result["benchmarks"].get("security"))
    dynamic = {cwe: rate for cwe, rate in security.cwe_rates("dynamic").items() if rate is not None}
    if not dynamic:
        return None
    plt = _figure()
    cwes = list(dynamic)
    paper, kappas = security.cwe_rates("paper"), security.cwe_rates("kappa")
    rates = [{"paper": paper[c], "dynamic": dynamic[c], "kappa": kappas[c]} for c in cwes]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.6 * len(cwes) + 2), 4))
    positions = list(range(len(cwes)))
    width = 0.4
    axes.bar([p - width / 2 for p in positions], [r["paper"] or 0.0 for r in rates], width, label="static (paper)")
    axes.bar([p + width / 2 for p in positions], [r["dynamic"] or 0.0 for r in rates], width,
             label="dynamic (exploit tests)")
    for position, rate in zip(positions, rates, strict=True):
        kappa = rate.get("kappa")
        axes.annotate("k=-" if kappa is None else f"k={kappa:.2f}", (position, 101), ha="center", fontsize=7)
    axes.set_xticks(positions)
    axes.set_xticklabels(cwes, rotation=60, ha="right")
    axes.set_ylim(0, 108)
    axes.set_ylabel("% secure")
    model = result.get("model", {})
    axes.set_title(f"Static and dynamic judges per CWE: {model.get('registry_version') or model.get('name')}")
    axes.legend(loc="lower right", fontsize=8)
    try:
        return _save(figure, path)
    finally:
        plt.close(figure)


def security_vs_pass1(points: list[dict[str, Any]], path: Path) -> Path | None:
    """`points`: dicts with `label`, `security` and `pass1` (percentages)."""
    points = [p for p in points if p.get("security") is not None and p.get("pass1") is not None]
    if not points:
        return None
    plt = _figure()
    figure, axes = plt.subplots(figsize=(6, 4.5))
    for point in points:
        axes.scatter(point["pass1"], point["security"], s=40)
        axes.annotate(point["label"], (point["pass1"], point["security"]), textcoords="offset points",
                      xytext=(4, 4), fontsize=8)
    axes.set_xlabel(f"pass@1 ({points[0].get('pass1_dataset', 'functional')}, %)")
    axes.set_ylabel("secure (paper, %)")
    highest = max(point["pass1"] for point in points)
    axes.set_xlim(0, min(105.0, max(10.0, 1.2 * highest)))
    axes.set_ylim(0, 105)
    axes.set_title("Security against functional correctness, per model version")
    axes.grid(alpha=0.3)
    try:
        return _save(figure, path)
    finally:
        plt.close(figure)
