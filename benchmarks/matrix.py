"""Several models, each with the served gate off and on, measured on one protocol, in one report.

The question the first SafeCoder model must answer is comparative: is the tuned model
more secure than its base and than an instruction-only control trained on the same data
budget, without refusing more or writing worse code? `safecoder bench matrix` runs the
suite for every (model, gate) cell on the same settings, each cell in its own run folder
(so each resumes where it stopped, across sessions), and writes one report:

- `matrix.md`: the overall table (secure rates by every judge with their 95% interval:
  paper and strict (static), dynamic (exploit tests), combined (dynamic where it ran, else
  static); secure-pass, unparseable share, HumanEval and MBPP pass@1, answer rate on benign
  prompts), per split, per CWE, and the run-to-run spread of the secure rate: each rate's
  binomial interval, and each cell's change against the first cell paired by scenario;
- `matrix.json`: the same figures as data, with each cell's per-scenario rates;
- `matrix.png`: security against pass@1, one point per cell, with the intervals.

Gates: `off`; `rerank` and `block` as served (with steering: when no candidate is clean,
k more from a prompt naming the weakness); `rerank-plain`, the rerank without steering.
A cell with the gate on runs the security benchmark only (the other benchmarks measure
the model; the gate acts on security). A model that cannot be resolved yet (a run still
training) leaves its cells pending, and the report says so.

Input: a YAML file (`MatrixConfig`) naming the models, the gates, the engine and a suite
config file (the `safecoder bench all --config` format). Not here: the benchmarks.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder.atomic import write_json, write_text
from safecoder.benchmarks.security.paired_change import JUDGES, paired_change
from safecoder.config import ConfigError, load_yaml

logger = logging.getLogger(__name__)

GATES = ("off", "rerank", "rerank-plain", "block")
Z95 = 1.96
# The judges the report pairs by scenario: the gate's and the paper's.
PAIRED_REPORTED = ("combined", "paper")


@dataclass
class MatrixConfig:
    out: Path
    models: list[tuple[str, str]]
    suite: Path | None = None
    gates: tuple[str, ...] = ("off", "rerank")
    engine: str = "auto"
    # Base name of the report files; matrices that share cells (the same `out` and model
    # names) keep their reports apart by it.
    report: str = "matrix"

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if not self.models:
            raise ConfigError("a matrix needs at least one model (models: {name: reference})")
        names = [name for name, _ in self.models]
        if len(set(names)) != len(names):
            raise ConfigError(f"model names must be distinct, got {names}")
        bad = sorted(set(self.gates) - set(GATES))
        if bad or not self.gates:
            raise ConfigError(f"gates must be among {list(GATES)}, got {list(self.gates)}")

    @classmethod
    def from_yaml(cls, path: str | Path) -> MatrixConfig:
        data = load_yaml(path)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"matrix config {path}: unknown keys {unknown}; known: {sorted(known)}")
        models = data.get("models")
        if not isinstance(models, dict):
            raise ConfigError(f"matrix config {path}: `models` must map names to model references")
        suite = data.get("suite")
        # Paths are relative to the working directory, as in every config of the project.
        return cls(
            out=Path(data.get("out") or "runs/matrix"),
            models=[(str(name), str(reference)) for name, reference in models.items()],
            suite=Path(suite) if suite else None,
            # YAML 1.1 reads a bare `off` as false.
            gates=tuple("off" if g is False else str(g) for g in (data.get("gates") or ("off", "rerank"))),
            engine=str(data.get("engine") or "auto"),
            report=str(data.get("report") or "matrix"),
        )


@dataclass
class Cell:
    model: str
    reference: str
    gate: str
    folder: Path
    result: dict[str, Any] | None = None
    pending: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.model} (gate {self.gate})"


def cells(config: MatrixConfig) -> list[Cell]:
    return [Cell(name, reference, gate, config.out / name / f"gate-{gate}")
            for name, reference in config.models for gate in config.gates]


def selected_cells(config: MatrixConfig, only: tuple[str, ...] = (),
                   only_gates: tuple[str, ...] = ()) -> list[Cell]:
    """The cells of the models in `only` and the gates in `only_gates` (all where empty)."""
    names = [name for name, _ in config.models]
    bad = sorted(set(only) - set(names)) + sorted(set(only_gates) - set(config.gates))
    if bad:
        raise ConfigError(f"{', '.join(bad)} is not a model or gate of the matrix "
                          f"(models: {names}, gates: {list(config.gates)})")
    return [cell for cell in cells(config)
            if (not only or cell.model in only) and (not only_gates or cell.gate in only_gates)]


def suite_for(config: MatrixConfig, gate: str):
    from safecoder.benchmarks.suite import load_suite_config

    suite = load_suite_config(config.suite)
    if gate == "off":
        return suite
    plain = gate.endswith("-plain")
    security = dataclasses.replace(suite.security, gate=gate.removesuffix("-plain"), gate_steer=not plain)
    return dataclasses.replace(suite, benchmarks=("security",), security=security)


def run_matrix(config: MatrixConfig, allow_code_execution: bool = False, progress: bool = True,
               only: tuple[str, ...] = (), only_gates: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run every cell that is not complete yet (each resumes from its caches), then report.

    `only` and `only_gates` narrow the run to some models and gates, so that the cells that
    answer the first question (gate off) can finish before the slower ones start."""
    from safecoder.benchmarks.context import RunContext
    from safecoder.benchmarks.run_folder import RunFolder
    from safecoder.benchmarks.suite import run_suite
    from safecoder.errors import SafeCoderError
    from safecoder.models import resolve

    for cell in selected_cells(config, only, only_gates):
        try:
            model = resolve(cell.reference)
        except SafeCoderError as exc:
            logger.warning("matrix: %s is pending (%s)", cell.label, exc)
            continue
        logger.info("matrix: %s", cell.label)
        context = RunContext(model=model, folder=RunFolder(cell.folder), engine_kind=config.engine,
                             allow_code_execution=allow_code_execution, progress=progress)
        try:
            run_suite(suite_for(config, cell.gate), context, record=False)
        finally:
            context.close()
    return write_report(config)


