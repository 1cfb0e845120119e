"""The functional benchmark: sample each problem, run its tests in the sandbox, pass@k.

Input: a `FunctionalConfig` and a `RunContext`. Output: the `functional` section of the
run's result: pass@1 (from the samples at the pass@1 temperature) and pass@10 (from those
at the pass@10 temperature) per dataset, and per problem how many samples passed.

Samples stop at the problem's MultiPL-E stop sequences; each program (full prompt,
completion, tests) runs in the sandbox, identical programs once. Every problem's
samples and outcomes are cached in the run folder as soon as they exist. Code runs only
after the explicit opt-in (the sandbox refuses otherwise).
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.functional import VERSION
from safecoder.benchmarks.functional.config import FunctionalConfig
from safecoder.benchmarks.functional.passk import mean_pass_at_k
from safecoder.benchmarks.functional.problems import Problem, load_problems
from safecoder.benchmarks.functional.prompts import functional_prompt
from safecoder.benchmarks.run_folder import cache_key
from safecoder.benchmarks.sandbox import Job, SandboxLimits, require_code_execution_allowed
from safecoder.config import to_dict

logger = logging.getLogger(__name__)

CACHE_SCHEMA = 1
# How a completion becomes the tested program (`Problem.program`). A record tested by an
# older assembly is tested again from its cached samples; its samples (and the cache key,
# `VERSION`) stay. 2: a body written on the signature's line moves below the docstring.
PROGRAM_VERSION = 2
NOT_RESULT_AFFECTING = ("workers", "problems_per_batch")


def result_config(config: FunctionalConfig) -> dict[str, Any]:
    return {k: v for k, v in to_dict(config).items() if k not in NOT_RESULT_AFFECTING}


def problem_seed(base_seed: int, name: str, temperature: float) -> int:
    return (base_seed * 1_000_003 + zlib.crc32(f"{name}@{temperature}".encode())) % (2**31 - 1)


class FunctionalBenchmark:
    def __init__(self, config: FunctionalConfig, context: RunContext):
        require_code_execution_allowed(context.allow_code_execution, "the functional benchmark (pass@k)")
        self.config = config
        self.context = context

    def _key(self, problem: Problem, temperature: float) -> str:
        config = self.config
        return cache_key({
            "benchmark": "functional", "version": VERSION, "model": self.context.identity,
            "engine": self.context.resolved_engine_kind, "style": config.prompt_style,
            "prompt": problem.prompt, "tests": problem.tests, "stops": list(problem.stop_tokens),
            "n": config.n, "temperature": temperature, "top_p": config.top_p,
            "max_new_tokens": config.max_new_tokens, "seed": problem_seed(config.seed, problem.name, temperature),
        })

    def cache_path(self, problem: Problem, temperature: float):
        """Where a problem's samples and outcomes at `temperature` are kept for these settings."""
        return self.context.folder.cache_path("functional", problem.dataset, problem.name,
                                              key=self._key(problem, temperature))

    def run(self) -> dict[str, Any]:
        from tqdm.auto import tqdm

        datasets: dict[str, Any] = {}
        for dataset in self.config.datasets:
            problems = load_problems(dataset, self.config.data_dir, self.config.limit)
            summary: dict[str, Any] = {"problems": len(problems), "runs": {}}
            for run_name, temperature, k in self.config.runs():
                records = {}
                batch_size = self.config.problems_per_batch
                with tqdm(total=len(problems), desc=f"{dataset} {run_name}", unit="problem",
                          disable=not self.context.progress) as bar:
                    for start in range(0, len(problems), batch_size):
                        batch = problems[start:start + batch_size]
                        records.update(self._run_batch(batch, temperature))
                        bar.update(len(batch))
                outcomes = {name: (len(r["passed"]), sum(r["passed"])) for name, r in records.items()}
                summary[run_name] = round(mean_pass_at_k(outcomes.values(), k), 2)
                summary["runs"][run_name] = {
                    "temperature": temperature, "k": k,
                    "problems": {name: {"n": n, "c": c} for name, (n, c) in outcomes.items()},
                }
            datasets[dataset] = summary
        sandbox = self._sandbox()
        return {
            "version": VERSION,
            "program_version": PROGRAM_VERSION,
            "config": result_config(self.config),
            "engine": self.context.engine_description(),
            "sandbox": sandbox.describe(),
            "datasets": datasets,
        }

    def _sandbox(self):
        timeout = self.config.timeout_s
        return self.context.sandbox(SandboxLimits(timeout_s=timeout, cpu_seconds=max(1, int(timeout)),
                                                  memory_mb=1024, processes=16))

    def _run_batch(self, problems: list[Problem], temperature: float) -> dict[str, dict[str, Any]]:
        folder = self.context.folder
        paths = {p.name: self.cache_path(p, temperature) for p in problems}
        records = {p.name: folder.load(paths[p.name]) for p in problems}
        pending = [p for p in problems if records[p.name] is None]
        if pending:
            self._generate(pending, temperature, records, paths)
        # Every record is loaded or generated by now (pending held the missing ones).
        filled = {name: record for name, record in records.items() if record is not None}
        untested = [p for p in problems if "passed" not in filled[p.name]
                    or filled[p.name].get("program_version", 1) != PROGRAM_VERSION]
        if untested:
            self._execute(untested, filled, paths)
        return filled

    def _generate(self, problems: list[Problem], temperature: float, records: dict, paths: dict) -> None:
        from safecoder.engines import GenerationRequest, SamplingParams

        engine = self.context.engine()
        config = self.config
        requests = [
            GenerationRequest(
                functional_prompt(p, config.prompt_style, chat_template=engine.apply_chat_template),
                SamplingParams(n=config.n, temperature=temperature, top_p=config.top_p,
                               max_new_tokens=config.max_new_tokens, stop=p.stop_tokens,
                               seed=problem_seed(config.seed, p.name, temperature)))
            for p in problems
        ]
        results = engine.generate_batch(requests, progress=self.context.progress, description="sampling")
        for problem, request, result in zip(problems, requests, results, strict=True):
            records[problem.name] = samples_record(problem, temperature, request.sampling.seed,
                                                   [c.text for c in result.completions])
            self.context.folder.save(paths[problem.name], records[problem.name])

    def _execute(self, problems: list[Problem], records: dict, paths: dict) -> None:
        sandbox = self._sandbox()
        unique: dict[str, int] = {}
        jobs: list[Job] = []
        for problem in problems:
            for completion in records[problem.name]["completions"]:
                program = problem.program(completion)
                if program not in unique:
                    unique[program] = len(jobs)
                    jobs.append(Job({"main.py": program}))
        logger.info("running %d distinct programs of %d problems", len(jobs), len(problems))
        outcomes = sandbox.run_many(jobs, workers=self.config.workers)
        for problem in problems:
            record = records[problem.name]
            results = [outcomes[unique[problem.program(c)]] for c in record["completions"]]
            record["passed"] = [r.passed for r in results]
            record["statuses"] = [r.status for r in results]
            record["isolation"] = sandbox.isolation
            record["program_version"] = PROGRAM_VERSION
            self.context.folder.save(paths[problem.name], record)


def samples_record(problem: Problem, temperature: float, seed: int | None, completions: list[str]) -> dict[str, Any]:
    """A problem's cache record once sampled (its outcomes are added when its programs ran)."""
    return {"schema": CACHE_SCHEMA, "benchmark_version": VERSION, "problem": problem.name,
            "dataset": problem.dataset, "temperature": temperature, "seed": seed, "completions": completions}


def run_functional(config: FunctionalConfig, context: RunContext) -> dict[str, Any]:
    return FunctionalBenchmark(config, context).run()
