"""`make bench-analysis`: batch throughput and interactive latency of the analyzers, as a table.

Inputs: real code from the shared data's 66 security scenarios (each prompt with a
vulnerable and a secure completion taken from the project's tests when present, the
prompt alone otherwise) and the project's rule test cases. Output: a table printed to
stdout and, with `--output`, a JSON record of the figures and the machine they were
measured on.

Measured, side by side in one run:
- batch: `analyze_sources` over `--batch-size` snippets (default 1,000; goal under 60 s on
  2 cores) with the default ensemble, with Semgrep alone, and the in-process rules over
  the same snippets for comparison;
- interactive: `analyze_snippet` latency (p50 / p95 / max) for snippets of about 50, 100
  and 200 lines in all six languages (goal: p95 under 100 ms at 200 lines). Every call
  gets distinct text, so the result cache never answers.

This module measures; it asserts nothing (the tests do that).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path


def corpus() -> list[tuple[str, str, str]]:
    """(code, language, name) for every scenario program and rule test case available."""
    from safecoder.languages import maybe_language_of
    from safecoder.paths import shared_data_dir

    items: list[tuple[str, str, str]] = []
    completions = _scenario_completions()
    data = shared_data_dir()
    if data is not None and (data / "sec_eval").is_dir():
        from safecoder.data.scenarios import load_scenarios

        for scenario in load_scenarios(data / "sec_eval"):
            endings = completions.get(scenario.id, ("",))
            for index, ending in enumerate(endings):
                items.append((scenario.prompt_code + ending, scenario.language,
                              f"{scenario.id.replace('/', '_')}-{index}.{scenario.source_extension}"))
    cases = Path(__file__).resolve().parents[2] / "tests" / "analysis" / "rule_cases"
    if cases.is_dir():
        for path in sorted(cases.iterdir()):
            language = maybe_language_of(path.name)
            if language is not None:
                items.append((path.read_text(encoding="utf-8"), language.id, path.name))
    if not items:
        sys.exit("no code to benchmark: neither the shared data (../shared/data) nor tests/analysis/rule_cases")
    return items


def _scenario_completions() -> dict[str, tuple[str, ...]]:
    path = Path(__file__).resolve().parents[2] / "tests" / "analysis" / "scenario_completions.py"
    if not path.exists():
        return {}
    import importlib.util

    spec = importlib.util.spec_from_file_location("safecoder_scenario_completions", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be imported as a module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {key: tuple(value) for key, value in module.COMPLETIONS.items()}


def batch_sources(items, size: int):
    from safecoder.analysis.inputs import SourceInput
    from safecoder.languages import get

    sources = []
    for index in range(size):
        code, language, name = items[index % len(items)]
        comment = get(language).line_comment
        # A distinct trailing comment keeps every snippet a separate piece of work.
        sources.append(SourceInput(f"{code}\n{comment} benchmark copy {index}\n", language, f"{index:04d}-{name}"))
    return sources


def sized_snippets(items, lines: int, count: int) -> list[tuple[str, str]]:
    """`count` snippets of about `lines` lines per language, built from whole programs of that language."""
    by_language: dict[str, list[str]] = {}
    for code, language, name in items:
        if not name.endswith(".jsx"):
            by_language.setdefault(language, []).append(code)
    snippets = []
    for language, programs in sorted(by_language.items()):
        text, index = "", 0
        while text.count("\n") < lines:
            text += programs[index % len(programs)] + "\n"
            index += 1
        text = "\n".join(text.splitlines()[:lines]) + "\n"
        snippets.extend((text, language) for _ in range(count))
    return snippets


def time_batch(sources, analyzers) -> float:
    from safecoder.analysis import analyze_sources

    start = time.perf_counter()
    results = analyze_sources(sources, analyzers=analyzers)
    elapsed = time.perf_counter() - start
    unjudged = sum(result.status == "error" for result in results)
    if unjudged:
        print(f"warning: {unjudged} sources ended in an analyzer error with {analyzers}", file=sys.stderr)
    return elapsed


def time_fast(sources) -> float:
    from safecoder.analysis.snippet import analyze_snippet

    start = time.perf_counter()
    for source in sources:
        analyze_snippet(source.code, source.language, name=source.name)
    return time.perf_counter() - start


def latencies(snippets) -> list[float]:
    from safecoder.analysis.snippet import analyze_snippet
    from safecoder.languages import get

    analyze_snippet("x = 1\n", "python")  # warm up imports and parsers
    timings = []
    for index, (code, language) in enumerate(snippets):
        text = f"{code}{get(language).line_comment} edit {index}\n"
        start = time.perf_counter()
        analyze_snippet(text, language)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safecoder.analysis.perf", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=1000, help="snippets in the batch measurement")
    parser.add_argument("--latency-samples", type=int, default=40, help="calls per language and snippet size")
    parser.add_argument("--output", type=Path, default=None, help="also write the figures as JSON here")
    options = parser.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from safecoder.analysis.ruleset import rules_version

    items = corpus()
    sources = batch_sources(items, options.batch_size)
    rows = []
    for label, analyzers in (("batch, default ensemble (semgrep + bandit + syntax)", None),
                             ("batch, semgrep only", ["semgrep"])):
        elapsed = time_batch(sources, analyzers)
        rows.append((label, len(sources), elapsed))
    fast_elapsed = time_fast(sources)
    rows.append(("in-process rules over the same snippets (one call each)", len(sources), fast_elapsed))

    latency_rows = []
    for lines in (50, 100, 200):
        timings = latencies(sized_snippets(items, lines, options.latency_samples))
        latency_rows.append((lines, len(timings), statistics.median(timings), percentile(timings, 0.95), max(timings)))

    console = Console()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    title = (f"Analyzer speed ({rules_version()}, {os.cpu_count()} CPUs, load average {load:.1f} at the start, "
             f"Python {platform.python_version()})")
    table = Table(title=title)
    for column in ("measurement", "snippets", "seconds", "snippets/s", "goal"):
        table.add_column(column)
    for label, count, elapsed in rows:
        goal = "< 60 s for 1,000" if label.startswith("batch, default") else ""
        table.add_row(label, str(count), f"{elapsed:.1f}", f"{count / elapsed:.1f}", goal)
    console.print(table)
    latency = Table(title="Interactive latency of analyze_snippet (ms; six languages, distinct text per call)")
    for column in ("lines", "calls", "p50", "p95", "max", "goal"):
        latency.add_column(column)
    for lines, calls, p50, p95, worst in latency_rows:
        latency.add_row(str(lines), str(calls), f"{p50:.1f}", f"{p95:.1f}", f"{worst:.1f}",
                        "p95 < 100 ms" if lines == 200 else "")
    console.print(latency)
    default_batch = rows[0][2]
    console.print(f"ratio, default ensemble batch time / in-process rules time over the same snippets: "
                  f"{default_batch / fast_elapsed:.0f}x")
    if options.output is not None:
        from safecoder.atomic import write_json

        write_json(options.output, {
            "rules_version": rules_version(), "cpus": os.cpu_count(), "load_average": load,
            "batch": [{"measurement": label, "snippets": count, "seconds": elapsed} for label, count, elapsed in rows],
            "latency_ms": [{"lines": lines, "calls": calls, "p50": p50, "p95": p95, "max": worst}
                           for lines, calls, p50, p95, worst in latency_rows]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
