"""The benchmark plug-in protocol: what every benchmark declares, runs and returns.

A benchmark is a folder holding a `plugin.py` whose `BENCHMARK` is an instance of a
`Benchmark` subclass (`catalog` finds it: the folders of this package, then the folders
on `SAFECODER_BENCHMARK_PATH`). It declares

- `name` (as results and the command line spell it, `answer-rate`), `version` (changes
  whenever its behaviour changes: results of other versions are not compared), `title`
  (the report's heading) and `help` (one line for `safecoder bench --help`);
- `config_class`: a dataclass with help text on every field; its flags are those of
  `safecoder bench NAME` and its YAML section is `NAME:` in a suite config;
- `run(config, context)`: the typed result, a `BenchmarkResult` whose `to_record()` is
  the benchmark's section of `result.json` and whose `from_record()` reads it back;
- optionally a promotion-gate rule: `gate_options` (a dataclass of thresholds, whose
  fields become flags of `safecoder promote`) and `gate_checks`.

A result's record is plain JSON (so old result files load unchanged); its accessors
are the only code that knows the record's layout. `BenchmarkResult.evaluation()` is the
compact form a registry manifest keeps (`Evaluation`), which the gate and `bench
compare` read. Not here: discovery (`catalog`), running several benchmarks (`suite`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from safecoder.config import add_arguments, to_dict
from safecoder.errors import SafeCoderError
from safecoder.hashing import sha256_json

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class BenchmarkError(SafeCoderError):
    """A benchmark plug-in or a benchmark record that cannot be used."""


@dataclass(frozen=True)
class Record:
    """A JSON record with typed accessors; `to_record()` gives back what `from_record()` took."""

    record: dict[str, Any]

    @classmethod
    def from_record(cls, record: dict[str, Any] | None):
        if record is None:
            record = {}
        if not isinstance(record, dict):
            raise BenchmarkError(f"a {cls.__name__} record must be a JSON object, got {type(record).__name__}")
        return cls(record)

    def to_record(self) -> dict[str, Any]:
        return self.record

    @property
    def version(self) -> str | None:
        return self.record.get("version")

    @property
    def config_hash(self) -> str | None:
        return self.record.get("config_hash")

    def __bool__(self) -> bool:
        return bool(self.record)


class Evaluation(Record):
    """A benchmark's compact record in a manifest's evaluation: what the gate and `compare` read."""

    def metrics(self) -> dict[str, float | None]:
        """Named figures (percentages) that `bench compare` sets side by side."""
        return {}

    def scenario_rates(self) -> dict[str, dict[str, float | None]]:
        """Per scenario id, its rates, for a benchmark made of scenarios (`compare` lists the
        ones that went down); none by default."""
        return {}


class BenchmarkResult(Record):
    """A benchmark's section of `result.json`."""

    evaluation_class: ClassVar[type[Evaluation]] = Evaluation

    def evaluation(self) -> Evaluation:
        """The compact record for a manifest (its version and settings hash, then the figures)."""
        return self.evaluation_class({"version": self.version, "config_hash": self.config_hash})

    def summary(self) -> dict[str, float | None]:
        """The headline figures of the manifest record's `summary` (None: not measured in this run)."""
        return {}

    def header(self) -> list[str]:
        """Lines of the report's header list (`- engine: ...`)."""
        return []

    def markdown(self) -> str:
        """The report's section under the benchmark's title."""
        return "```json\n" + json.dumps(self.record, indent=2)[:4000] + "\n```"

    def table(self) -> str:
        """The headline table `safecoder bench` prints after a run (default: the report's section)."""
        return self.markdown()

    def plots(self, result: dict[str, Any], folder: Path) -> list[str]:
        """Write this benchmark's plots under `folder`; return their paths relative to it."""
        return []


@dataclass(frozen=True)
class GateCheck:
    """One comparison of the promotion gate; `to_dict` is the evidence row."""

    check: str
    candidate: float | None
    production: float | None
    change: float | None
    allowed_drop: float | None
    passed: bool
    reason: str = ""  # why it failed, in words
    # False for a failure with no figures to set side by side (only its reason is shown).
    evidence: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "candidate": self.candidate, "production": self.production,
                "change": self.change, "allowed_drop": self.allowed_drop, "passed": self.passed}


class Benchmark:
    """The protocol of a benchmark plug-in; subclass it in the benchmark's `plugin.py`."""

    name: ClassVar[str]
    version: ClassVar[str]
    title: ClassVar[str]
    help: ClassVar[str] = ""
    config_class: ClassVar[type]
    result_class: ClassVar[type[BenchmarkResult]] = BenchmarkResult
    # Where it runs in a suite: the benchmarks that generate share one engine; one that
    # `loads_model_itself` runs after the engine is released.
    order: ClassVar[int] = 70
    loads_model_itself: ClassVar[bool] = False
    # Part of `safecoder bench all` without a `benchmarks:` list.
    default: ClassVar[bool] = True
    # Refuses to start without --allow-code-execution.
    needs_code_execution: ClassVar[bool] = False
    # The promotion gate: a dataclass of thresholds (flags of `safecoder promote`), None
    # for a benchmark the gate does not look at; `gate_passed` words a passed check.
    gate_options: ClassVar[type | None] = None
    gate_passed: ClassVar[str] = ""
    # Where the plug-in was found (set by the catalog).
    source: str = "built-in"

    @property
    def attribute(self) -> str:
        """The name as a Python identifier (`answer-rate` -> `answer_rate`)."""
        return self.name.replace("-", "_")

    def result_config(self, config: Any) -> dict[str, Any]:
        """The settings that decide the numbers (part of the result and of its hash)."""
        return to_dict(config)

    def config_hash(self, config: Any) -> str:
        """What decides a result: the benchmark, its version and its result-affecting settings."""
        settings = json.loads(json.dumps(self.result_config(config)))
        return sha256_json({"benchmark": self.name, "version": self.version, "config": settings})[:16]

    def add_arguments(self, parser) -> None:
        """The flags of `safecoder bench NAME` (one per config field by default)."""
        add_arguments(parser, self.config_class)

    def apply_overrides(self, section: dict[str, Any], *, n: int | None, limit: int | None,
                        scenarios: Path | None) -> None:
        """Apply the suite's common flags to this benchmark's options (default: `--limit`
        to a config with a `limit` field)."""
        if limit is not None and "limit" in {f for f in self.config_class.__dataclass_fields__}:
            section["limit"] = limit

    def run(self, config: Any, context) -> BenchmarkResult:
        raise NotImplementedError(f"the {self.name} benchmark does not implement run()")

    def gate_checks(self, candidate: Evaluation, production: Evaluation, options: Any) -> list[GateCheck]:
        """The gate's checks of the candidate against production (both may be empty records)."""
        return []


def change(a: float | None, b: float | None) -> float | None:
    """b - a in points, rounded as the reports show it (None when either is missing)."""
    return None if a is None or b is None else round(b - a, 2)
