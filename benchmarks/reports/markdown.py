"""A benchmark result as Markdown: the header, then one section per benchmark.

Input: a result dict (`result.json`). Output: Markdown text. Numbers are percentages; a
dash means "not measured" (no parseable sample, no functional test, benchmark not run).
Each benchmark writes its own section (`BenchmarkResult.markdown`, under its title) with
the `table` and `fmt` helpers here. This module formats; it computes nothing new.
"""

from __future__ import annotations

from typing import Any


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render(result: dict[str, Any], plots: list[str] | None = None) -> str:
    from safecoder.benchmarks import catalog

    model = result.get("model", {})
    sections = result["benchmarks"]
    parts = [f"# Benchmark report: {model.get('registry_version') or model.get('reference')}", "",
             f"- model: `{model.get('reference')}` ({model.get('name')})",
             f"- code version: `{result.get('code_version')}`",
             f"- finished: {result.get('finished_at')}"]
    body: list[str] = []
    for benchmark in catalog.benchmarks():
        if not sections.get(benchmark.name):
            continue
        typed = benchmark.result_class.from_record(sections[benchmark.name])
        parts += typed.header()
        body += ["", f"## {benchmark.title}", "", typed.markdown()]
    parts += body
    if plots:
        parts += ["", "## Plots", ""] + [f"![{name}]({name})" for name in plots]
    return "\n".join(parts) + "\n"
