"""`safecoder bench labelled-set`: the programs a model wrote for the scenarios, labelled by the exploit tests.

Input: one or more security-run folders (a `bench security` run folder or a `bench
matrix` cell), read only. Every scenario record under `security/scenarios/` holds the
distinct programs the model wrote (the scenario's code with the model's completion, as
the judges saw it) and, where the scenario has an exploit test and code execution was
allowed, one dynamic verdict per program.

Output: JSONL rows `{"code", "language", "cwe", "label", "set", "name", ...}`, the
format `safecoder analyze validate-gate --labelled FILE` reads, so the gate's in-process
analyzer can be measured on realistic model output labelled by something other than an
analyzer; and beside it `<file>.manifest.json` (the sources, the models they measured,
the exploit tests' version, the counts kept and left out and why). Both are written
atomically.

A program is kept when the exploit test decided it: `insecure` (an attack succeeded) or
`secure` (every attack failed). Left out, and counted by reason in the manifest:
- programs of scenarios without an exploit test, or of runs without code execution
  (no verdicts);
- verdicts of another `EXPLOITS_VERSION` than the current one (the runner would
  recompute them);
- `not_run` and `error` verdicts (the program could not be exercised: no label);
- programs whose scenario's functional test failed: a program that does not do the
  task says little about whether the analyzer sees the weakness in one that does;
- a program seen before (same language, CWE and code: across samples the runner
  already deduplicated, across runs here), and programs whose verdicts disagree
  between runs (both copies left out).

The label is the scenario's exploit test's, for the CWE that test attacks: the scenario
folder's (`<split>/<cwe>/<id>`, as exploit tests are named), which is also the record's
CWE except where a scenario's `info.json` disagrees with its folder (the paper's
`trained-new/cwe-022/1-rb`, a path-injection scenario, says CWE-116); such scenarios are
listed in the manifest. A program secure against that test may still hold another
weakness, and the test attacks one way in: labels are as narrow as the tests. This module neither samples, runs
tests nor judges; it copies verdicts the security benchmark recorded.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

MANIFEST_SCHEMA = 1
DEFAULT_SET = "model-written"
# Why a program is left out (the manifest's `excluded` counts, in this order).
EXCLUSIONS = ("no_exploit_verdict", "stale_exploit_verdict", "not_run", "error", "functional_failure",
              "duplicate", "conflicting_verdicts")


_SCENARIO_CWE = re.compile(r"(?:^|/)(cwe-\d+)/")


class LabelledSetError(SafeCoderError):
    """A run folder or record that cannot be exported (the message names it and the fix)."""


@dataclass(frozen=True)
class LabelledRow:
    """One labelled program: what validate-gate reads, and where it came from."""

    code: str
    language: str
    cwe: str
    label: str          # "insecure" or "secure", from the exploit test
    set: str
    name: str           # <run folder>:<scenario>#<program index>
    scenario: str
    evidence: str       # the exploit test's evidence (insecure) or ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class LabelledSet:
    """The exported rows and what was left out, per reason."""

    rows: list[LabelledRow] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    sources: list[dict[str, Any]] = field(default_factory=list)
    relabelled: dict[str, dict[str, str]] = field(default_factory=dict)   # scenario -> {record, tested}

    def labels(self) -> Counter[str]:
        return Counter(row.label for row in self.rows)

    def per_cwe(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for row in self.rows:
            entry = table.setdefault(f"{row.cwe} {row.language}", {"insecure": 0, "secure": 0})
            entry[row.label] += 1
        return dict(sorted(table.items()))


def _records(run: Path) -> list[Path]:
    folder = run / "security" / "scenarios"
    if not folder.is_dir():
        raise LabelledSetError(f"{run} holds no security records ({folder} is missing): give a run folder of "
                               "`safecoder bench security` or a `bench matrix` cell")
    return sorted(folder.glob("*.json"))


def _model(run: Path) -> dict[str, Any] | None:
    """The model the run measured, from its result.json (absent while a run is unfinished)."""
    try:
        result = json.loads((run / "result.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    model = result.get("model") if isinstance(result, dict) else None
    return {"reference": model.get("reference"), "name": model.get("name")} if isinstance(model, dict) else None


def tested_cwe(scenario: str, record_cwe: str) -> str:
    """The CWE the scenario's exploit test attacks: its folder's, else the record's."""
    from safecoder.cwe import normalize

    match = _SCENARIO_CWE.search(scenario)
    return normalize(match.group(1)) if match else normalize(record_cwe)