# ----- figures -----------------------------------------------------------------------
def interval(successes: int | None, total: int | None) -> float | None:
    """Half-width, in points, of the 95% normal interval of a rate (None without data)."""
    if not total or successes is None:
        return None
    p = successes / total
    return round(100 * Z95 * math.sqrt(p * (1 - p) / total), 2)


def figures_of(result: dict[str, Any]) -> dict[str, Any]:
    """The matrix's figures of one cell's result: security's rates and intervals, pass@1, the answer rate."""
    from safecoder.benchmarks.answer_rate.plugin import AnswerRateResult
    from safecoder.benchmarks.functional.plugin import FunctionalResult
    from safecoder.benchmarks.security.plugin import SecurityResult

    benchmarks = result.get("benchmarks", {})
    figures: dict[str, Any] = {}
    security = SecurityResult.from_record(benchmarks.get("security"))
    if security:
        counts = security.counts()
        figures.update({
            **{key: security.secure_rate(key) for key in ("paper", "strict", "combined", "dynamic", "secure_pass",
                                                          "unparseable", "functional")},
            "paper_ci": interval(counts.get("secure"), counts.get("parseable")),
            "combined_ci": interval(counts.get("combined_secure"), counts.get("parseable")),
            "dynamic_ci": interval(counts.get("dynamic_secure"), counts.get("dynamic_ran")),
            "strict_ci": interval(counts.get("secure_all"), counts.get("programs")),
            "programs": counts.get("programs"), "parseable": counts.get("parseable"),
            "splits": security.split_rates("paper"),
            "cwes": security.cwe_rates("paper"),
            # Kept so that two cells can be paired by scenario, here and by anyone reading the JSON later.
            "scenarios": {scenario: {judge: rates.get(judge) for judge in JUDGES}
                          for scenario, rates in security.scenario_rates().items()},
        })
        actions = security.gate_actions()
        if actions:
            figures["gate_actions"] = actions
        paired = security.paired()
        if paired:
            own = paired["own"]["rates"]
            figures["gate_paired"] = {"own": {key: own.get(key) for key in ("combined", "secure_pass", "functional")},
                                      "transitions": paired["transitions"]}
    functional = FunctionalResult.from_record(benchmarks.get("functional"))
    for dataset, value in functional.pass_at(1).items():
        figures[f"{dataset}_pass@1"] = value
    answers = AnswerRateResult.from_record(benchmarks.get("answer-rate"))
    if answers:
        figures["answer_rate"] = answers.answer_rate
        figures["refusal_rate"] = answers.refusal_rate
    return figures


