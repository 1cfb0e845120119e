"""The unit of parallel work: verify and extract a batch of candidate commits of one repository.

Input: a `WorkBatch` (a local repository path, candidate commits with their parent,
candidate CWEs and source files, and the settings that matter). Output: one
`CommitOutcome` per commit: dropped with the stage and the reason, or kept with its
`SecurityPair` rows (JSON-ready dicts, without instructions).

A batch reads every file version through one persistent `git cat-file` process, and
analyses all of them in one call to `safecoder.analysis.analyze_sources` (one analyzer
start per batch, not per commit). With `whole_repository` (CodeQL), each version's whole
tree is exported with `git archive` and analysed with `analyze_files`. Both executors
(`safecoder.collector.executors`) run `process_batch` unchanged: it is a plain, picklable
function with plain, picklable inputs and outputs, and it writes nothing.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safecoder import languages
from safecoder.collector import extract, git_repos
from safecoder.collector.verify import FileJudgement, analyzer_versions, judge_fix
from safecoder.data.records import Provenance, SecurityPair

logger = logging.getLogger(__name__)

UNREADABLE = "source not readable"
NO_CHANGED_FUNCTION = "no changed function"
OUTSIDE_FUNCTIONS = "findings outside changed functions"


@dataclass(frozen=True)
class WorkItem:
    sha: str
    parent: str
    message: str
    cwes: tuple[str, ...]
    files: tuple[str, ...]


@dataclass(frozen=True)
class TaskSettings:
    analyzers: tuple[str, ...] = ()
    whole_repository: bool = False
    analysis_timeout_s: float = 600.0
    max_file_bytes: int = 1_000_000
    pair_functions: str = "flagged"
    source_kind: str = "repos"
    keywords_version: str = ""


@dataclass(frozen=True)
class WorkBatch:
    repository: str  # the label outputs use
    repo_path: str  # a local clone
    items: tuple[WorkItem, ...]
    settings: TaskSettings


@dataclass
class CommitOutcome:
    sha: str
    kept: bool
    stage: str  # "verify" or "extract"
    reason: str = ""
    detail: str = ""
    fixed_cwes: tuple[str, ...] = ()
    pairs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Versions:
    item: WorkItem
    files: list[tuple[str, str, str | None, str | None]]  # path, language, before, after
    problem: str = ""


def process_batch(batch: WorkBatch) -> list[CommitOutcome]:
    """Verify and extract every commit of the batch; never raises for one bad commit."""
    repo = git_repos.open_repository(batch.repo_path)
    try:
        versions = [_read_versions(repo, item, batch.settings.max_file_bytes) for item in batch.items]
    finally:
        repo.close()
    judgements = _analyse(batch, versions)
    outcomes = []
    for version in versions:
        if version.problem:
            outcomes.append(CommitOutcome(version.item.sha, False, "verify", UNREADABLE, version.problem))
            continue
        outcomes.append(_outcome(batch, version, judgements[version.item.sha]))
    return outcomes


def _read_versions(repo, item: WorkItem, max_bytes: int) -> _Versions:
    files = []
    for path in item.files:
        language = languages.language_of(path).id
        texts = []
        for rev in (item.parent, item.sha):
            data = git_repos.read_blob(repo, rev, path)
            if data is None:
                texts.append(None)
                continue
            if len(data) > max_bytes:
                return _Versions(item, [], f"{path} at {rev[:12]} is {len(data)} bytes (max_file_bytes {max_bytes})")
            try:
                texts.append(data.decode("utf-8"))
            except UnicodeDecodeError:
                return _Versions(item, [], f"{path} at {rev[:12]} is not UTF-8 text")
        files.append((path, language, texts[0], texts[1]))
    return _Versions(item, files)


def _analyse(batch: WorkBatch, versions: list[_Versions]) -> dict[str, list[FileJudgement]]:
    """Analysis results per commit and file, from as few analyzer runs as possible."""
    from safecoder.analysis import SourceInput, analyze_files, analyze_sources

    settings = batch.settings
    options: dict[str, Any] = {"timeout_s": settings.analysis_timeout_s}
    if settings.analyzers:
        options["analyzers"] = list(settings.analyzers)
    judgements: dict[str, list[FileJudgement]] = {}
    if settings.whole_repository:
        for version in versions:
            if not version.problem:
                judgements[version.item.sha] = _analyse_trees(batch, version, analyze_files, options)
        return judgements
    sources: list[SourceInput] = []
    slots: list[tuple[str, int, int]] = []  # commit, file index, 0 = before / 1 = after
    for version in versions:
        if version.problem:
            continue
        for index, (path, language, before, after) in enumerate(version.files):
            for side, text in ((0, before), (1, after)):
                if text is not None:
                    sources.append(SourceInput(code=text, language=language, name=path))
                    slots.append((version.item.sha, index, side))
    results = analyze_sources(sources, **options) if sources else []
    by_slot = dict(zip(slots, results, strict=True))
    for version in versions:
        if version.problem:
            continue
        sha = version.item.sha
        judgements[sha] = [
            FileJudgement(path, language, by_slot.get((sha, index, 0)), by_slot.get((sha, index, 1)))
            for index, (path, language, _, _) in enumerate(version.files)
        ]
    return judgements


def _analyse_trees(batch: WorkBatch, version: _Versions, analyze_files, options: dict[str, Any]) -> list[FileJudgement]:
    """Whole-tree analysis of both versions (CodeQL needs the whole project)."""
    repo = git_repos.open_repository(batch.repo_path)
    try:
        with tempfile.TemporaryDirectory(prefix="safecoder-collect-") as scratch:
            roots = {}
            for side, rev in (("before", version.item.parent), ("after", version.item.sha)):
                roots[side] = git_repos.export_tree(repo, rev, Path(scratch) / side)
            results = {}
            for side, root in roots.items():
                files = sorted(p for p in root.rglob("*") if p.is_file() and languages.maybe_language_of(p.name))
                analysed = analyze_files(files, **options) if files else []
                results[side] = {p.relative_to(root).as_posix(): r for p, r in zip(files, analysed, strict=True)}
    finally:
        repo.close()
    return [
        FileJudgement(path, language, results["before"].get(path) if before is not None else None,
                      results["after"].get(path) if after is not None else None)
        for path, language, before, after in version.files
    ]


def _outcome(batch: WorkBatch, version: _Versions, files: list[FileJudgement]) -> CommitOutcome:
    item = version.item
    verdict = judge_fix(files, item.cwes)
    if not verdict.is_fix:
        return CommitOutcome(item.sha, False, "verify", verdict.reason, verdict.detail)
    analyzers = analyzer_versions(files)
    texts = {path: (before, after) for path, _, before, after in version.files}
    changed_by_file = {}
    for j in files:
        before, after = texts[j.path]
        if before is not None and after is not None:  # an added or deleted file has no function pairs
            changed_by_file[j.path] = extract.changed_functions(before, after, j.language, j.path)
    any_changed = any(changed_by_file.values())
    pairs: list[dict[str, Any]] = []
    for cwe_id in verdict.fixed:
        for judgement in files:
            changed = changed_by_file.get(judgement.path, [])
            flagged_lines = [f.start_line for f in judgement.findings_before(cwe_id)]
            for pair in changed:
                start, end = pair.before_lines
                holds_finding = any(start <= line <= end for line in flagged_lines)
                if batch.settings.pair_functions == "flagged" and not holds_finding:
                    continue
                pairs.append(_pair_row(batch, item, judgement, pair, cwe_id, analyzers).to_dict())
    if not pairs:
        reason = OUTSIDE_FUNCTIONS if any_changed else NO_CHANGED_FUNCTION
        return CommitOutcome(item.sha, False, "extract", reason, ", ".join(verdict.fixed), verdict.fixed)
    return CommitOutcome(item.sha, True, "extract", fixed_cwes=verdict.fixed, pairs=pairs)


def _pair_row(batch: WorkBatch, item: WorkItem, judgement: FileJudgement, pair: extract.FunctionPair,
              cwe_id: str, analyzers: dict[str, str]) -> SecurityPair:
    provenance = Provenance(
        source=f"safecoder collect ({batch.settings.source_kind})",
        repository=batch.repository,
        commit=item.sha,
        parent_commit=item.parent,
        file=judgement.path,
        function=pair.name,
        commit_message=item.message,
        findings_before=tuple(f.to_dict() for f in judgement.findings_before()),
        findings_after=tuple(f.to_dict() for f in judgement.findings_after()),
        analyzers=analyzers,
        extra={
            "lines_before": list(pair.before_lines),
            "lines_after": list(pair.after_lines),
            "candidate_cwes": list(item.cwes),
            "keywords_version": batch.settings.keywords_version,
            "pair_functions": batch.settings.pair_functions,
        },
    )
    return SecurityPair(
        instruction="",
        secure_code=pair.after,
        vulnerable_code=pair.before,
        cwe=cwe_id,
        language=judgement.language,
        provenance=provenance,
    )


def default_workers() -> int:
    return os.cpu_count() or 1
