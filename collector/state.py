"""The pipeline's state in SQLite: every commit's stage, status and drop reason, and the pairs.

Input/output: one SQLite file per run (default `<out>.state.sqlite`). Tables:
- `meta`: the run's pipeline fingerprint and effective configuration;
- `sources`: how far each source was read (a repository listed, a stream's line);
- `commits`: one row per commit seen: `stage` (fetch, filter, verify, extract), `status`
  (kept / dropped), `reason` and `detail`, the candidate CWEs and what the next stage needs;
- `pairs`: the extracted `SecurityPair` rows of kept commits.

A commit's row and its pairs change in one transaction, so a killed run leaves every
commit either done or still pending, and the next run picks up the pending ones
(`INSERT OR IGNORE` makes re-listing harmless). Only the main process writes; workers
return results. Not here: curation and instructions, which are recomputed from `pairs`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safecoder.collector.tasks import CommitOutcome
from safecoder.disk_space import out_of_space
from safecoder.errors import SafeCoderError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (name TEXT PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0,
                                    position INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS commits (
    repository TEXT NOT NULL,
    sha TEXT NOT NULL,
    stage TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    cwes TEXT NOT NULL DEFAULT '[]',
    info TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (repository, sha)
);
CREATE INDEX IF NOT EXISTS commits_pending ON commits (stage, status);
CREATE TABLE IF NOT EXISTS pairs (
    repository TEXT NOT NULL,
    sha TEXT NOT NULL,
    position INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (repository, sha, position)
);
"""
STAGES = ("fetch", "filter", "verify", "extract")


class StateError(SafeCoderError):
    """A state file that belongs to another configuration or cannot be read."""


@dataclass(frozen=True)
class PendingCommit:
    repository: str
    sha: str
    cwes: tuple[str, ...]
    info: dict[str, Any]


@dataclass
class StageCount:
    stage: str
    entered: int
    kept: int
    dropped: int
    pending: int
    reasons: Counter


