"""`safecoder analyze validate-gate`: how much of what is really insecure the gate's analyzer sees.

The server's security gate and the language server judge code with the in-process path
(`analyze_snippet`: tree-sitter and the twins of the Semgrep rules). This command
measures that path, per CWE, on programs labelled insecure or secure by something other
than the analyzer itself:

- `realistic`: programs in the style a code model writes for security-relevant tasks
  (a whole small function or Flask/Express handler), written for this check and
  labelled by hand from the weakness's definition (`tests/analysis/gate_programs/`,
  named `<cwe>-<what>-<insecure|secure>.<ext>`);
- `pairs`: the shared security pairs, the vulnerable function as insecure and its fix
  as secure (fragments wrapped into parseable files by `fragments`);
- any JSONL given with `--labelled FILE` (repeatable): rows `{"code", "language", "cwe",
  "label": "insecure"|"secure"}` with an optional `"set"` naming the row's group (default:
  the file's stem). This is the hook for programs the default model writes, labelled by
  the security benchmark's dynamic exploit tests.

Per (set, CWE), and per (set, language): recall (insecure programs with a finding of the
CWE's family), false alarms (secure programs with a finding of the family) and secure
programs with any finding at all (what a gate that blocks on every finding would stop). Families join the
CWEs that name one weakness in different taxonomies (`FAMILIES`): a labeller's CWE-760
is the rules' CWE-916, a CyberSecEval CWE-328 is CWE-327. Programs that do not parse
are counted as unjudged, never as secure or insecure.

Printed as a table; `--output docs/analysis.md` rewrites the section between the
`validate-gate` markers. This module decides nothing about what is insecure: the labels
and the rules do.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

START_MARKER = "<!-- validate-gate:start -->"
END_MARKER = "<!-- validate-gate:end -->"
TARGET_RECALL = 0.70
TARGET_FALSE_ALARMS = 0.05
LABELS = ("insecure", "secure")

# CWEs that name the same weakness: a finding of any member counts for a label of any member.
FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"CWE-022", "CWE-023", "CWE-036", "CWE-073"}),
    frozenset({"CWE-077", "CWE-078"}),
    frozenset({"CWE-094", "CWE-095"}),
    frozenset({"CWE-327", "CWE-328", "CWE-759", "CWE-760", "CWE-916"}),
    frozenset({"CWE-400", "CWE-730", "CWE-1333"}),
)
_PROGRAM_NAME = re.compile(r"^(?P<cwe>cwe-\d+)-.+-(?P<label>insecure|secure)$")


class GateValidationError(SafeCoderError):
    """A labelled program or file that cannot be used (the message names it and the fix)."""


@dataclass(frozen=True)
class LabelledProgram:
    code: str
    language: str
    cwe: str
    label: str   # "insecure" or "secure"
    set: str     # the group it is reported in: realistic, pairs, or a JSONL's name
    name: str


@dataclass
class GateStats:
    insecure: int = 0
    insecure_flagged: int = 0
    secure: int = 0
    secure_flagged: int = 0       # a finding of the label's CWE family
    secure_flagged_any: int = 0   # any finding at all
    unjudged: int = 0

    def add(self, other: GateStats) -> None:
        for name in ("insecure", "insecure_flagged", "secure", "secure_flagged", "secure_flagged_any", "unjudged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def recall(self) -> float | None:
        return self.insecure_flagged / self.insecure if self.insecure else None

    @property
    def false_alarms(self) -> float | None:
        return self.secure_flagged / self.secure if self.secure else None

    @property
    def false_alarms_any(self) -> float | None:
        return self.secure_flagged_any / self.secure if self.secure else None


def family(cwe: str) -> frozenset[str]:
    from safecoder.cwe import normalize

    cwe = normalize(cwe)
    return next((members for members in FAMILIES if cwe in members), frozenset({cwe}))


def default_programs_dir() -> Path | None:
    """The hand-labelled programs of the repository (`tests/analysis/gate_programs`), when present."""
    folder = Path(__file__).resolve().parents[2] / "tests" / "analysis" / "gate_programs"
    return folder if folder.is_dir() else None


def realistic_programs(folder: Path) -> list[LabelledProgram]:
    from safecoder.cwe import normalize
    from safecoder.languages import maybe_language_of

    programs = []
    for path in sorted(folder.iterdir()):
        language = maybe_language_of(path.name)
        if not path.is_file() or language is None:
            continue
        match = _PROGRAM_NAME.match(path.stem)
        if match is None:
            raise GateValidationError(f"{path}: name it <cwe>-<what>-<insecure|secure>.<ext>, "
                                      "e.g. cwe-079-greeting-insecure.py")
        programs.append(LabelledProgram(path.read_text(encoding="utf-8"), language.id, normalize(match["cwe"]),
                                        match["label"], "realistic", path.name))
    return programs


def pair_programs(data_dir: Path) -> list[LabelledProgram]:
    from safecoder.analysis.fragments import wrap_fragment
    from safecoder.analysis.validate import load_pairs

    pairs, _ = load_pairs(data_dir)
    programs = []
    for pair in pairs:
        for label, code in (("insecure", pair.vulnerable_code), ("secure", pair.secure_code)):
            text = wrap_fragment(code, pair.language, f"x.{_extension(pair.language)}").text
            programs.append(LabelledProgram(text, pair.language, pair.cwe, label, "pairs", f"{pair.id}-{label}"))
    return programs


def _extension(language: str) -> str:
    from safecoder.languages import get

    return get(language).default_extension


def jsonl_programs(path: Path) -> list[LabelledProgram]:
    """Rows `{code, language, cwe, label[, set, name]}`; the hook for programs labelled by exploit tests."""
    from safecoder.cwe import normalize
    from safecoder.languages import language_of

    if not path.is_file():
        raise GateValidationError(f"--labelled {path}: no such file; give a JSONL of "
                                  '{"code", "language", "cwe", "label"} rows')
    programs = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                label = row["label"]
                if label not in LABELS:
                    raise ValueError(f"label {label!r} is not one of {LABELS}")
                programs.append(LabelledProgram(row["code"], language_of(row["language"]).id, normalize(row["cwe"]),
                                                label, row.get("set", path.stem), row.get("name", f"{path.name}:{number}")))
            except (KeyError, ValueError, TypeError, SafeCoderError) as exc:
                raise GateValidationError(f"{path}:{number}: {exc}; each row needs code, language, cwe and "
                                          "label (insecure or secure)") from None
    return programs


def judge(programs: Iterable[LabelledProgram], progress: bool = False):
    """(program, AnalysisResult) for each program, judged by the gate's in-process path."""
    from safecoder.analysis.snippet import analyze_snippet

    programs = list(programs)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(programs), desc="judging labelled programs", unit="program")
    judged = []
    for program in programs:
        judged.append((program, analyze_snippet(program.code, program.language, name=program.name)))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return judged


