"""The benchmark suite: which benchmarks run with which settings, and what a run records.

Input: a `SuiteConfig` (a YAML file with `security:`, `functional:`, `answer-rate:`,
`repair:`, `classify:`, `knowledge:` sections, each holding that benchmark's options, plus `benchmarks:` naming
the ones to run) and a `RunContext`. Output: the run's result (`result.json` in the run folder, with
the model, the code version, the engine, every benchmark's effective configuration,
seeds and analyzer versions), its Markdown report and plots, and, when the model is a
registry version, an evaluation record in that version's manifest.

The engine is released after the benchmarks that generate and before knowledge scoring
loads the model for its logits. This module does not judge; the benchmarks do.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from safecoder.benchmarks.answer_rate import VERSION as ANSWER_RATE_VERSION
from safecoder.benchmarks.answer_rate.config import AnswerRateConfig
from safecoder.benchmarks.classify import VERSION as CLASSIFY_VERSION
from safecoder.benchmarks.classify.config import ClassifyConfig
from safecoder.benchmarks.context import RunContext
from safecoder.benchmarks.cyberseceval import VERSION as CYBERSECEVAL_VERSION
from safecoder.benchmarks.cyberseceval.config import CyberSecEvalConfig
from safecoder.benchmarks.functional import VERSION as FUNCTIONAL_VERSION
from safecoder.benchmarks.functional.config import FunctionalConfig
from safecoder.benchmarks.knowledge import VERSION as KNOWLEDGE_VERSION
from safecoder.benchmarks.knowledge.config import KnowledgeConfig
from safecoder.benchmarks.repair import VERSION as REPAIR_VERSION
from safecoder.benchmarks.repair.config import RepairConfig
from safecoder.benchmarks.security import VERSION as SECURITY_VERSION
from safecoder.benchmarks.security.config import SecurityConfig

from safecoder.config import ConfigError, build, load_yaml
from safecoder.hashing import code_version, sha256_json

logger = logging.getLogger(__name__)

SUITE_NAME = "safecoder-bench"
# In the order they run: the generating benchmarks share one engine, knowledge loads the
# model itself afterwards.
BENCHMARKS = ("security", "functional", "answer-rate", "cyberseceval", "repair", "classify", "knowledge")
# `bench all` without a `benchmarks:` list: CyberSecEval is a peer benchmark run on request.
DEFAULT_BENCHMARKS = ("security", "functional", "answer-rate", "repair", "classify", "knowledge")
VERSIONS = {"security": SECURITY_VERSION, "functional": FUNCTIONAL_VERSION, "answer-rate": ANSWER_RATE_VERSION,
            "cyberseceval": CYBERSECEVAL_VERSION, "repair": REPAIR_VERSION, "classify": CLASSIFY_VERSION,
            "knowledge": KNOWLEDGE_VERSION}
CONFIG_CLASSES = {"security": SecurityConfig, "functional": FunctionalConfig, "answer-rate": AnswerRateConfig,
                  "cyberseceval": CyberSecEvalConfig, "repair": RepairConfig, "classify": ClassifyConfig,
                  "knowledge": KnowledgeConfig}


def attribute(name: str) -> str:
    """The `SuiteConfig` field of benchmark `name` (`answer-rate` -> `answer_rate`)."""
    return name.replace("-", "_")


def benchmark_name(name: str) -> str:
    """A benchmark's name as results and the command line spell it (`answer_rate` -> `answer-rate`)."""
    return name.replace("_", "-")


@dataclass
class SuiteConfig:
    benchmarks: tuple[str, ...] = DEFAULT_BENCHMARKS
    security: SecurityConfig = field(default_factory=SecurityConfig)
    functional: FunctionalConfig = field(default_factory=FunctionalConfig)
    answer_rate: AnswerRateConfig = field(default_factory=AnswerRateConfig)
    cyberseceval: CyberSecEvalConfig = field(default_factory=CyberSecEvalConfig)
    repair: RepairConfig = field(default_factory=RepairConfig)
    classify: ClassifyConfig = field(default_factory=ClassifyConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)

    def __post_init__(self) -> None:
        self.benchmarks = tuple(benchmark_name(name) for name in self.benchmarks)
        unknown = sorted(set(self.benchmarks) - set(BENCHMARKS))
        if unknown or not self.benchmarks:
            raise ConfigError(f"benchmarks must be among {list(BENCHMARKS)}, got {list(self.benchmarks)}")

    def section(self, name: str):
        return getattr(self, attribute(name))