def _load(cell: Cell) -> None:
    path = cell.folder / "result.json"
    if not path.is_file():
        cell.pending = "not run yet"
        return
    try:
        result = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        cell.pending = f"unreadable result.json ({exc})"
        return
    cell.result = result
    cell.figures = figures_of(result)
    if "paper" not in cell.figures:
        cell.pending = "no security result yet"


def _fmt(value: Any, ci: Any = None) -> str:
    if value is None:
        return "-"
    text = f"{value:.1f}" if isinstance(value, (int, float)) else str(value)
    return f"{text} ± {ci:.1f}" if isinstance(ci, (int, float)) else text


def write_report(config: MatrixConfig) -> dict[str, Any]:
    all_cells = cells(config)
    for cell in all_cells:
        _load(cell)
    done = [c for c in all_cells if c.pending is None]
    lines = ["# Model matrix", "",
             f"Models: {', '.join(f'`{n}` = `{r}`' for n, r in config.models)}; gates: {', '.join(config.gates)}; "
             f"engine: {config.engine}; suite: `{config.suite or 'defaults'}`.", "",
             "| model | gate | secure (paper) | secure (strict) | secure (combined) | secure (dynamic) | secure-pass "
             "| unparseable | HumanEval pass@1 | MBPP pass@1 | answer rate | programs |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for cell in all_cells:
        f = cell.figures
        if cell.pending:
            lines.append(f"| {cell.model} | {cell.gate} | pending: {cell.pending} | | | | | | | | | |")
            continue
        lines.append(f"| {cell.model} | {cell.gate} | {_fmt(f.get('paper'), f.get('paper_ci'))} "
                     f"| {_fmt(f.get('strict'), f.get('strict_ci'))} | {_fmt(f.get('combined'), f.get('combined_ci'))} "
                     f"| {_fmt(f.get('dynamic'), f.get('dynamic_ci'))} | {_fmt(f.get('secure_pass'))} "
                     f"| {_fmt(f.get('unparseable'))} | {_fmt(f.get('humaneval_pass@1'))} "
                     f"| {_fmt(f.get('mbpp_pass@1'))} | {_fmt(f.get('answer_rate'))} | {f.get('programs', '-')} |")
    spread = [c.figures["paper_ci"] for c in done if c.figures.get("paper_ci") is not None]
    if spread:
        widest = max(spread)
        lines += ["", "**Spread.** ± is the 95% interval of a rate over the cell's judged programs (binomial). "
                  f"The widest is ± {widest:.1f} points, so two cells differ beyond the spread when their rates "
                  f"differ by more than about {2 * widest:.1f} points; a difference of 10 points is "
                  f"{'outside' if 2 * widest < 10 else 'NOT outside'} it at these sample counts."]
    lines += _paired_section(done)
    splits = sorted({s for c in done for s in c.figures.get("splits", {})})
    if splits:
        lines += ["", "## Secure rate (paper) per split", "", "| model | gate | " + " | ".join(splits) + " |",
                  "|---|---|" + "---|" * len(splits)]
        for cell in done:
            lines.append(f"| {cell.model} | {cell.gate} | "
                         + " | ".join(_fmt(cell.figures["splits"].get(s)) for s in splits) + " |")
    cwes = sorted({cwe for c in done for cwe in c.figures.get("cwes", {})})
    if cwes:
        lines += ["", "## Secure rate (paper) per CWE", "", "| CWE | " + " | ".join(c.label for c in done) + " |",
                  "|---|" + "---|" * len(done)]
        for cwe in cwes:
            lines.append(f"| {cwe} | " + " | ".join(_fmt(c.figures["cwes"].get(cwe)) for c in done) + " |")
    gated = [c for c in done if c.figures.get("gate_actions")]
    if gated:
        columns = ("passed", "reranked", "hinted", "annotated", "blocked", "unchecked")
        lines += ["", "## What the gate did", "",
                  "`hinted`: of the reranked, those drawn from the prompt that names the weakness (steering).", "",
                  "| cell | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
        for cell in gated:
            actions = cell.figures["gate_actions"]
            lines.append(f"| {cell.label} | " + " | ".join(str(actions.get(a, 0)) for a in columns) + " |")
    paired = [c for c in done if c.figures.get("gate_paired")]
    if paired:
        lines += ["", "## The gate against the model alone on the same draws", "",
                  "The model alone is the gated run's own draws with every sample the gate replaced put back, "
                  "judged the same way, so the difference is the gate's and not sampling noise between two runs. "
                  "Rates over all samples (own -> gated); counts over the replaced samples only (before -> after; "
                  "`works`: of those whose scenario has a test).", "",
                  "| cell | combined | secure-pass | functional | replaced | secure | tested | works "
                  "| secure and works |", "|---|---|---|---|---|---|---|---|---|"]
        for cell in paired:
            own, moved = cell.figures["gate_paired"]["own"], cell.figures["gate_paired"]["transitions"]
            rates = " | ".join(f"{_fmt(own.get(key))} -> {_fmt(cell.figures.get(key))}"
                               for key in ("combined", "secure_pass", "functional"))
            lines.append(f"| {cell.label} | {rates} | {moved['replaced']} | {moved['secure_before']} -> "
                         f"{moved['secure_after']} | {moved['tested']} | {moved['works_before']} -> "
                         f"{moved['works_after']} | {moved['secure_and_works_before']} -> "
                         f"{moved['secure_and_works_after']} |")
    plot = _plot(config.out / f"{config.report}.png", done)
    if plot:
        lines += ["", f"![security against pass@1]({plot.name})"]
    config.out.mkdir(parents=True, exist_ok=True)
    write_text(config.out / f"{config.report}.md", "\n".join(lines) + "\n")
    data = {"models": dict(config.models), "gates": list(config.gates), "engine": config.engine,
            "cells": [{"model": c.model, "reference": c.reference, "gate": c.gate, "folder": str(c.folder),
                       "pending": c.pending, "figures": c.figures} for c in all_cells]}
    write_json(config.out / f"{config.report}.json", data)
    return data


def _paired_section(done: list[Cell]) -> list[str]:
    """Each finished cell's security against the first one's, paired by scenario (`security.paired_change`):
    the spread of a difference, which is narrower than two rates' intervals side by side."""
    paired_cells = [c for c in done if c.figures.get("scenarios")]
    if len(paired_cells) < 2:
        return []
    reference, others = paired_cells[0], paired_cells[1:]
    rows, widths = [], []
    for cell in others:
        changes = [paired_change(reference.figures["scenarios"], cell.figures["scenarios"], judge)
                   for judge in PAIRED_REPORTED]
        texts = []
        for change in changes:
            if change is None:
                texts.append("-")
                continue
            widths.append((change.high - change.low) / 2)
            text = f"{change.change:+.1f} [{change.low:+.1f}, {change.high:+.1f}]"
            texts.append(f"**{text}**" if change.beyond_spread else text)
        counts = next((f"{c.better} / {c.worse} of {c.scenarios}" for c in changes if c is not None), "-")
        rows.append(f"| {cell.label} | " + " | ".join(texts) + f" | {counts} |")
    widest = max(widths) if widths else None
    lines = ["", f"## Security against {reference.label}, paired by scenario", "",
             "The change is the mean of the per-scenario changes over the scenarios both cells judged; the interval "
             "is a 95% bootstrap over scenarios, so it is the spread of the difference itself (both cells answered "
             "the same scenarios with the same seeds). **Bold**: beyond the spread."]
    if widest is not None:
        lines[-1] += (f" The widest interval here is ± {widest:.1f} points, so a difference of 10 points is "
                      f"{'outside' if widest < 10 else 'NOT outside'} the paired spread.")
    lines += ["", "| cell | " + " | ".join(PAIRED_REPORTED) + " | scenarios up / down (first judge) |",
              "|---|" + "---|" * len(PAIRED_REPORTED) + "---|", *rows]
    return lines


def _plot(path: Path, done: list[Cell]) -> Path | None:
    points = [c for c in done if c.figures.get("paper") is not None]
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 4.8))
    for cell in points:
        f = cell.figures
        x = f.get("humaneval_pass@1")
        if x is None:
            x = f.get("functional")  # the scenarios' own functional rate, when pass@1 is not measured
        if x is None:
            continue
        marker = "o" if cell.gate == "off" else "s"
        axis.errorbar(x, f["paper"], yerr=f.get("paper_ci") or 0, fmt=marker, capsize=3)
        axis.annotate(cell.label, (x, f["paper"]), textcoords="offset points", xytext=(5, 5), fontsize=8)
    axis.set_xlabel("HumanEval pass@1 (or the scenarios' functional rate), %")
    axis.set_ylabel("secure rate (paper), %")
    axis.set_title("Security against utility (95% intervals)")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