class PipelineState:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=60)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            if out_of_space(exc, self.path):  # SQLite may say only "disk I/O error"
                raise StateError(f"no space left on the device of the state file {self.path}: it could not be "
                                 "opened for writing; free space and run it again") from exc
            raise StateError(f"state file {self.path} is not a usable SQLite database ({exc}); "
                             "pass another --state or delete it to start over") from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # --- run identity ---------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def bind(self, fingerprint: str, config: dict[str, Any]) -> bool:
        """Tie the state to a pipeline fingerprint; True when resuming an existing run."""
        existing = self.get_meta("fingerprint")
        if existing is not None and existing != fingerprint:
            raise StateError(
                f"state file {self.path} was made with other filter, verification or extraction settings "
                f"(fingerprint {existing}, now {fingerprint}); use another --state, or --fresh to start over"
            )
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint', ?)", (fingerprint,))
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('config', ?)", (json.dumps(config, sort_keys=True),))
        return existing is not None

    # --- sources --------------------------------------------------------------------
    def source_position(self, name: str) -> tuple[bool, int]:
        row = self.db.execute("SELECT done, position FROM sources WHERE name = ?", (name,)).fetchone()
        return (bool(row[0]), int(row[1])) if row else (False, 0)

    def mark_source(self, db: sqlite3.Connection, name: str, done: bool, position: int = 0) -> None:
        db.execute("INSERT OR REPLACE INTO sources (name, done, position) VALUES (?, ?, ?)", (name, int(done), position))

    # --- commits --------------------------------------------------------------------
    def add_commits(self, db: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str, str, str, list[str], dict]]) -> None:
        """(repository, sha, stage, status, reason, detail, cwes, info) rows; existing ones are kept."""
        db.executemany(
            "INSERT OR IGNORE INTO commits (repository, sha, stage, status, reason, detail, cwes, info) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((r, s, st, status, reason, detail, json.dumps(cwes), json.dumps(info) if info else "{}")
             for r, s, st, status, reason, detail, cwes, info in rows),
        )

    def update_commit(self, db: sqlite3.Connection, repository: str, sha: str, stage: str, status: str,
                      reason: str = "", detail: str = "", cwes: list[str] | None = None, info: dict | None = None) -> None:
        db.execute(
            "UPDATE commits SET stage = ?, status = ?, reason = ?, detail = ?, cwes = COALESCE(?, cwes), "
            "info = COALESCE(?, info) WHERE repository = ? AND sha = ?",
            (stage, status, reason, detail, json.dumps(cwes) if cwes is not None else None,
             json.dumps(info) if info is not None else None, repository, sha),
        )

    def awaiting_fetch(self) -> list[PendingCommit]:
        """Commits whose metadata must still be read from their repository."""
        rows = self.db.execute(
            "SELECT repository, sha, cwes, info FROM commits WHERE stage = 'fetch' AND status = 'pending' "
            "ORDER BY repository, sha"
        ).fetchall()
        return [PendingCommit(r, s, tuple(json.loads(c)), json.loads(i)) for r, s, c, i in rows]

    def candidates(self) -> list[PendingCommit]:
        """Commits the filter kept or that still await their metadata (for --stop-after filter)."""
        rows = self.db.execute(
            "SELECT repository, sha, cwes, info FROM commits WHERE (stage = 'fetch' AND status = 'pending') "
            "OR stage IN ('filter', 'verify', 'extract') AND status != 'dropped' ORDER BY repository, sha"
        ).fetchall()
        return [PendingCommit(r, s, tuple(json.loads(c)), json.loads(i)) for r, s, c, i in rows]

    def has_commit(self, repository: str, sha: str) -> bool:
        return self.db.execute("SELECT 1 FROM commits WHERE repository = ? AND sha = ?", (repository, sha)).fetchone() is not None

    def pending(self) -> list[PendingCommit]:
        """Commits the filter kept that verification has not finished, in a stable order."""
        rows = self.db.execute(
            "SELECT repository, sha, cwes, info FROM commits WHERE stage = 'filter' AND status = 'kept' "
            "ORDER BY repository, sha"
        ).fetchall()
        return [PendingCommit(r, s, tuple(json.loads(c)), json.loads(i)) for r, s, c, i in rows]

    def record_outcomes(self, repository: str, outcomes: Iterable[CommitOutcome]) -> None:
        """Store a batch's results: each commit's final stage, and its pairs, in one transaction."""
        with self.transaction() as db:
            for outcome in outcomes:
                db.execute(
                    "UPDATE commits SET stage = ?, status = ?, reason = ?, detail = ?, cwes = CASE WHEN ? = '[]' THEN cwes ELSE ? END "
                    "WHERE repository = ? AND sha = ?",
                    (outcome.stage, "kept" if outcome.kept else "dropped", outcome.reason, outcome.detail,
                     json.dumps(list(outcome.fixed_cwes)), json.dumps(list(outcome.fixed_cwes)), repository, outcome.sha),
                )
                db.execute("DELETE FROM pairs WHERE repository = ? AND sha = ?", (repository, outcome.sha))
                db.executemany(
                    "INSERT INTO pairs (repository, sha, position, record) VALUES (?, ?, ?, ?)",
                    ((repository, outcome.sha, i, json.dumps(p, sort_keys=True)) for i, p in enumerate(outcome.pairs)),
                )

    def pairs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT record FROM pairs ORDER BY repository, sha, position").fetchall()
        return [json.loads(r[0]) for r in rows]

    # --- reporting ------------------------------------------------------------------
    def stage_counts(self) -> list[StageCount]:
        """Per stage: commits that reached it, kept, dropped (by reason) and still pending."""
        rows = self.db.execute("SELECT stage, status, reason, COUNT(*) FROM commits GROUP BY stage, status, reason").fetchall()
        dropped: dict[str, Counter] = {stage: Counter() for stage in STAGES}
        pending: Counter = Counter()
        for stage, status, reason, count in rows:
            if status == "dropped":
                dropped[stage][reason] += count
            elif status == "pending":
                pending[stage] += count
            elif stage == "filter":
                pending["verify"] += count  # kept by the filter, not verified yet
        counts = []
        entered = sum(count for *_, count in rows)
        for stage in STAGES:
            stage_dropped = sum(dropped[stage].values())
            kept = entered - stage_dropped - pending[stage]
            counts.append(StageCount(stage, entered, kept, stage_dropped, pending[stage], dropped[stage]))
            entered = kept
        return counts

    def verified_count(self) -> int:
        """Commits whose verification finished (kept or dropped by it, or extracted)."""
        return self.db.execute("SELECT COUNT(*) FROM commits WHERE stage IN ('verify', 'extract')").fetchone()[0]

    def totals(self) -> dict[str, int]:
        commits = self.db.execute("SELECT COUNT(*) FROM commits").fetchone()[0]
        pairs = self.db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]
        return {"commits": commits, "pairs": pairs}