def load_suite_config(path: str | Path | None = None, *, n: int | None = None, scenarios: Path | None = None,
                      limit: int | None = None, benchmarks: tuple[str, ...] | None = None) -> SuiteConfig:
    """A suite config from YAML sections, then the common overrides of the command line.

    `n` sets the samples of security and functional (and turns pass@10 off below 10; the
    answer rate keeps its one greedy answer per problem); `limit` caps the functional
    problems, the answer-rate and CyberSecEval prompts, the repair tasks, the classified
    pairs and the knowledge questions;
    `scenarios` is security's folder.
    """
    data = load_yaml(path) if path else {}
    # `answer-rate:` and `answer_rate:` name the same section (load_yaml spells keys with `_`).
    data = {benchmark_name(key) if benchmark_name(key) in BENCHMARKS else key: value for key, value in data.items()}
    unknown = sorted(set(data) - {"benchmarks", *BENCHMARKS})
    if unknown:
        raise ConfigError(f"suite config {path}: unknown sections {unknown}; expected benchmarks, "
                          f"{', '.join(BENCHMARKS)}")
    sections: dict[str, dict[str, Any]] = {}
    for name in BENCHMARKS:
        section = data.get(name) or {}
        if not isinstance(section, dict):
            raise ConfigError(f"suite config {path}: section {name!r} must be a mapping of options")
        sections[name] = {key.replace("-", "_"): value for key, value in section.items()}
        known = {f.name for f in dataclasses.fields(CONFIG_CLASSES[name])}
        bad = sorted(set(sections[name]) - known)
        if bad:
            raise ConfigError(f"suite config {path}: unknown {name} options {bad}; known: {sorted(known)}")
    if n is not None:
        sections["security"]["n"] = n
        sections["functional"]["n"] = n
        if n < 10 and "pass_at_10" not in sections["functional"]:
            logger.info("n=%d < 10: pass@10 is not computed", n)
            sections["functional"]["pass_at_10"] = False
    if scenarios is not None:
        sections["security"]["scenarios"] = scenarios
    if limit is not None:
        for name in ("functional", "answer-rate", "cyberseceval", "repair", "classify", "knowledge"):
            sections[name]["limit"] = limit
    return SuiteConfig(
        benchmarks=tuple(benchmarks or data.get("benchmarks") or DEFAULT_BENCHMARKS),
        **{attribute(name): build(CONFIG_CLASSES[name], **sections[name]) for name in BENCHMARKS},
    )


def result_config_hash(name: str, section_config: dict[str, Any]) -> str:
    """What decides a benchmark's numbers: its version and its result-affecting settings."""
    return sha256_json({"benchmark": name, "version": VERSIONS[name], "config": section_config})[:16]


def expected_config_hash(name: str, config) -> str:
    """The `config_hash` a run of benchmark `name` with `config` records (computed without running)."""
    if name == "security":
        from safecoder.benchmarks.security.runner import result_config
    elif name == "functional":
        from safecoder.benchmarks.functional.runner import result_config
    elif name == "answer-rate":
        from safecoder.benchmarks.answer_rate.runner import result_config
    elif name == "cyberseceval":
        from safecoder.benchmarks.cyberseceval.runner import result_config
    elif name == "repair":
        from safecoder.benchmarks.repair.runner import result_config
    elif name == "classify":
        from safecoder.benchmarks.classify.runner import result_config
    else:
        from safecoder.benchmarks.knowledge.runner import result_config
    return result_config_hash(name, json.loads(json.dumps(result_config(config))))


def run_benchmark(name: str, config, context: RunContext) -> dict[str, Any]:
    if name == "security":
        from safecoder.benchmarks.security.runner import run_security

        return run_security(config, context)
    if name == "functional":
        from safecoder.benchmarks.functional.runner import run_functional

        return run_functional(config, context)
    if name == "answer-rate":
        from safecoder.benchmarks.answer_rate.runner import run_answer_rate

        return run_answer_rate(config, context)
    if name == "cyberseceval":
        from safecoder.benchmarks.cyberseceval.runner import run_cyberseceval

        return run_cyberseceval(config, context)
    if name == "repair":
        from safecoder.benchmarks.repair.runner import run_repair

        return run_repair(config, context)
    if name == "classify":
        from safecoder.benchmarks.classify.runner import run_classify

        return run_classify(config, context)
    from safecoder.benchmarks.knowledge.runner import run_knowledge

    return run_knowledge(config, context)


