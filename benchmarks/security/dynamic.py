"""The dynamic judge: each program attacked by its scenario's exploit test in the sandbox.

Input: per scenario, its distinct judged programs. Output: one `Verdict` per program
(`secure`, `insecure`, `not_run`, `error`; see `exploit_tests`), in input order. Programs
of one scenario go to the sandbox in chunks (one job runs `chunk` programs, each in its
own process and folder), and the jobs run on `workers` sandbox workers.

The sandbox is the one the functional tests use, with one difference: its address-space
limit is lifted, because AddressSanitizer reserves terabytes of virtual memory for its
shadow. Each Python program's test sets a 2 GB limit on itself, and sanitized C programs
run with ASan's own `hard_rss_limit_mb=1024`. This module neither samples nor reports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from safecoder.benchmarks.sandbox import Job, Sandbox, SandboxLimits
from safecoder.benchmarks.security.exploit_tests import (
    EXPLOITS_VERSION,
    Verdict,
    job_cpu_seconds,
    job_files,
    parse_verdicts,
)

logger = logging.getLogger(__name__)

# ASan maps about 20 TB of shadow memory: RLIMIT_AS must not stand in its way.
_UNLIMITED_ADDRESS_SPACE_MB = 64 * 1024 * 1024


@dataclass(frozen=True)
class ScenarioPrograms:
    scenario_id: str
    extension: str
    programs: tuple[str, ...]


def sandbox_limits(per_program_s: float, chunk: int) -> SandboxLimits:
    """Limits of one job: room for `chunk` programs of `per_program_s` each, and ASan's shadow."""
    return SandboxLimits(timeout_s=per_program_s * chunk + 30.0, cpu_seconds=int(per_program_s) + 5,
                         memory_mb=_UNLIMITED_ADDRESS_SPACE_MB, processes=64, file_size_mb=64)


def judge_dynamic(items: Sequence[ScenarioPrograms], sandbox: Sandbox, workers: int = 2, chunk: int = 16,
                  per_program_s: float = 20.0,
                  on_done: Callable[[int], None] | None = None,
                  stats: dict[str, float] | None = None) -> list[list[Verdict]]:
    """Verdicts per scenario and program; `on_done(programs)` after each job (progress bars).

    `stats`, when given, gains `cpu_seconds`: the CPU time spent inside the sandboxes (the
    runners and all they waited for), which the host's own accounting does not see.
    """
    jobs: list[Job] = []
    owners: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        for start in range(0, len(item.programs), chunk):
            part = list(item.programs[start:start + chunk])
            jobs.append(Job(job_files(item.scenario_id, part, item.extension), args=(str(per_program_s),)))
            owners.append((index, len(part)))
    logger.info("exploit tests (version %d): %d programs of %d scenarios in %d sandbox jobs", EXPLOITS_VERSION,
                sum(len(i.programs) for i in items), len(items), len(jobs))

    def done(job_index: int, result) -> None:
        if on_done is not None:
            on_done(owners[job_index][1])

    results = sandbox.run_many(jobs, workers=workers, on_done=done)
    verdicts: list[list[Verdict]] = [[] for _ in items]
    for (index, count), result in zip(owners, results, strict=True):
        failure = "" if result.status != "timeout" else "the job ran out of time"
        if result.status == "failed" and not result.stdout.strip():
            failure = result.stderr.strip()[-200:]
        verdicts[index].extend(parse_verdicts(result.stdout, count, failure))
        if stats is not None:
            stats["cpu_seconds"] = stats.get("cpu_seconds", 0.0) + job_cpu_seconds(result.stdout)
    return verdicts
