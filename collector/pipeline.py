"""The collector's run: sources -> filter -> fetch -> verify + extract -> curate -> instruct -> JSONL.

Input: one or more sources (`RunInputs`), a `CollectConfig`. Output: SafeCoder JSONL
`SecurityPair`s at `out` (written atomically, sorted by repository, commit, file and
function, so equal inputs give byte-equal files), a manifest beside it
(`<out>.manifest.json`: effective configuration, inputs and their hashes, code and
keyword versions, counts per stage and curation step, instruction report), and the
state in SQLite (`<out>.state.sqlite` unless `state` is given).

Stages and their state (see `safecoder.collector.state`):
1. list + filter: every commit of every source is stored with the filter's verdict
   (stream positions are saved every `STREAM_CHUNK` rows);
2. fetch: commits known only by id (commit lists, bare pushes) get their metadata from
   their repository (cloned into the cache on demand) and are filtered on their files;
3. verify + extract: pending candidates in batches per repository on the chosen
   executor; each batch's results are stored as it finishes;
4. curate, instruct, write: recomputed from the stored pairs on every run (instructions
   come from the cache when already asked).

A run killed anywhere restarts where it stopped and writes the same output; a finished
run started again only redoes stage 4 (`RunSummary.skipped` counts the commits an
earlier run verified, `verified` those this run did). With `stop_after="filter"` the
run writes the candidate commits (in the `--commits` format) instead of pairs.

A full disk is a `RunError` naming the file and what was not written: the state keeps
every batch recorded before (SQLite rolls the failed transaction back), and the output
and its manifest are written to temporary files first and renamed only when both are
complete, so an earlier output and its manifest stay as they were, together.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from safecoder.atomic import atomic_open, write_json, write_jsonl
from safecoder.collector import git_repos, sources
from safecoder.collector.commits import CommitInfo
from safecoder.collector.config import CollectConfig, InstructConfig
from safecoder.collector.curate import CurationReport, curate
from safecoder.collector.executors import run_batches
from safecoder.collector.filter import CommitFilter, FilterDecision
from safecoder.collector.keywords import KeywordMatcher, load_keywords
from safecoder.collector.state import PipelineState, StageCount
from safecoder.collector.tasks import TaskSettings, WorkBatch, WorkItem
from safecoder.config import to_dict
from safecoder.data.records import SecurityPair
from safecoder.disk_space import out_of_space
from safecoder.errors import SafeCoderError
from safecoder.hashing import code_version, sha256_file

logger = logging.getLogger(__name__)

STREAM_CHUNK = 10_000
REPOSITORY_UNAVAILABLE = "repository unavailable"
COMMIT_NOT_FOUND = "commit not found"
MALFORMED = "malformed row"


class RunError(SafeCoderError):
    """A run that cannot start: no source, an unreadable one, a bad output path."""


@dataclass
class RunInputs:
    out: Path
    repos: Path | None = None
    commits: Path | None = None
    stream: Path | None = None
    state: Path | None = None
    fresh: bool = False
    stop_after: Literal["filter", "extract", "output"] = "output"
    clone_url: str = sources.DEFAULT_CLONE_URL
    progress: bool = True

    def __post_init__(self) -> None:
        if not (self.repos or self.commits or self.stream):
            raise RunError("give a source: --repos DIR, --commits FILE or --stream FILE")
        for name in ("repos", "commits", "stream"):
            value = getattr(self, name)
            if value is not None and not Path(value).exists():
                raise RunError(f"--{name} {value} does not exist")
        self.out = Path(self.out)
        if self.out.is_dir():
            raise RunError(f"--out {self.out} is a folder; give a file name such as {self.out / 'pairs.jsonl'}")
        self.state = self.state_file

    @property
    def state_file(self) -> Path:
        """The state database: `state` as given, else beside the output."""
        return Path(self.state) if self.state is not None else self.out.with_name(self.out.name + ".state.sqlite")


@dataclass
class RunSummary:
    out: Path
    state: Path
    stages: list[StageCount]
    written: int = 0
    curation: CurationReport | None = None
    instructions: dict[str, Any] | None = None
    resumed: bool = False
    manifest: Path | None = None
    skipped: int = 0  # commits verified by an earlier run of this state, not verified again
    verified: int = 0  # commits this run verified
    extra: dict[str, Any] = field(default_factory=dict)


def run(inputs: RunInputs, config: CollectConfig, instruct: InstructConfig) -> RunSummary:
    keywords = load_keywords(config.keywords)
    matcher = KeywordMatcher(keywords)
    commit_filter = CommitFilter(config, matcher)
    if inputs.fresh and inputs.state_file.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(inputs.state_file) + suffix).unlink(missing_ok=True)
    state = PipelineState(inputs.state_file)
    try:
        resumed = state.bind(config.pipeline_fingerprint(keywords.fingerprint), to_dict(config))
        if resumed:
            logger.info("resuming from %s", inputs.state_file)
        writer = None
        if instruct.enabled and inputs.stop_after == "output":
            from safecoder.collector.instructions import InstructionWriter

            writer = InstructionWriter(instruct, keywords.instruction_security_words)
            writer.preflight()  # fail now, not after hours of mining
        if inputs.repos:
            _list_repositories(state, commit_filter, inputs, config, inputs.repos)
        if inputs.commits:
            _list_commit_file(state, inputs.commits)
        if inputs.stream:
            _list_stream(state, commit_filter, inputs, inputs.stream)
        if inputs.stop_after == "filter":
            written = _write_candidates(state, inputs.out)
            return RunSummary(inputs.out, inputs.state_file, state.stage_counts(), written, resumed=resumed)
        _fetch(state, commit_filter, inputs)
        skipped = state.verified_count()
        if skipped:
            logger.info("%d commits were verified by an earlier run and are skipped", skipped)
        _verify(state, config, inputs, keywords.version)
        summary = RunSummary(inputs.out, inputs.state_file, state.stage_counts(), resumed=resumed, skipped=skipped,
                             verified=state.verified_count() - skipped)
        if inputs.stop_after == "extract":
            return summary
        _output(state, config, instruct, writer, inputs, keywords, summary)
        return summary
    except SafeCoderError:
        raise  # already says what failed and where (a full instruction cache is not a full output disk)
    except Exception as exc:
        # SQLite may report a full disk as "disk I/O error": the device then tells.
        if out_of_space(exc, inputs.state_file if isinstance(exc, sqlite3.Error) else inputs.out):
            raise RunError(_out_of_space_message(exc, inputs)) from exc
        raise
    finally:
        state.close()


def _out_of_space_message(exc: Exception, inputs: RunInputs) -> str:
    if isinstance(exc, sqlite3.Error):
        return (f"no space left on the device of the state file {inputs.state_file}: the batch being recorded was not "
                "recorded (every batch recorded before it is kept); free space and run it again: recorded commits "
                "are skipped")
    target = inputs.out
    return (f"no space left on the device of {target} while writing it: {target.name} and its manifest were not "
            f"written (an earlier {target.name} and its manifest, if any, are unchanged), and every verified commit "
            f"is kept in {inputs.state_file}; free space and run it again: only curation and writing are redone")


# --- stage 1: list and filter ---------------------------------------------------------------
def _row(commit: CommitInfo, decision: FilterDecision, repo_path: str = "") -> tuple:
    if not decision.kept:
        return (commit.repository, commit.sha, "filter", "dropped", decision.reason, decision.detail, [], {})
    if commit.files is None or commit.parents is None:
        info = {"message": commit.message, "advisory_cwes": list(commit.advisory_cwes)}
        return (commit.repository, commit.sha, "fetch", "pending", "", "", list(decision.cwes), info)
    info = {
        "message": commit.message,
        "parent": commit.parents[0],
        "files": list(decision.source_files),
        "repo_path": repo_path,
    }
    return (commit.repository, commit.sha, "filter", "kept", "", "", list(decision.cwes), info)


def _list_repositories(state: PipelineState, commit_filter: CommitFilter, inputs: RunInputs, config: CollectConfig,
                       repos: Path) -> None:
    found = git_repos.find_repositories(repos)
    if not found:
        raise RunError(f"--repos {repos} holds no git repository")
    for path in tqdm(found, desc="listing repositories", unit="repo", disable=not inputs.progress):
        name = f"repos:{path}:{config.rev}"
        if state.source_position(name)[0]:
            continue
        repo = git_repos.open_repository(path)
        try:
            label = git_repos.repository_label(repo, path)
            rows = [_row(c, commit_filter.decide(c), str(path)) for c in git_repos.iter_history(repo, label, config.rev)]
        finally:
            repo.close()
        with state.transaction() as db:
            state.add_commits(db, rows)
            state.mark_source(db, name, done=True)


def _list_commit_file(state: PipelineState, commits: Path) -> None:
    name = f"commits:{Path(commits).resolve()}"
    if state.source_position(name)[0]:
        return
    refs = sources.read_commit_list(commits)
    rows = [(ref.repository, ref.sha, "fetch", "pending", "", "", list(ref.cwes),
             {"advisory_cwes": list(ref.cwes)}) for ref in refs]
    with state.transaction() as db:
        state.add_commits(db, rows)
        state.mark_source(db, name, done=True)


def _list_stream(state: PipelineState, commit_filter: CommitFilter, inputs: RunInputs, stream: Path) -> None:
    name = f"stream:{Path(stream).resolve()}"
    done, position = state.source_position(name)
    if done:
        return
    rows: list[tuple] = []
    last_line = position
    progress = tqdm(desc="filtering stream", unit="commit", disable=not inputs.progress, unit_scale=True)
    with progress:
        for line_no, item in sources.read_stream(stream, skip_lines=position):
            if isinstance(item, sources.MalformedRow):
                rows.append((f"stream:{stream}", f"line {line_no}", "fetch", "dropped", MALFORMED, item.reason, [], {}))
            else:
                rows.append(_row(item, commit_filter.decide(item)))
            progress.update(1)
            if line_no != last_line and len(rows) >= STREAM_CHUNK:
                # Flush only at a line boundary, so the saved position never splits a push event.
                with state.transaction() as db:
                    state.add_commits(db, rows)
                    state.mark_source(db, name, done=False, position=last_line)
                rows = []
            last_line = line_no
    with state.transaction() as db:
        state.add_commits(db, rows)
        state.mark_source(db, name, done=True, position=last_line)


def _write_candidates(state: PipelineState, out: Path) -> int:
    rows = [{"repository": c.repository, "commit": c.sha, "cwes": [x for x in c.cwes if x != "*"]}
            for c in state.candidates()]
    return write_jsonl(out, rows)


# --- stage 2: fetch metadata ----------------------------------------------------------------
def _fetch(state: PipelineState, commit_filter: CommitFilter, inputs: RunInputs) -> None:
    waiting = state.awaiting_fetch()
    by_repository: dict[str, list] = defaultdict(list)
    for commit in waiting:
        by_repository[commit.repository].append(commit)
    for repository, commits in tqdm(sorted(by_repository.items()), desc="fetching repositories", unit="repo",
                                    disable=not inputs.progress or not by_repository):
        shas = [c.sha for c in commits]
        try:
            path = sources.local_repository(repository, shas, inputs.clone_url)
            repo = git_repos.open_repository(path)
        except git_repos.RepositoryError as exc:
            with state.transaction() as db:
                for commit in commits:
                    state.update_commit(db, repository, commit.sha, "fetch", "dropped", REPOSITORY_UNAVAILABLE, str(exc)[:500])
            continue
        try:
            found = git_repos.read_commits(repo, repository, shas)
        finally:
            repo.close()
        with state.transaction() as db:
            for commit in commits:
                info = found.get(commit.sha)
                if info is None:
                    state.update_commit(db, repository, commit.sha, "fetch", "dropped", COMMIT_NOT_FOUND)
                    continue
                advisory = tuple(commit.info.get("advisory_cwes", ()))
                known = CommitInfo(repository, commit.sha, info.message, info.parents, info.files, advisory)
                decision = commit_filter.decide(known)
                if not decision.kept:
                    state.update_commit(db, repository, commit.sha, "filter", "dropped", decision.reason, decision.detail)
                    continue
                state.update_commit(db, repository, commit.sha, "filter", "kept", cwes=list(decision.cwes), info={
                    "message": info.message,
                    # git always lists parents here, and the filter dropped root commits.
                    "parent": info.parents[0] if info.parents else None, "files": list(decision.source_files),
                    "repo_path": str(path), "sha": info.sha,
                })


# --- stage 3: verify and extract --------------------------------------------------------------
def _verify(state: PipelineState, config: CollectConfig, inputs: RunInputs, keywords_version: str) -> None:
    pending = state.pending()
    if not pending:
        return
    settings = TaskSettings(
        analyzers=config.analyzers, whole_repository=config.whole_repository,
        analysis_timeout_s=config.analysis_timeout_s, max_file_bytes=config.max_file_bytes,
        pair_functions=config.pair_functions, source_kind=_source_kind(inputs), keywords_version=keywords_version,
    )
    by_repository: dict[str, list] = defaultdict(list)
    for commit in pending:
        by_repository[commit.repository].append(commit)
    batches: list[WorkBatch] = []
    for repository, commits in sorted(by_repository.items()):
        repo_path = commits[0].info.get("repo_path") or ""
        if not repo_path:
            try:
                repo_path = str(sources.local_repository(repository, [c.sha for c in commits], inputs.clone_url))
            except git_repos.RepositoryError as exc:
                with state.transaction() as db:
                    for commit in commits:
                        state.update_commit(db, repository, commit.sha, "fetch", "dropped", REPOSITORY_UNAVAILABLE, str(exc)[:500])
                continue
        items = [WorkItem(sha=c.info.get("sha", c.sha), parent=c.info["parent"], message=c.info.get("message", ""),
                          cwes=c.cwes, files=tuple(c.info["files"])) for c in commits]
        for start in range(0, len(items), config.batch_size):
            batches.append(WorkBatch(repository, repo_path, tuple(items[start:start + config.batch_size]), settings))
    short_to_listed = {(c.repository, c.info.get("sha", c.sha)): c.sha for c in pending}
    progress = tqdm(total=sum(len(b.items) for b in batches), desc="verifying commits", unit="commit",
                    disable=not inputs.progress)

    def store(batch: WorkBatch, outcomes) -> None:
        for outcome in outcomes:
            outcome.sha = short_to_listed.get((batch.repository, outcome.sha), outcome.sha)
        state.record_outcomes(batch.repository, outcomes)
        progress.update(len(outcomes))

    with progress:
        run_batches(batches, store, executor=config.executor, workers=config.workers, ray_address=config.ray_address)


def _source_kind(inputs: RunInputs) -> str:
    return "+".join(name for name in ("repos", "commits", "stream") if getattr(inputs, name))


# --- stage 4: curate, instruct, write ---------------------------------------------------------------
def _sort_key(pair: SecurityPair) -> tuple:
    p = pair.provenance
    return (p.repository, p.commit, p.file, p.extra.get("lines_before", [0])[0], p.function, pair.cwe)


def _output(state: PipelineState, config: CollectConfig, instruct: InstructConfig, writer, inputs: RunInputs,
            keywords, summary: RunSummary) -> None:
    pairs = sorted((SecurityPair.from_dict(row) for row in state.pairs()), key=_sort_key)
    kept, report = curate(pairs, config.near_duplicate_threshold, config.max_per_class, config.max_per_repository)
    summary.curation = report
    if writer is not None and kept:
        kept = writer.write_all(kept, progress=inputs.progress)
        summary.instructions = writer.report.to_dict()
    # The pairs go to a temporary file, then the manifest (which records their hash); the
    # manifest is renamed into place, then the pairs: a full disk leaves both as they were.
    with atomic_open(inputs.out) as handle:
        digest = hashlib.sha256()
        for record in kept:
            line = json.dumps(record.to_dict(), ensure_ascii=False) + "\n"
            handle.write(line)
            digest.update(line.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
        summary.written = len(kept)
        summary.manifest = write_manifest(inputs, config, instruct, keywords, summary, len(pairs),
                                          digest.hexdigest())


def write_manifest(inputs: RunInputs, config: CollectConfig, instruct: InstructConfig, keywords, summary: RunSummary,
                   extracted: int, output_sha256: str | None = None) -> Path:
    """The output's provenance: configuration, inputs, versions and counts (`output_sha256`: the
    hash of the output about to be renamed into place; by default the file's)."""
    manifest_path = inputs.out.with_name(inputs.out.name + ".manifest.json")
    input_files = {}
    for name in ("commits", "stream"):
        value = getattr(inputs, name)
        if value is not None:
            input_files[name] = {"path": str(Path(value).resolve()), "sha256": sha256_file(value)}
    if inputs.repos is not None:
        input_files["repos"] = {"path": str(Path(inputs.repos).resolve())}
    write_json(manifest_path, {
        "kind": "security_pairs_manifest",
        "output": str(inputs.out.resolve()),
        "output_sha256": output_sha256 or sha256_file(inputs.out),
        "pairs": summary.written,
        "code_version": code_version(),
        "config": to_dict(config),
        "instruct_config": to_dict(instruct),
        "keywords": {"source": keywords.source, "version": keywords.version, "fingerprint": keywords.fingerprint},
        "inputs": input_files,
        "state": str(inputs.state_file.resolve()),
        "stages": [
            {"stage": s.stage, "entered": s.entered, "kept": s.kept, "dropped": s.dropped, "pending": s.pending,
             "reasons": dict(s.reasons.most_common())}
            for s in summary.stages
        ],
        "extracted_pairs": extracted,
        "curation": summary.curation.to_dict() if summary.curation else None,
        "instructions": summary.instructions,
    })
    return manifest_path