def summarise(judged, by: str = "cwe") -> dict[tuple[str, str], GateStats]:
    """Stats per (set, CWE), or per (set, language) with `by="language"`."""
    if by not in ("cwe", "language"):
        raise ValueError(f"summarise by cwe or language, not {by!r}")
    stats: dict[tuple[str, str], GateStats] = defaultdict(GateStats)
    for program, result in judged:
        entry = stats[(program.set, getattr(program, by))]
        if result.status != "ok":
            entry.unjudged += 1
            continue
        members = family(program.cwe)
        flagged = any(finding.cwe in members for finding in result.findings)
        if program.label == "insecure":
            entry.insecure += 1
            entry.insecure_flagged += flagged
        else:
            entry.secure += 1
            entry.secure_flagged += flagged
            entry.secure_flagged_any += bool(result.findings)
    return dict(sorted(stats.items()))


def totals(stats: dict[tuple[str, str], GateStats]) -> dict[str, GateStats]:
    result: dict[str, GateStats] = defaultdict(GateStats)
    for (set_name, _), entry in stats.items():
        result[set_name].add(entry)
    return dict(result)


def _rate(value: float | None, numerator: int, denominator: int) -> str:
    return "-" if value is None else f"{value:.0%} ({numerator}/{denominator})"


def render_markdown(stats: dict[tuple[str, str], GateStats], provenance: dict,
                    languages: dict[tuple[str, str], GateStats] | None = None) -> str:
    lines = [START_MARKER, "",
             f"Generated by `{provenance['command']}` (rules `{provenance['rules_version']}`, in-process "
             f"path `analyze_snippet`). Goal on realistic output: recall >= {TARGET_RECALL:.0%} with <= "
             f"{TARGET_FALSE_ALARMS:.0%} of secure programs flagged. A finding counts when its CWE is in the "
             "label's family (CWE-916 = 327/328/759/760, CWE-1333 = 400/730, CWE-095 = 094, CWE-022 = 023/036/073).",
             "",
             "| set | CWE | recall (insecure flagged) | false alarms (same CWE) | secure with any finding | unjudged |",
             "|---|---|---|---|---|---|"]
    summed = totals(stats)
    for set_name in sorted(summed, key=lambda name: (name != "realistic", name)):
        for (row_set, cwe), entry in stats.items():
            if row_set == set_name:
                lines.append(_row(set_name, cwe, entry))
        lines.append(_row(set_name, "**all**", summed[set_name]))
    if languages:
        lines += ["", "The same per language:", "",
                  "| set | language | recall (insecure flagged) | false alarms (same CWE) | secure with any finding "
                  "| unjudged |", "|---|---|---|---|---|---|"]
        for set_name in sorted(summed, key=lambda name: (name != "realistic", name)):
            lines += [_row(row_set, language, entry) for (row_set, language), entry in languages.items()
                      if row_set == set_name]
    lines += ["", END_MARKER]
    return "\n".join(lines) + "\n"


