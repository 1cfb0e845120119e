"""Counts of a data set by (CWE, language): what `safecoder data stats` prints.

Files are grouped into data sets: a folder of per-CWE files (`sven/train/cwe-*.jsonl`)
is one set; any other file is a set of its own. Each set gets a table with CWEs as rows
and languages as columns; instruction data is counted per file. Malformed rows are
listed with file, line and reason.
"""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field
from pathlib import Path

from safecoder import languages
from safecoder.data.loaders import RowError, data_files, iter_rows, load_records, row_kind
from safecoder.data.scenarios import load_scenario


@dataclass
class DatasetCounts:
    name: str
    pairs_by_class: collections.Counter = field(default_factory=collections.Counter)
    pairs_without_instruction: int = 0
    instructions: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def pairs(self) -> int:
        return sum(self.pairs_by_class.values())

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "files": self.files,
            "security_pairs": self.pairs,
            "pairs_without_instruction": self.pairs_without_instruction,
            "instructions": self.instructions,
            "by_cwe_and_language": [
                {"cwe": cwe, "language": language, "count": count}
                for (cwe, language), count in sorted(self.pairs_by_class.items())
            ],
        }


@dataclass
class Stats:
    datasets: list[DatasetCounts]
    errors: list[RowError]
    scenarios: collections.Counter = field(default_factory=collections.Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "datasets": [d.to_dict() for d in self.datasets],
            "totals": {
                "security_pairs": sum(d.pairs for d in self.datasets),
                "instructions": sum(d.instructions for d in self.datasets),
                "malformed_rows": len(self.errors),
                "scenarios": sum(self.scenarios.values()),
            },
            "scenarios": [
                {"split": split, "cwe": cwe, "language": language, "count": count}
                for (split, cwe, language), count in sorted(self.scenarios.items())
            ],
            "skipped_files": [{"file": f, "reason": r} for f, r in self.skipped],
            "errors": [str(e) for e in self.errors],
        }


def dataset_name(file: Path, root: Path) -> str:
    """Per-CWE files share their folder's set; other files are sets named by their path."""
    base = root if root.is_dir() else root.parent
    relative = file.relative_to(base) if file.is_relative_to(base) else file
    if file.stem.lower().startswith("cwe-"):
        parent = relative.parent
        return parent.as_posix() if parent.as_posix() != "." else base.name
    return relative.with_suffix("").as_posix()


def compute(paths: list[str | os.PathLike]) -> Stats:
    """Counts for files and folders; inside folders, files of other formats are skipped and listed."""
    datasets: dict[str, DatasetCounts] = {}
    errors: list[RowError] = []
    scenario_counts: collections.Counter = collections.Counter()
    skipped: list[tuple[str, str]] = []
    for path in paths:
        root = Path(path)
        scenario_folders = set()
        if root.is_dir():
            for info in sorted(root.rglob("info.json")):
                scenario = load_scenario(info.parent, root)
                scenario_counts[(scenario.split or root.name, scenario.cwe, scenario.language)] += 1
                scenario_folders.add(info.parent)
        for file in data_files(root):
            if file.parent in scenario_folders:
                continue
            if root.is_dir() and not _looks_like_records(file):
                skipped.append((str(file), "not a security-pair or instruction format"))
                continue
            name = dataset_name(file, root)
            counts = datasets.setdefault(name, DatasetCounts(name))
            counts.files.append(str(file))
            pairs, samples = load_records(file)
            errors.extend(pairs.errors + samples.errors)
            for pair in pairs.records:
                counts.pairs_by_class[pair.class_key] += 1
                counts.pairs_without_instruction += not pair.has_instruction
            counts.instructions += len(samples.records)
    return Stats(list(datasets.values()), errors, scenario_counts, skipped)


def _looks_like_records(file: Path) -> bool:
    """Whether a file's first row is in a record format (used only when walking folders)."""
    for _, row in iter_rows(file):
        return isinstance(row, dict) and row_kind(row) is not None
    return False


def render(stats: Stats, console) -> None:
    """Print the tables with rich."""
    from rich.table import Table

    summary = Table(title="Data sets", show_lines=False)
    for column in ("data set", "files", "security pairs", "without instruction", "instructions"):
        summary.add_column(column, justify="left" if column == "data set" else "right")
    for d in stats.datasets:
        summary.add_row(d.name, str(len(d.files)), f"{d.pairs:,}", f"{d.pairs_without_instruction:,}", f"{d.instructions:,}")
    summary.add_row(
        "[bold]total[/bold]", str(sum(len(d.files) for d in stats.datasets)),
        f"[bold]{sum(d.pairs for d in stats.datasets):,}[/bold]",
        f"{sum(d.pairs_without_instruction for d in stats.datasets):,}",
        f"[bold]{sum(d.instructions for d in stats.datasets):,}[/bold]",
    )
    console.print(summary)
    language_order = [language.id for language in languages.LANGUAGES]
    for d in stats.datasets:
        if not d.pairs:
            continue
        present = [lang for lang in language_order if any(lang == key[1] for key in d.pairs_by_class)]
        console.print(f"\n[bold]{d.name}[/bold]: {d.pairs:,} security pairs by CWE and language", highlight=False)
        table = Table()
        table.add_column("CWE")
        for lang in present:
            table.add_column(languages.get(lang).display_name, justify="right")
        table.add_column("total", justify="right")
        for cwe in sorted({key[0] for key in d.pairs_by_class}):
            row = [d.pairs_by_class.get((cwe, lang), 0) for lang in present]
            table.add_row(cwe, *[str(n) if n else "·" for n in row], str(sum(row)))
        totals = [sum(n for (c, lang), n in d.pairs_by_class.items() if lang == lang_id) for lang_id in present]
        table.add_row("[bold]total[/bold]", *[str(n) for n in totals], f"[bold]{d.pairs}[/bold]")
        console.print(table)
    if stats.scenarios:
        splits = sorted({key[0] for key in stats.scenarios})
        present = [lang for lang in language_order if any(lang == key[2] for key in stats.scenarios)]
        console.print(f"\n[bold]Evaluation scenarios[/bold]: {sum(stats.scenarios.values())} by split and language",
                      highlight=False)
        table = Table()
        table.add_column("split")
        table.add_column("CWEs", justify="right")
        for lang in present:
            table.add_column(languages.get(lang).display_name, justify="right")
        table.add_column("total", justify="right")
        for split in splits:
            row = [sum(n for (s, _, lang), n in stats.scenarios.items() if s == split and lang == lang_id) for lang_id in present]
            cwes = len({c for (s, c, _) in stats.scenarios if s == split})
            table.add_row(split, str(cwes), *[str(n) if n else "·" for n in row], str(sum(row)))
        console.print(table)
    if stats.skipped:
        console.print(f"[dim]{len(stats.skipped)} files skipped (other formats): "
                      + ", ".join(Path(f).name for f, _ in stats.skipped[:6])
                      + (" ..." if len(stats.skipped) > 6 else "") + "[/dim]")
    if stats.errors:
        console.print(f"[red]{len(stats.errors)} malformed rows[/red] (file:line: reason):")
        for error in stats.errors:
            console.print(f"  {error}", markup=False, highlight=False)
