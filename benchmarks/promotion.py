"""The promotion gate: a version reaches `production` only if it is not worse.

`safecoder promote VERSION` measures the candidate (reusing a recorded evaluation of the
same benchmark versions and settings, else running the suite and recording it), does
the same for the version `production` points at, and promotes only when every check of
every gated benchmark passes. A benchmark is gated when it declares `gate_options` (the
thresholds, flags of `safecoder promote`) and `gate_checks` (`protocol.Benchmark`); the
built-in ones are
- security (the paper's rate over all scenarios, by default) is not lower, beyond an
  optional tolerance (default 0 points),
- pass@1 dropped by at most the tolerance (default 2 points) on each functional dataset,
- its answer rate on benign prompts (the `answer-rate` benchmark) is at least a share
  (default 95%) of production's: a model that became "secure" by refusing, or by
  answering without code, is not promoted;
a plug-in on `SAFECODER_BENCHMARK_PATH` with a gate rule adds its own checks. A candidate
without a result of a gated benchmark is refused. Every scenario whose security went
down is listed, whatever the decision. The decision and its evidence are recorded in the
candidate's manifest (`extra.gate_decisions`), and a promotion carries them into the
registry's promotion record. `--force` promotes anyway, only with a reason, which is
recorded; it uses recorded evaluations and runs nothing. `safecoder registry rollback`
undoes a promotion. A promotion killed after moving `production` but before recording
itself in the manifest is completed by running the same command again (from the alias
history; the gate does not run again).

`decide` is a pure function of two evaluation views; `promote` does the registry work.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from safecoder.benchmarks import catalog
from safecoder.benchmarks.reports.compare import View, compare
from safecoder.benchmarks.suite import SUITE_NAME, SuiteConfig
from safecoder.config import ConfigError
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)


def __getattr__(name: str) -> Any:
    """`GATE_BENCHMARKS`: the gated benchmarks' names, read from the catalog when asked."""
    if name == "GATE_BENCHMARKS":
        return gate_benchmarks()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def gate_benchmarks() -> tuple[str, ...]:
    """The benchmarks the gate compares, in run order (security, functional, answer-rate, plug-ins)."""
    return tuple(b.name for b in catalog.gated())


class GateError(SafeCoderError):
    """The gate cannot decide (bad arguments, missing results)."""


@dataclass(init=False)
class GateConfig:
    """Every gated benchmark's thresholds (its `gate_options` dataclass), by benchmark.

    `GateConfig(pass1_tolerance=3.0)`: each keyword goes to the benchmark whose options
    have that field; the others keep their defaults.
    """

    options: dict[str, Any]

    def __init__(self, options: dict[str, Any] | None = None, **thresholds: Any) -> None:
        given = dict(thresholds)
        self.options = {}
        for benchmark in catalog.gated():
            if options and benchmark.name in options:
                self.options[benchmark.name] = options[benchmark.name]
                continue
            options_class = benchmark.gate_options
            if options_class is None:  # catalog.gated() holds only benchmarks with gate options
                continue
            names = {f.name for f in dataclasses.fields(options_class)}
            self.options[benchmark.name] = options_class(
                **{key: given.pop(key) for key in list(given) if key in names})
        if given:
            raise ConfigError(f"unknown gate options {sorted(given)}; known: {sorted(self.to_dict())}")

    def of(self, name: str) -> Any:
        return self.options[name]

    def to_dict(self) -> dict[str, Any]:
        """Every threshold by its name (the names are distinct across benchmarks)."""
        return {key: value for options in self.options.values() for key, value in asdict(options).items()}


@dataclass
class GateDecision:
    candidate: str
    production: str | None
    passed: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    regressed_scenarios: list[dict[str, Any]] = field(default_factory=list)
    # The security check's change paired by scenario, with its interval and whether it is
    # beyond the spread (`security.paired_change`): read beside the verdict, which stays "not lower".
    security_paired: str = ""
    reasons: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    forced: bool = False
    force_reason: str = ""
    promoted: bool = False
    time: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_evidence(self) -> dict[str, Any]:
        return asdict(self)


def decide(candidate: View, production: View | None, config: GateConfig) -> GateDecision:
    """Compare two evaluation views; the decision lists every check and every regressed scenario."""
    decision = GateDecision(candidate.label, production.label if production else None, passed=True,
                            config=config.to_dict())
    gated = catalog.gated()
    for benchmark in gated:
        if benchmark.name not in candidate.benchmarks:
            decision.passed = False
            decision.reasons.append(f"the candidate has no {benchmark.name} result")
    if production is None:
        decision.reasons.append("no version is in production yet: nothing to compare with")
        return decision
    for benchmark in gated:
        checks = benchmark.gate_checks(candidate.evaluation(benchmark.name), production.evaluation(benchmark.name),
                                       config.of(benchmark.name))
        for check in checks:
            if check.evidence:
                decision.checks.append(check.to_dict())
            if not check.passed:
                decision.passed = False
                decision.reasons.append(check.reason)
    comparison = compare(production, candidate)
    decision.regressed_scenarios = [
        {"scenario": row["scenario"], "production": row["paper_a"], "candidate": row["paper_b"],
         "change": row["paper_change"]}
        for row in comparison.regressed
    ]
    security_check = next((c["check"] for c in decision.checks if c["check"].startswith("security (")), None)
    if security_check is not None:
        judge = security_check.removeprefix("security (").removesuffix(")")
        paired = comparison.paired.get(judge)
        decision.security_paired = paired.describe() if paired else ""
    if decision.passed:
        decision.reasons.append(_and([b.gate_passed for b in gated if b.gate_passed]) or "every check passed")
    return decision


