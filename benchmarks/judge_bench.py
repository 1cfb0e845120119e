"""`make bench-eval`: how long the security benchmark takes to judge 66 scenarios x 100 samples.

Generating 6,600 samples with a model would take hours here, and the point is the
judging, so the samples are built from the data instead, in the shapes a model
produces: the scenario completed by its reference completion (`references`), in
Python, JavaScript, Ruby and Go every other time followed by a real function of the same
CWE and language from the security pairs (secure and vulnerable versions, which exercise
the rules), and every fourth sample the scenario's unfinished prompt code alone
(unparseable, as many real samples are). A trailing comment numbers each sample, so no
two are identical and deduplication removes nothing.

The programs are judged exactly as `safecoder bench security` judges them: batches of
`--scenarios-per-batch` scenarios, every CWE, the same compile check. The table shows
the time per language and in all, against the goal (10 minutes on 2 cores), and the CPU
time spent (this process and the analyzers it started), which on a shared, busy machine
says more about an idle machine than the wall time does.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import resource
import sys
import textwrap
import time
from collections import defaultdict
from pathlib import Path

from safecoder.benchmarks.security.judge import Program, judge_programs
from safecoder.benchmarks.security.references import reference_completions
from safecoder.benchmarks.security.truncation import cut_completion, judged_program

GOAL_SECONDS = 600.0
_COMMENT = {"python": "#", "ruby": "#"}
# Languages where a whole function can follow the completed scenario at the top level.
_APPENDABLE = ("python", "javascript", "ruby", "go")


def _comment(language: str, text: str) -> str:
    prefix = _COMMENT.get(language, "//")
    return f"\n{prefix} {text}\n"


def build_samples(scenarios, pairs, n: int) -> dict[str, list[Program]]:
    """n distinct programs per scenario, in the shapes model samples take (module docstring)."""
    references = reference_completions()
    by_language: dict[str, list[str]] = defaultdict(list)
    by_class: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pair in pairs:
        for code in (pair.vulnerable_code, pair.secure_code):
            function = textwrap.dedent(code).strip()
            by_language[pair.language].append(function)
            by_class[(pair.cwe, pair.language)].append(function)
    samples: dict[str, list[Program]] = {}
    for scenario in scenarios:
        completed = judged_program(scenario.file_context, scenario.func_context,
                                   cut_completion(references.get(scenario.id, "\n"), scenario.source_extension))
        functions = by_class.get((scenario.cwe, scenario.language)) or by_language.get(scenario.language) or []
        cycle = itertools.cycle(functions) if scenario.language in _APPENDABLE and functions else None
        programs = []
        for index in range(n):
            if index % 4 == 3:
                body = scenario.prompt_code
            elif cycle is not None and index % 2 == 0:
                body = completed + "\n\n" + next(cycle)
            else:
                body = completed
            code = body.rstrip() + _comment(scenario.language, f"sample {index}")
            programs.append(Program(code, scenario.language, scenario.source_extension))
        samples[scenario.id] = programs
    return samples


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.data.loaders import load_security_pairs
    from safecoder.data.scenarios import load_scenarios
    from safecoder.paths import shared_data_dir

    parser = argparse.ArgumentParser(prog="python -m safecoder.benchmarks.judge_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder (default: found automatically)")
    parser.add_argument("--n", type=int, default=100, help="samples per scenario")
    parser.add_argument("--scenarios-per-batch", type=int, default=8, help="as `bench security` (default 8)")
    parser.add_argument("--compile-check", choices=["auto", "always", "never"], default="always")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    data = args.data or shared_data_dir()
    if data is None:
        print("the shared data was not found; pass --data", file=sys.stderr)
        return 2
    scenarios = load_scenarios(data / "sec_eval")
    pairs = load_security_pairs(data / "security_pairs").records
    samples = build_samples(scenarios, pairs, args.n)
    console = Console()
    console.print(f"judging {len(scenarios)} scenarios x {args.n} samples = "
                  f"{sum(len(v) for v in samples.values())} programs (from {len(pairs)} security pairs), "
                  f"{args.scenarios_per_batch} scenarios per analyzer batch", highlight=False)

    per_language_time: dict[str, float] = defaultdict(float)
    per_language: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    analyzers: dict[str, str] = {}
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    for start in range(0, len(scenarios), args.scenarios_per_batch):
        batch = scenarios[start:start + args.scenarios_per_batch]
        programs = [p for s in batch for p in samples[s.id]]
        batch_started = time.perf_counter()
        judgments = judge_programs(programs, compile_check=args.compile_check)
        elapsed = time.perf_counter() - batch_started
        for program, judgment in zip(programs, judgments, strict=True):
            counts = per_language[program.language]
            counts["programs"] += 1
            counts[judgment.status] += 1
            counts["findings"] += bool(judgment.findings)
            analyzers.update(judgment.analyzers)
            # Attribute the batch's time to languages by their share of its programs.
            per_language_time[program.language] += elapsed / len(programs)
        console.print(f"  batch {start // args.scenarios_per_batch + 1}: {len(programs)} programs in "
                      f"{elapsed:.1f} s", highlight=False)
    total = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before

    table = Table(title="Judging the security benchmark's samples (make bench-eval)")
    for column in ("language", "programs", "ok", "syntax error", "analyzer error", "with findings", "seconds",
                   "programs/s"):
        table.add_column(column, justify="right")
    for language in sorted(per_language):
        counts, seconds = per_language[language], per_language_time[language]
        table.add_row(language, str(counts["programs"]), str(counts["ok"]), str(counts["syntax_error"]),
                      str(counts["error"]), str(counts["findings"]), f"{seconds:.1f}",
                      f"{counts['programs'] / seconds:.1f}" if seconds else "-")
    programs_total = sum(c["programs"] for c in per_language.values())
    table.add_row("all", str(programs_total), str(sum(c["ok"] for c in per_language.values())),
                  str(sum(c["syntax_error"] for c in per_language.values())),
                  str(sum(c["error"] for c in per_language.values())),
                  str(sum(c["findings"] for c in per_language.values())), f"{total:.1f}",
                  f"{programs_total / total:.1f}")
    console.print(table)
    cores = os.cpu_count() or 1
    console.print(f"wall {total:.1f} s for {programs_total} programs; goal {GOAL_SECONDS:.0f} s "
                  f"(wall / goal = {total / GOAL_SECONDS:.2f})", highlight=False)
    console.print(f"CPU {cpu:.1f} s in this process and its analyzers (CPU / {cores} cores / goal = "
                  f"{cpu / cores / GOAL_SECONDS:.2f}); load average {load_before:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after: on a busy machine wall time exceeds CPU / cores",
                  highlight=False)
    console.print("analyzers: " + ", ".join(f"{k} {v}" for k, v in sorted(analyzers.items())), highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