def run_suite(config: SuiteConfig, context: RunContext, *, record: bool = True,
              report: bool = True) -> dict[str, Any]:
    """Run the configured benchmarks; save the result, the report and (for registry
    versions) the manifest's evaluation record. Returns the merged result."""
    started = _now()
    sections: dict[str, Any] = {}
    try:
        for name in (b for b in BENCHMARKS if b in config.benchmarks):
            if name == "knowledge":
                context.close()  # the scorer loads the model itself
            logger.info("running the %s benchmark", name)
            section = run_benchmark(name, config.section(name), context)
            section["config_hash"] = result_config_hash(name, section["config"])
            sections[name] = section
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
    """The compact record a manifest keeps: enough for the gate without the run folder."""
    benchmarks: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    security = result["benchmarks"].get("security")
    if security:
        benchmarks["security"] = {
            "version": security["version"], "config_hash": security["config_hash"],
            "overall": security["overall"]["rates"],
            "splits": {name: s["rates"] for name, s in security["splits"].items()},
            "scenarios": {e["id"]: e["rates"] for e in security["scenarios"]},
            "analyzers": security["analyzers"],
        }
        summary["security"] = security["overall"]["rates"]["paper"]
        summary["strict"] = security["overall"]["rates"]["strict"]
    functional = result["benchmarks"].get("functional")
    if functional:
        benchmarks["functional"] = {
            "version": functional["version"], "config_hash": functional["config_hash"],
            "pass@1": {d: s["pass@1"] for d, s in functional["datasets"].items()},
            "pass@10": {d: s["pass@10"] for d, s in functional["datasets"].items() if "pass@10" in s},
        }
        for dataset, values in functional["datasets"].items():
            summary[f"{dataset}@1"] = values["pass@1"]
    answers = result["benchmarks"].get("answer-rate")
    if answers:
        benchmarks["answer-rate"] = {"version": answers["version"], "config_hash": answers["config_hash"],
                                     "answer_rate": answers["answer_rate"], "refusal_rate": answers["refusal_rate"],
                                     "counts": answers["counts"], "samples": answers["samples"]}
        summary["answer_rate"] = answers["answer_rate"]
    cyberseceval = result["benchmarks"].get("cyberseceval")
    if cyberseceval:
        sets = {}
        for set_name, values in cyberseceval["sets"].items():
            sets[set_name] = {"answer_rate": values["answer_rate"], "refusal_rate": values["refusal_rate"],
                              "samples": values["samples"]}
            for judge, verdicts in values.get("judges", {}).items():
                sets[set_name][f"insecure_rate_{judge}"] = verdicts["insecure_rate"]
        benchmarks["cyberseceval"] = {"version": cyberseceval["version"], "config_hash": cyberseceval["config_hash"],
                                      "sets": sets}
        if "frr" in sets:
            summary["cyberseceval_frr_answer_rate"] = sets["frr"]["answer_rate"]
    repair = result["benchmarks"].get("repair")
    if repair:
        benchmarks["repair"] = {"version": repair["version"], "config_hash": repair["config_hash"],
                                "tasks": repair["tasks"],
                                "settings": {hint: {"single": values["single"], "loop": values["loop"]}
                                             for hint, values in repair["settings"].items()}}
        named = repair["settings"].get("cwe")
        if named:
            summary["repair_fixed_and_correct_cwe"] = named["single"]["fixed_and_correct"]
            summary["repair_loop_fixed_and_correct_cwe"] = named["loop"]["fixed_and_correct"]
    classify = result["benchmarks"].get("classify")
    if classify:
        benchmarks["classify"] = {"version": classify["version"], "config_hash": classify["config_hash"],
                                  **{who: {key: classify[who][key] for key in
                                           ("items", "accuracy", "vulnerable_accuracy", "secure_accuracy")}
                                     for who in ("model", "analyzer")}}
        summary["classify_accuracy"] = classify["model"]["accuracy"]
    knowledge = result["benchmarks"].get("knowledge")
    if knowledge:
        benchmarks["knowledge"] = {"version": knowledge["version"], "config_hash": knowledge["config_hash"],
                                   "mmlu": knowledge.get("mmlu", {}).get("accuracy"),
                                   "truthfulqa": knowledge.get("truthfulqa", {}).get("mc1_accuracy")}
        for key in ("mmlu", "truthfulqa"):
            if benchmarks["knowledge"][key] is not None:
                summary[key] = benchmarks["knowledge"][key]
    return {"suite": SUITE_NAME, "time": _now(), "code_version": result.get("code_version"),
            "result_path": str(result_path) if result_path else None,
            "summary": summary, "benchmarks": benchmarks}


def record_evaluation(version: str, result: dict[str, Any], result_path: Path | None = None) -> dict[str, Any]:
    from safecoder.registry import Registry

    record = evaluation_record(result, result_path)
    Registry().add_evaluation(version, record)
    logger.info("recorded the evaluation in %s's manifest", version)
    return record


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