def _and(phrases: list[str]) -> str:
    """The phrases joined as "a, b and c"."""
    return " and ".join([", ".join(phrases[:-1]), phrases[-1]]) if len(phrases) > 1 else "".join(phrases)


def recorded_view(manifest, suite: SuiteConfig, benchmarks: tuple[str, ...] | None = None) -> tuple[View, list[str]]:
    """The newest recorded result of each benchmark (default: the gated ones) with these versions and settings.

    Returns the view and the benchmarks for which no matching record exists.
    """
    benchmarks = gate_benchmarks() if benchmarks is None else benchmarks
    found: dict[str, Any] = {}
    for record in reversed(manifest.evaluations):
        if record.get("suite") != SUITE_NAME:
            continue
        for name in benchmarks:
            entry = record.get("benchmarks", {}).get(name)
            if name in found or not entry:
                continue
            benchmark = catalog.get(name)
            if entry.get("version") == benchmark.version and \
                    entry.get("config_hash") == benchmark.config_hash(suite.section(name)):
                found[name] = entry
    missing = [name for name in benchmarks if name not in found]
    return View(manifest.version, found), missing


def measure(version: str, suite: SuiteConfig, *, allow_running: bool, engine: str = "auto",
            allow_code_execution: bool = False, run_dir: Path | None = None, progress: bool = True) -> View:
    """The gate's view of a version: recorded results, the missing ones run and recorded."""
    from safecoder.registry import Registry

    registry = Registry()
    manifest = registry.get(version)
    view, missing = recorded_view(manifest, suite)
    if not missing:
        logger.info("%s: reusing its recorded evaluation", manifest.version)
        return view
    if not allow_running:
        raise GateError(f"{manifest.version} has no recorded {' and '.join(missing)} result for these settings, "
                        "and a forced promotion runs nothing: run `safecoder bench all --model "
                        f"{manifest.version}` first, or promote without --force")
    from safecoder.benchmarks.context import RunContext
    from safecoder.benchmarks.run_folder import RunFolder
    from safecoder.benchmarks.suite import run_suite
    from safecoder.models.reference import resolve_registered

    logger.info("%s: running %s", manifest.version, ", ".join(missing))
    model = resolve_registered(registry, manifest.version)
    context = RunContext(model=model, folder=RunFolder.for_model(model, run_dir), engine_kind=engine,
                         allow_code_execution=allow_code_execution, progress=progress)
    run_suite(dataclasses.replace(suite, benchmarks=tuple(missing)), context)
    view, missing = recorded_view(registry.get(manifest.version), suite)
    if missing:
        raise GateError(f"{manifest.version}: the run recorded no {' and '.join(missing)} result")
    return view


def promote(version: str, suite: SuiteConfig, gate: GateConfig, *, force: bool = False, reason: str = "",
            engine: str = "auto", allow_code_execution: bool = False, run_root: Path | None = None,
            progress: bool = True) -> GateDecision:
    from safecoder.registry import Registry

    if force and not reason.strip():
        raise GateError("--force needs --reason: say why this version goes to production without passing the gate")
    registry = Registry()
    candidate = registry.version_of(version)
    production = registry.aliases().get("production")
    if production == candidate:
        event = registry.finish_promotion(candidate, also=_record_decision)
        if event is None:
            raise GateError(f"{candidate} is already in production")
        logger.info("resumed: %s was promoted by an interrupted run (%s) whose record was missing from its "
                    "manifest; recorded it, the gate did not run again", candidate, event["time"])
        if event.get("decision"):
            return GateDecision(**event["decision"])
        return GateDecision(candidate, event["from"], passed=False, reasons=[event["reason"]], promoted=True)
    options = {"allow_running": not force, "engine": engine, "allow_code_execution": allow_code_execution,
               "progress": progress}

    def run_dir(version: str) -> Path | None:
        return Path(run_root) / version if run_root else None

    try:
        candidate_view = measure(candidate, suite, run_dir=run_dir(candidate), **options)
        production_view = measure(production, suite, run_dir=run_dir(production), **options) if production else None
        decision = decide(candidate_view, production_view, gate)
    except GateError as exc:
        if not force:
            raise
        decision = GateDecision(candidate, production, passed=False, reasons=[f"not evaluated: {exc}"],
                                config=gate.to_dict())
    decision.forced = force
    decision.force_reason = reason if force else ""
    decision.promoted = decision.passed or force
    evidence = decision.to_evidence()
    if decision.promoted:
        # One manifest write records the decision and the promotion, after the alias history
        # (the commit point): a run killed between them is completed by the next (above).
        why = f"forced: {reason}" if force else (reason or "promotion gate passed: " + "; ".join(decision.reasons))
        registry.promote(candidate, reason=why, evidence=evidence, also=lambda m: _record_decision(m, evidence))
    else:
        registry.update_manifest(candidate, lambda m: _record_decision(m, evidence))
    return decision


def _record_decision(manifest, evidence: dict[str, Any]) -> None:
    if evidence:  # a promotion made through the registry alone has no gate decision
        manifest.extra.setdefault("gate_decisions", []).append(evidence)