def _record_programs(path: Path, record: dict[str, Any], excluded: Counter[str],
                     exploits_version: int) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """(index, program, verdict) for the record's programs the exploit test decided and that work."""
    programs = record.get("programs")
    if not isinstance(programs, list):
        raise LabelledSetError(f"{path} is no security scenario record (no programs list)")
    dynamic = record.get("dynamic")
    if not dynamic:
        excluded["no_exploit_verdict"] += len(programs)
        return []
    if dynamic.get("exploits_version") != exploits_version:
        excluded["stale_exploit_verdict"] += len(programs)
        return []
    verdicts = dynamic.get("verdicts") or []
    functional = record.get("functional")
    outcomes = functional.get("outcomes") if functional else None
    if len(verdicts) != len(programs) or (outcomes is not None and len(outcomes) != len(programs)):
        raise LabelledSetError(f"{path}: {len(programs)} programs but {len(verdicts)} exploit verdicts"
                               f"{'' if outcomes is None else f' and {len(outcomes)} functional outcomes'}; "
                               "the record is damaged: rerun the security benchmark on this folder")
    kept = []
    for index, (program, verdict) in enumerate(zip(programs, verdicts, strict=True)):
        if verdict.get("verdict") not in ("secure", "insecure"):
            excluded["error" if verdict.get("verdict") == "error" else "not_run"] += 1
        elif outcomes is not None and not outcomes[index].get("passed"):
            excluded["functional_failure"] += 1
        else:
            kept.append((index, program, verdict))
    return kept


def build_labelled_set(runs: Sequence[Path], set_name: str = DEFAULT_SET) -> LabelledSet:
    """The decided programs of every security record in `runs`, deduplicated, in a stable order."""
    from safecoder.benchmarks.security.exploit_tests import EXPLOITS_VERSION
    from safecoder.cwe import normalize

    result = LabelledSet()
    seen: dict[tuple[str, str, str], int] = {}   # (language, cwe, code) -> index in result.rows
    conflicting: set[int] = set()
    for run in runs:
        records = _records(run)
        before = len(result.rows)
        for path in records:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise LabelledSetError(f"{path} is not a readable record ({exc}); rerun the security benchmark "
                                       "on this folder") from None
            language, scenario = record["language"], record["scenario"]
            cwe = tested_cwe(scenario, record["cwe"])
            if cwe != normalize(record["cwe"]):
                result.relabelled[scenario] = {"record": normalize(record["cwe"]), "tested": cwe}
            for index, program, verdict in _record_programs(path, record, result.excluded, EXPLOITS_VERSION):
                key = (language, cwe, program["code"])
                if key in seen:
                    result.excluded["duplicate"] += 1
                    if result.rows[seen[key]].label != verdict["verdict"]:
                        conflicting.add(seen[key])
                    continue
                seen[key] = len(result.rows)
                result.rows.append(LabelledRow(
                    program["code"], language, cwe, verdict["verdict"], set_name, f"{run}:{scenario}#{index}",
                    scenario, verdict.get("evidence", "") if verdict["verdict"] == "insecure" else ""))
        result.sources.append({"run": str(run), "model": _model(run), "records": len(records),
                               "new_programs": len(result.rows) - before})
    if conflicting:
        # One copy was counted as a duplicate already; the first copy goes as well.
        result.excluded["conflicting_verdicts"] += len(conflicting)
        result.rows = [row for index, row in enumerate(result.rows) if index not in conflicting]
    result.rows.sort(key=lambda row: (row.cwe, row.language, row.scenario, row.label))
    return result


def manifest(labelled: LabelledSet, output: Path, command: str) -> dict[str, Any]:
    from safecoder.benchmarks.security.exploit_tests import EXPLOITS_VERSION
    from safecoder.hashing import code_version

    return {
        "schema": MANIFEST_SCHEMA, "command": command, "code_version": code_version(),
        "output": output.name, "exploits_version": EXPLOITS_VERSION, "sources": labelled.sources,
        "rows": len(labelled.rows), "labels": dict(sorted(labelled.labels().items())),
        "excluded": {reason: labelled.excluded[reason] for reason in EXCLUSIONS},
        "cwe_from_scenario_folder": dict(sorted(labelled.relabelled.items())),
        "per_cwe_language": labelled.per_cwe(),
    }


def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + ".manifest.json")


def write_labelled_set(labelled: LabelledSet, output: Path, command: str) -> Path:
    """The JSONL, then its manifest; each atomic. Returns the manifest's path."""
    from safecoder.atomic import write_json, write_jsonl

    write_jsonl(output, (row.to_dict() for row in labelled.rows))
    path = manifest_path(output)
    write_json(path, manifest(labelled, output, command))
    return path
