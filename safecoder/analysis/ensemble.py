"""The batch path: many sources in, one `AnalysisResult` per source out, in input order.

Steps: check every input (`inputs`), check syntax (tree-sitter, Python's parser, and the
compilers the policy allows), then run each chosen backend once over all parseable
sources (Semgrep for every language, Bandit for Python, CodeQL where asked for and
installed, CodeShield's Insecure Code Detector where asked for, on the languages it
covers), in parallel, in chunks, and merge their findings per source.

Status per result: `error` when the input was unusable or any chosen backend could not
judge the source (the message names the analyzer and why; findings other analyzers
made are kept), `syntax_error` when the code does not parse (no backend runs on it),
`ok` otherwise. `analyzers` records every analyzer that judged the source with its
version, and the project's rule-set version for Semgrep.

`analyze_snippet` (module `snippet`) is the in-process path for single snippets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from safecoder.analysis import bandit_backend, icd_backend, semgrep_backend
from safecoder.analysis.backend import BackendOutput
from safecoder.analysis.compilers import CompilerPolicy, available_checkers, check_with_compilers
from safecoder.analysis.findings import AnalysisResult, Finding
from safecoder.analysis.inputs import (
    DEFAULT_MAX_BYTES,
    InputProblem,
    PreparedSource,
    SourceInput,
    normalize_cwes,
    prepare_file,
    prepare_source,
)
from safecoder.analysis.syntax import SyntaxPolicy, check_syntax, tree_sitter_version
from safecoder.config import ConfigError

logger = logging.getLogger(__name__)

ANALYZERS = ("semgrep", "bandit", "codeql", "icd", "syntax")
DEFAULT_ANALYZERS = ("semgrep", "bandit", "syntax")
DEFAULT_TIMEOUT_S = 30.0


@dataclass
class AnalysisConfig:
    analyzers: tuple[str, ...] = field(default=DEFAULT_ANALYZERS, metadata={
        "help": "analyzers to run: semgrep, bandit (Python only), codeql (when installed), icd (CodeShield's "
                "Insecure Code Detector: C/C++, Java, JavaScript, Python, Ruby), syntax"})
    timeout_s: float = field(default=DEFAULT_TIMEOUT_S, metadata={
        "help": "longest time an analyzer may spend on one source (seconds)"})
    max_bytes: int = field(default=DEFAULT_MAX_BYTES, metadata={"help": "sources larger than this are an error"})
    syntax_policy: SyntaxPolicy = field(default="strict", metadata={
        "help": "strict: any parse error is a syntax error (Python: also Python's own parser); tree-sitter: "
                "tree-sitter only (accepts Python 2); partial: accept code unfinished at its end"})
    compilers: CompilerPolicy = field(default="auto", metadata={
        "help": "auto: also check with javac/node/ruby/gofmt when installed; always: add gcc (needs "
                "self-contained files); never: tree-sitter only"})
    bandit_min_severity: Literal["low", "medium", "high"] = field(default="medium", metadata={
        "help": "lowest Bandit severity kept as a finding"})
    bandit_min_confidence: Literal["low", "medium", "high"] = field(default="medium", metadata={
        "help": "lowest Bandit confidence kept as a finding"})
    icd_usecase: icd_backend.Usecase = field(default="cyberseceval", metadata={
        "help": "the Insecure Code Detector's rule set: cyberseceval (every rule, as CyberSecEval judges) or "
                "codeshield (CodeShield's faster subset)"})
    chunk_size: int = field(default=1000, metadata={"help": "sources per analyzer process"})
    jobs: int = field(default=0, metadata={"help": "parallel jobs per analyzer (0: one per CPU, at most 4)"})

    def __post_init__(self) -> None:
        names = [self.analyzers] if isinstance(self.analyzers, str) else list(self.analyzers)
        # `--analyzers semgrep,bandit` and `--analyzers semgrep bandit` both work.
        self.analyzers = tuple(part.strip() for name in names for part in str(name).split(",") if part.strip())
        unknown = sorted(set(self.analyzers) - set(ANALYZERS))
        if unknown:
            raise ConfigError(f"unknown analyzers {unknown}; choose from {', '.join(ANALYZERS)}")
        if not self.analyzers:
            raise ConfigError("analyzers is empty; name at least one of " + ", ".join(ANALYZERS))
        if self.timeout_s <= 0:
            raise ConfigError(f"timeout_s must be positive, got {self.timeout_s}")
        if self.max_bytes <= 0:
            raise ConfigError(f"max_bytes must be positive, got {self.max_bytes}")
        if self.syntax_policy not in ("strict", "tree-sitter", "partial"):
            raise ConfigError(f"syntax_policy must be strict, tree-sitter or partial, got {self.syntax_policy!r}")
        if self.compilers not in ("auto", "always", "never"):
            raise ConfigError(f"compilers must be auto, always or never, got {self.compilers!r}")
        if self.chunk_size <= 0:
            raise ConfigError(f"chunk_size must be positive, got {self.chunk_size}")
        if self.jobs < 0:
            raise ConfigError(f"jobs must be 0 (automatic) or positive, got {self.jobs}")
        if "codeql" in self.analyzers:
            from safecoder.analysis.codeql_backend import require_codeql

            require_codeql()
        if "icd" in self.analyzers:
            icd_backend.require_codeshield()
        if self.icd_usecase not in ("cyberseceval", "codeshield"):
            raise ConfigError(f"icd_usecase must be cyberseceval or codeshield, got {self.icd_usecase!r}")

    @property
    def effective_jobs(self) -> int:
        return self.jobs or max(1, min(os.cpu_count() or 1, 4))


def analyze_sources(sources: Sequence[SourceInput], analyzers: Sequence[str] | None = None,
                    cwes: Collection[str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                    *, config: AnalysisConfig | None = None, progress: bool = False) -> list[AnalysisResult]:
    """Judge in-memory sources in batch; one result per source, in input order."""
    config = _config(config, analyzers, timeout_s)
    prepared = [prepare_source(source, max_bytes=config.max_bytes) for source in sources]
    return _analyze(prepared, normalize_cwes(cwes), config, progress)


def analyze_files(paths: Sequence[str | os.PathLike], analyzers: Sequence[str] | None = None,
                  cwes: Collection[str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                  *, config: AnalysisConfig | None = None, progress: bool = False,
                  language: str | None = None) -> list[AnalysisResult]:
    """Judge files in batch (language from each extension unless `language` is given)."""
    config = _config(config, analyzers, timeout_s)
    prepared = [prepare_file(Path(path), language=language, max_bytes=config.max_bytes) for path in paths]
    return _analyze(prepared, normalize_cwes(cwes), config, progress)


def _config(config: AnalysisConfig | None, analyzers: Sequence[str] | None, timeout_s: float) -> AnalysisConfig:
    if config is None:
        return AnalysisConfig(analyzers=tuple(analyzers) if analyzers else DEFAULT_ANALYZERS, timeout_s=timeout_s)
    if analyzers:
        config = AnalysisConfig(**{**config.__dict__, "analyzers": tuple(analyzers)})
    return config


def _analyze(prepared: list[PreparedSource | InputProblem], cwes: frozenset[str] | None,
             config: AnalysisConfig, progress: bool) -> list[AnalysisResult]:
    results: list[AnalysisResult | None] = [None] * len(prepared)
    parseable: list[tuple[int, PreparedSource]] = []
    syntax_versions = {"syntax": tree_sitter_version()}
    for index, item in enumerate(prepared):
        if isinstance(item, InputProblem):
            results[index] = AnalysisResult(item.name, item.language, "error", error=item.reason)
            continue
        verdict, _ = check_syntax(item, policy=config.syntax_policy)
        if not verdict.ok:
            results[index] = AnalysisResult(item.name, item.language.id, "syntax_error", error=verdict.message,
                                            analyzers={"syntax": _checker_version(verdict.checker)})
        else:
            parseable.append((index, item))
    if config.compilers != "never" and parseable:
        rejected = check_with_compilers(parseable, config.compilers, jobs=config.effective_jobs)
        parsed = dict(parseable)
        for index, verdict in rejected.items():
            source = parsed[index]
            results[index] = AnalysisResult(source.name, source.language.id, "syntax_error", error=verdict.message,
                                            analyzers={"syntax": f"{tree_sitter_version()} + {verdict.checker}"})
        parseable = [(index, item) for index, item in parseable if index not in rejected]
    outputs = _run_backends(parseable, cwes, config, progress)
    tools = available_checkers(config.compilers)
    for index, item in parseable:
        versions = dict(syntax_versions)
        if item.language.id in tools and not (item.language.id == "javascript" and item.extension == "jsx"):
            versions["syntax"] += f" + {tools[item.language.id]}"
        results[index] = _merge(index, item, outputs, versions)
    return [result for result in results if result is not None]


def _run_backends(parseable: list[tuple[int, PreparedSource]], cwes: frozenset[str] | None,
                  config: AnalysisConfig, progress: bool) -> list[BackendOutput]:
    chunks = [parseable[start:start + config.chunk_size] for start in range(0, len(parseable), config.chunk_size)]
    tasks = []
    for chunk in chunks:
        if "semgrep" in config.analyzers:
            tasks.append(("semgrep", chunk))
        python = [(index, item) for index, item in chunk if item.language.id == "python"]
        if "bandit" in config.analyzers and python:
            tasks.append(("bandit", python))
        if "codeql" in config.analyzers:
            tasks.append(("codeql", chunk))
        covered = [(index, item) for index, item in chunk if item.language.id in icd_backend.ICD_LANGUAGES]
        if "icd" in config.analyzers and covered:
            tasks.append(("icd", covered))
    if not tasks:
        return []
    bar = _progress_bar(len(tasks)) if progress else None

    def run(task: tuple[str, list]) -> BackendOutput:
        name, chunk = task
        try:
            if name == "semgrep":
                return semgrep_backend.run_semgrep(chunk, cwes, config.timeout_s, config.effective_jobs)
            if name == "bandit":
                return bandit_backend.run_bandit(chunk, cwes, config.timeout_s, config.bandit_min_severity,
                                                 config.bandit_min_confidence)
            if name == "icd":
                return icd_backend.run_icd(chunk, cwes, config.timeout_s, config.effective_jobs, config.icd_usecase)
            from safecoder.analysis.codeql_backend import run_codeql

            return run_codeql(chunk, cwes, config.timeout_s)
        finally:
            if bar is not None:
                bar.update(1)

    # Two workers: Semgrep uses its own jobs; Bandit runs beside it on the other core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(run, tasks))
    if bar is not None:
        bar.close()
    return outputs


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="analyzer runs", unit="run", leave=False)


def _merge(index: int, item: PreparedSource, outputs: list[BackendOutput],
           syntax_versions: dict[str, str]) -> AnalysisResult:
    findings: list[Finding] = []
    errors: list[str] = []
    analyzers = dict(syntax_versions)
    for output in outputs:
        if index in output.errors:
            errors.append(output.errors[index])
            analyzers.setdefault(output.analyzer, output.version)
        elif _covers(output, index):
            analyzers[output.analyzer] = output.version
        findings.extend(output.findings.get(index, ()))
    findings = sorted(set(findings), key=lambda f: (f.start_line, f.start_column, f.analyzer, f.rule_id))
    status = "error" if errors else "ok"
    return AnalysisResult(item.name, item.language.id, status, findings=tuple(findings),
                          error="; ".join(errors) if errors else None, analyzers=analyzers)


def _checker_version(checker: str) -> str:
    return checker.replace("tree-sitter", tree_sitter_version(), 1) if checker.startswith("tree-sitter") else checker


def _covers(output: BackendOutput, index: int) -> bool:
    return index in output.sources


__all__ = ["ANALYZERS", "DEFAULT_ANALYZERS", "AnalysisConfig", "analyze_files", "analyze_sources"]
