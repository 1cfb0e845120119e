"""The benchmark suite: which benchmarks run with which settings, and what a run records.

Input: a `SuiteConfig` (a YAML file with one section per benchmark, `security:`,
`functional:`, `answer-rate:`, ..., each holding that benchmark's options, plus
`benchmarks:` naming the ones to run) and a `RunContext`. Output: the run's result
(`result.json` in the run folder, with the model, the code version, the engine, every
benchmark's effective configuration, seeds and analyzer versions), its Markdown report
and plots, and, when the model is a registry version, an evaluation record in that
version's manifest.

The benchmarks are those of the catalog (`catalog.benchmarks()`, built-ins and plug-ins
on `SAFECODER_BENCHMARK_PATH`), run in their declared order; the engine is released
before a benchmark that loads the model itself (knowledge scores with the logits). This
module names no benchmark and judges nothing; the benchmarks do.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from safecoder.benchmarks import catalog
from safecoder.benchmarks.context import RunContext
from safecoder.config import ConfigError, build, load_yaml
from safecoder.hashing import code_version, sha256_json

logger = logging.getLogger(__name__)

SUITE_NAME = "safecoder-bench"


def __getattr__(name: str) -> Any:
    """`BENCHMARKS` (in run order), `DEFAULT_BENCHMARKS`, `VERSIONS` and `CONFIG_CLASSES`,
    read from the catalog when asked (plug-ins included)."""
    if name == "BENCHMARKS":
        return catalog.names()
    if name == "DEFAULT_BENCHMARKS":
        return default_benchmarks()
    if name == "VERSIONS":
        return {b.name: b.version for b in catalog.benchmarks()}
    if name == "CONFIG_CLASSES":
        return {b.name: b.config_class for b in catalog.benchmarks()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_benchmarks() -> tuple[str, ...]:
    """What `bench all` runs without a `benchmarks:` list (peer benchmarks such as CyberSecEval run on request)."""
    return tuple(b.name for b in catalog.benchmarks() if b.default)


def attribute(name: str) -> str:
    """The `SuiteConfig` attribute of benchmark `name` (`answer-rate` -> `answer_rate`)."""
    return name.replace("-", "_")


def benchmark_name(name: str) -> str:
    """A benchmark's name as results and the command line spell it (`answer_rate` -> `answer-rate`)."""
    return name.replace("_", "-")


@dataclass(init=False)
class SuiteConfig:
    """The benchmarks to run and every benchmark's options (`suite.security`, `suite.section("answer-rate")`).

    Sections not given take their config's defaults. `SuiteConfig(benchmarks=("security",),
    security=SecurityConfig(n=5))` and `dataclasses.replace(suite, benchmarks=...)` both work.
    """

    benchmarks: tuple[str, ...]
    sections: dict[str, Any]

    def __init__(self, benchmarks: Iterable[str] | None = None, sections: dict[str, Any] | None = None,
                 **configs: Any) -> None:
        known = {b.name: b for b in catalog.benchmarks()}
        given = {benchmark_name(name): config for name, config in (sections or {}).items()}
        for key, config in configs.items():
            given[benchmark_name(key)] = config
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ConfigError(f"no benchmark is called {', '.join(unknown)}; known: {', '.join(known)}")
        self.sections = {}
        for name, benchmark in known.items():
            config = given[name] if name in given else benchmark.config_class()
            if not isinstance(config, benchmark.config_class):
                raise ConfigError(f"the {name} section must be a {benchmark.config_class.__name__}, "
                                  f"got {type(config).__name__}")
            self.sections[name] = config
        self.benchmarks = tuple(benchmark_name(name) for name in
                                (default_benchmarks() if benchmarks is None else benchmarks))
        unknown = sorted(set(self.benchmarks) - set(known))
        if unknown or not self.benchmarks:
            raise ConfigError(f"benchmarks must be among {list(known)}, got {list(self.benchmarks)}")

    def __getattr__(self, item: str) -> Any:
        sections = self.__dict__.get("sections")
        if sections is not None and not item.startswith("_") and benchmark_name(item) in sections:
            return sections[benchmark_name(item)]
        raise AttributeError(f"{type(self).__name__} has no attribute {item!r}")

    def section(self, name: str) -> Any:
        return self.sections[benchmark_name(name)]


