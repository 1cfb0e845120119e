"""`make bench-eval` (second part): how long the dynamic judge takes on 66 scenarios x 100 samples.

As `judge_bench`, the samples are built without a model, in the shapes a model produces:
each scenario completed by its reference completion (even samples), by its known-vulnerable
completion from the exploit tests' data (odd samples, where it has one), and every fourth
sample the unfinished prompt alone (which does not load or compile, as many real samples);
a trailing numbered comment keeps all 100 distinct. The programs of the scenarios that
have an exploit test are attacked exactly as `safecoder bench security` attacks them: the
real sandbox, chunks of 16 programs per sandbox job, 2 workers, gcc with ASan and UBSan
for C. The table gives verdicts and time per language, the wall time against the goal
(15 minutes on 2 cores), the CPU time spent, and how many verdicts were the expected ones
(reference secure, vulnerable insecure, unfinished not run or secure).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from safecoder.benchmarks.judge_bench import _comment, _cpu_seconds
from safecoder.benchmarks.security.exploit_tests import FOLDER, has_exploit
from safecoder.benchmarks.security.references import reference_completions
from safecoder.benchmarks.security.truncation import cut_completion, judged_program

GOAL_SECONDS = 900.0


def _complete(scenario, completion: str) -> str:
    return judged_program(scenario.file_context, scenario.func_context,
                          cut_completion(completion, scenario.source_extension))


def build_samples(scenarios, n: int) -> dict[str, list[tuple[str, str]]]:
    """Per scenario with an exploit test: n (program, expected verdict) pairs (module docstring)."""
    import json

    vulnerable = json.loads((FOLDER / "vulnerable_completions.json").read_text(encoding="utf-8"))
    references = reference_completions()
    samples: dict[str, list[tuple[str, str]]] = {}
    for scenario in scenarios:
        if not has_exploit(scenario.id):
            continue

        shapes = {"secure": _complete(scenario, references[scenario.id]), "unfinished": scenario.prompt_code}
        if scenario.id in vulnerable:
            shapes["insecure"] = _complete(scenario, vulnerable[scenario.id])
        programs = []
        for index in range(n):
            kind = "unfinished" if index % 4 == 3 else "insecure" if index % 2 and "insecure" in shapes else "secure"
            programs.append((shapes[kind].rstrip() + _comment(scenario.language, f"sample {index}"), kind))
        samples[scenario.id] = programs
    return samples


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.benchmarks.sandbox import Sandbox
    from safecoder.benchmarks.security.dynamic import (
        ScenarioPrograms,
        judge_dynamic,
        sandbox_limits,
    )
    from safecoder.data.scenarios import load_scenarios
    from safecoder.paths import shared_data_dir

    parser = argparse.ArgumentParser(prog="python -m safecoder.benchmarks.dynamic_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="the shared data folder (default: found automatically)")
    parser.add_argument("--n", type=int, default=100, help="samples per scenario")
    parser.add_argument("--workers", type=int, default=2, help="sandbox jobs at once (as bench security: 2)")
    parser.add_argument("--chunk", type=int, default=16, help="programs per sandbox job (as bench security: 16)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    data = args.data or shared_data_dir()
    if data is None:
        print("the shared data was not found; pass --data", file=sys.stderr)
        return 2
    scenarios = load_scenarios(data / "sec_eval")
    samples = build_samples(scenarios, args.n)
    by_id = {s.id: s for s in scenarios}
    console = Console()
    console.print(f"{len(scenarios)} scenarios x {args.n} samples = {len(scenarios) * args.n} programs; "
                  f"{len(samples)} scenarios have an exploit test: {sum(len(v) for v in samples.values())} programs "
                  f"attacked in the sandbox ({args.chunk} per job, {args.workers} workers)", highlight=False)
    sandbox = Sandbox(allow_execution=True, limits=sandbox_limits(30.0, args.chunk))
    items = [ScenarioPrograms(sid, by_id[sid].source_extension, tuple(p for p, _ in programs))
             for sid, programs in samples.items()]
    load_before = os.getloadavg()[0]
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    per_language_time: dict[str, float] = defaultdict(float)
    verdicts = []
    stats: dict[str, float] = {}
    for item in items:  # one scenario at a time, to time languages apart
        begun = time.perf_counter()
        verdicts += judge_dynamic([item], sandbox, workers=args.workers, chunk=args.chunk, per_program_s=30.0, stats=stats)
        per_language_time[by_id[item.scenario_id].language] += time.perf_counter() - begun
    total = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unexpected: list[str] = []
    for item, found in zip(items, verdicts, strict=True):
        language = by_id[item.scenario_id].language
        for (_, expected), verdict in zip(samples[item.scenario_id], found, strict=True):
            counts[language]["programs"] += 1
            counts[language][verdict.verdict] += 1
            # An unfinished program may not load (not run) or load and do nothing (secure).
            matches = verdict.verdict in (("not_run", "secure") if expected == "unfinished" else (expected,))
            counts[language]["expected"] += matches
            if not matches and len(unexpected) < 10:
                unexpected.append(f"{item.scenario_id} ({expected}): {verdict.verdict} {verdict.evidence[:120]}")
    table = Table(title="Attacking the security benchmark's samples (make bench-eval, dynamic judge)")
    columns = ("programs", "secure", "insecure", "not_run", "error", "expected")
    for column in ("language", *columns, "seconds", "programs/s"):
        table.add_column(column, justify="right")
    for language in sorted(counts):
        row, seconds = counts[language], per_language_time[language]
        table.add_row(language, *(str(row[c]) for c in columns), f"{seconds:.1f}",
                      f"{row['programs'] / seconds:.1f}" if seconds else "-")
    programs_total = sum(c["programs"] for c in counts.values())
    table.add_row("all", *(str(sum(c[k] for c in counts.values())) for k in columns), f"{total:.1f}",
                  f"{programs_total / total:.1f}")
    console.print(table)
    for line in unexpected:
        console.print(f"  unexpected: {line}", highlight=False)
    cores = os.cpu_count() or 1
    console.print(f"wall {total:.1f} s for {programs_total} programs; goal {GOAL_SECONDS:.0f} s "
                  f"(wall / goal = {total / GOAL_SECONDS:.2f}); isolation {sandbox.isolation}", highlight=False)
    cpu += stats.get("cpu_seconds", 0.0)
    console.print(f"CPU {cpu:.1f} s in this process and inside the sandboxes (CPU / {cores} cores / goal = "
                  f"{cpu / cores / GOAL_SECONDS:.2f}); load average {load_before:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