def _row(set_name: str, cwe: str, entry: GateStats) -> str:
    return (f"| {set_name} | {cwe} | {_rate(entry.recall, entry.insecure_flagged, entry.insecure)} | "
            f"{_rate(entry.false_alarms, entry.secure_flagged, entry.secure)} | "
            f"{_rate(entry.false_alarms_any, entry.secure_flagged_any, entry.secure)} | {entry.unjudged} |")


def run_from_cli(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from safecoder.analysis.ruleset import rules_version
    from safecoder.analysis.validate import update_document
    from safecoder.paths import shared_data_dir

    programs: list[LabelledProgram] = []
    folder = default_programs_dir()
    if folder is not None:
        programs += realistic_programs(folder)
    data_dir = Path(args.paths[1]) if len(args.paths) > 1 else shared_data_dir()
    if data_dir is not None and not getattr(args, "no_pairs", False):
        programs += pair_programs(Path(data_dir))
    for path in getattr(args, "labelled", None) or ():
        programs += jsonl_programs(Path(path))
    if not programs:
        raise GateValidationError("no labelled programs: pass the shared data folder or --labelled FILE.jsonl")
    judged = judge(programs, progress=len(programs) > 200)
    stats, languages = summarise(judged), summarise(judged, by="language")
    command = "safecoder analyze validate-gate" + (" --no-pairs" if getattr(args, "no_pairs", False) else "") + \
        "".join(f" --labelled {path}" for path in args.labelled or ())
    table = Table(title=f"The gate's in-process analyzer on labelled programs ({rules_version()})")
    for column in ("set", "CWE", "recall", "false alarms (CWE)", "secure with any finding", "unjudged"):
        table.add_column(column)
    summed = totals(stats)
    for set_name in sorted(summed, key=lambda name: (name != "realistic", name)):
        for (row_set, cwe), entry in stats.items():
            if row_set == set_name:
                table.add_row(*_cells(set_name, cwe, entry))
        table.add_row(*_cells(set_name, "all", summed[set_name]))
    Console().print(table)
    by_language = Table(title="The same per language")
    for column in ("set", "language", "recall", "false alarms (CWE)", "secure with any finding", "unjudged"):
        by_language.add_column(column)
    for set_name in sorted(summed, key=lambda name: (name != "realistic", name)):
        for (row_set, language), entry in languages.items():
            if row_set == set_name:
                by_language.add_row(*_cells(set_name, language, entry))
    Console().print(by_language)
    if args.output is not None:
        update_document(Path(args.output), render_markdown(stats, {"command": command,
                                                                    "rules_version": rules_version()}, languages),
                        START_MARKER, END_MARKER)
        print(f"wrote the table to {args.output}")
    return 0


def _cells(set_name: str, cwe: str, entry: GateStats) -> tuple[str, ...]:
    return (set_name, cwe, _rate(entry.recall, entry.insecure_flagged, entry.insecure),
            _rate(entry.false_alarms, entry.secure_flagged, entry.secure),
            _rate(entry.false_alarms_any, entry.secure_flagged_any, entry.secure), str(entry.unjudged))