def load_suite_config(path: str | Path | None = None, *, n: int | None = None, scenarios: Path | None = None,
                      limit: int | None = None, benchmarks: tuple[str, ...] | None = None) -> SuiteConfig:
    """A suite config from YAML sections, then the common overrides of the command line.

    Each benchmark applies the overrides it takes (`Benchmark.apply_overrides`): `n` sets
    the samples of security and functional (and turns pass@10 off below 10; the answer rate
    keeps its one greedy answer per problem); `limit` caps every benchmark whose options
    have a `limit` (functional problems, answer-rate and CyberSecEval prompts, repair tasks,
    classified pairs, knowledge questions); `scenarios` is security's folder.
    """
    data = load_yaml(path) if path else {}
    known = catalog.benchmarks()
    names = [b.name for b in known]
    # `answer-rate:` and `answer_rate:` name the same section (load_yaml spells keys with `_`).
    data = {benchmark_name(key) if benchmark_name(key) in names else key: value for key, value in data.items()}
    unknown = sorted(set(data) - {"benchmarks", *names})
    if unknown:
        raise ConfigError(f"suite config {path}: unknown sections {unknown}; expected benchmarks, "
                          f"{', '.join(names)}")
    sections: dict[str, dict[str, Any]] = {}
    for benchmark in known:
        name = benchmark.name
        section = data.get(name) or {}
        if not isinstance(section, dict):
            raise ConfigError(f"suite config {path}: section {name!r} must be a mapping of options")
        sections[name] = {key.replace("-", "_"): value for key, value in section.items()}
        fields = {f.name for f in dataclasses.fields(benchmark.config_class)}
        bad = sorted(set(sections[name]) - fields)
        if bad:
            raise ConfigError(f"suite config {path}: unknown {name} options {bad}; known: {sorted(fields)}")
        benchmark.apply_overrides(sections[name], n=n, limit=limit, scenarios=scenarios)
    return SuiteConfig(benchmarks=tuple(benchmarks or data.get("benchmarks") or default_benchmarks()),
                       sections={b.name: build(b.config_class, **sections[b.name]) for b in known})


def result_config_hash(name: str, section_config: dict[str, Any]) -> str:
    """What decides a benchmark's numbers: its version and its result-affecting settings."""
    return sha256_json({"benchmark": name, "version": catalog.get(name).version, "config": section_config})[:16]


def expected_config_hash(name: str, config: Any) -> str:
    """The `config_hash` a run of benchmark `name` with `config` records (computed without running)."""
    return catalog.get(name).config_hash(config)


def run_benchmark(name: str, config: Any, context: RunContext) -> dict[str, Any]:
    """One benchmark's section of `result.json` (its typed result's record)."""
    return catalog.get(name).run(config, context).to_record()


def run_suite(config: SuiteConfig, context: RunContext, *, record: bool = True,
              report: bool = True) -> dict[str, Any]:
    """Run the configured benchmarks; save the result, the report and (for registry
    versions) the manifest's evaluation record. Returns the merged result."""
    started = _now()
    sections: dict[str, Any] = {}
    try:
        for benchmark in catalog.benchmarks():
            if benchmark.name not in config.benchmarks:
                continue
            if benchmark.loads_model_itself:
                context.close()  # it loads the model itself
            logger.info("running the %s benchmark", benchmark.name)
            options = config.section(benchmark.name)
            section = benchmark.run(options, context).to_record()
            section.setdefault("version", benchmark.version)
            section.setdefault("config", benchmark.result_config(options))
            section["config_hash"] = benchmark.config_hash(options)
            sections[benchmark.name] = section
    finally:
        context.close()
    header = {
        "suite": SUITE_NAME,
        "model": {"reference": context.model.reference, "name": context.model.name,
                  "registry_version": context.model.registry_version, "identity": context.identity},
        "code_version": code_version(),
        "started_at": started,
        "finished_at": _now(),
    }
    result = context.folder.merge_result(header, sections)
    if report:
        from safecoder.benchmarks.reports.writer import write_report

        write_report(result, context.folder.root)
    if record and context.model.registry_version:
        record_evaluation(context.model.registry_version, result, context.folder.result_path)
    return result


def evaluation_record(result: dict[str, Any], result_path: Path | None = None) -> dict[str, Any]:
    """The compact record a manifest keeps: each benchmark's evaluation form and headline figures,
    enough for the gate and `bench compare` without the run folder."""
    benchmarks: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    sections = result.get("benchmarks", {})
    for benchmark in catalog.benchmarks():
        if not sections.get(benchmark.name):
            continue
        typed = benchmark.result_class.from_record(sections[benchmark.name])
        benchmarks[benchmark.name] = typed.evaluation().to_record()
        summary.update(typed.summary())
    left_out = sorted(set(sections) - set(benchmarks) - set(catalog.names()))
    if left_out:
        logger.info("no plug-in reads the %s results of this run; they stay out of the record", ", ".join(left_out))
    return {"suite": SUITE_NAME, "time": _now(), "code_version": result.get("code_version"),
            "result_path": str(result_path) if result_path else None,
            "summary": summary, "benchmarks": benchmarks}


def record_evaluation(version: str, result: dict[str, Any], result_path: Path | None = None,
                      registry=None) -> dict[str, Any]:
    from safecoder.registry import Registry

    record = evaluation_record(result, result_path)
    (registry or Registry()).add_evaluation(version, record)
    logger.info("recorded the evaluation in %s's manifest", version)
    return record


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
