"""The collector's tables: commits kept and dropped per stage, and what a pair file holds.

Input: a pipeline state (`safecoder.collector.state`), a run's summary, or a pair file.
Output: `rich` tables for the terminal and plain dicts for JSON. Nothing here computes
or writes results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table

from safecoder.collector.curate import CurationReport
from safecoder.collector.state import StageCount
from safecoder.data.records import SecurityPair

if TYPE_CHECKING:
    from rich.console import JustifyMethod

STAGE_TITLES = {
    "fetch": "fetch metadata",
    "filter": "keyword + size filter",
    "verify": "static analysis before/after",
    "extract": "changed functions",
}


def stage_table(stages: Sequence[StageCount], curation: CurationReport | None = None,
                instructions: dict[str, Any] | None = None, top_reasons: int = 4) -> Table:
    table = Table(title="collector: commits per stage")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("stage", "left"), ("in", "right"), ("kept", "right"), ("dropped", "right"), ("pending", "right"),
        ("why dropped", "left"))
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for stage in stages:
        if stage.stage == "fetch" and not (stage.dropped or stage.pending):
            continue
        reasons = ", ".join(f"{reason} {count}" for reason, count in stage.reasons.most_common(top_reasons))
        if len(stage.reasons) > top_reasons:
            reasons += f", {len(stage.reasons) - top_reasons} more"
        table.add_row(STAGE_TITLES[stage.stage], str(stage.entered), str(stage.kept), str(stage.dropped),
                      str(stage.pending or ""), reasons)
    if curation is not None:
        extracted = curation.kept + curation.exact_duplicates + curation.near_duplicates + curation.repository_cap + curation.class_cap
        why = Counter({"exact duplicate": curation.exact_duplicates, "near duplicate": curation.near_duplicates,
                       "repository cap": curation.repository_cap, "class cap": curation.class_cap})
        table.add_row("pairs: curation", str(extracted), str(curation.kept), str(extracted - curation.kept), "",
                      ", ".join(f"{k} {v}" for k, v in why.items() if v))
    if instructions is not None:
        asked = instructions["written"] + instructions["failed"]
        table.add_row("pairs: instructions", str(asked + instructions["already_had"]),
                      str(instructions["written"] + instructions["already_had"]), str(instructions["failed"]), "",
                      "check failed twice or endpoint error" if instructions["failed"] else "")
    return table


def pairs_table(pairs: Sequence[SecurityPair]) -> Table:
    """Pairs and instructions per (CWE, language) class."""
    counts = Counter(p.class_key for p in pairs)
    with_instruction = Counter(p.class_key for p in pairs if p.has_instruction)
    table = Table(title=f"{len(pairs)} security pairs")
    for column in ("CWE", "language", "pairs", "with instruction"):
        table.add_column(column, justify="right" if column in ("pairs", "with instruction") else "left")
    for (cwe_id, language), count in sorted(counts.items()):
        table.add_row(cwe_id, language, str(count), str(with_instruction[(cwe_id, language)]))
    return table


def stages_to_dict(stages: Sequence[StageCount]) -> list[dict[str, Any]]:
    return [{"stage": s.stage, "entered": s.entered, "kept": s.kept, "dropped": s.dropped, "pending": s.pending,
             "reasons": dict(s.reasons.most_common())} for s in stages]
