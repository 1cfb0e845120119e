"""The collector's three inputs, read into `CommitInfo` records.

- `--repos DIR`: local git repositories (DIR itself, or the repositories in it); every
  commit of `rev` (default HEAD) with its changed files, one `git log` per repository.
- `--commits FILE`: a JSONL list of commits, as advisory databases publish them: each
  row names a repository (URL, or a local path) and a commit, as `{"repository": ...,
  "commit": ...}` or a `commit_link` / `url` ending in `/commit/<sha>`, optionally with
  `cwe` or `cwes`. Repositories that are not local folders are cloned on demand into
  `SAFECODER_HOME/cache/repos` (bare, once, then fetched when a commit is missing).
- `--stream FILE`: commit metadata at scale (GH Archive-like JSONL): one commit per row
  (`repo`, `sha`, `message`, optional `parents`, `files` with `path`/`filename`,
  `additions`, `deletions`), or GH Archive `PushEvent` rows whose `payload.commits`
  carry sha and message only. Malformed rows are reported, not fatal.

Repositories named `owner/name` are cloned from `clone_url` (a template). This module
reads inputs; it neither filters nor writes state.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from safecoder import cwe as cwe_catalog
from safecoder.collector import git_repos
from safecoder.collector.commits import ChangedFile, CommitInfo
from safecoder.errors import SafeCoderError

DEFAULT_CLONE_URL = "https://github.com/{repo}.git"


class SourceError(SafeCoderError):
    """An input file that cannot be read; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class CommitRef:
    repository: str
    sha: str
    cwes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MalformedRow:
    line: int
    reason: str


def read_commit_list(path: str | os.PathLike) -> list[CommitRef]:
    """Every row of a commit list; a malformed row is an error naming its line."""
    refs = []
    for line_no, row in _json_lines(path):
        if isinstance(row, MalformedRow):
            raise SourceError(f"{path}:{line_no}: {row.reason}")
        try:
            refs.append(_commit_ref(row))
        except ValueError as exc:
            raise SourceError(f"{path}:{line_no}: {exc}; expected {{\"repository\": URL or path, \"commit\": sha}}") from None
    return refs


def read_stream(path: str | os.PathLike, skip_lines: int = 0) -> Iterator[tuple[int, CommitInfo | MalformedRow]]:
    """(line number, commit or malformed row) for every commit after line `skip_lines`."""
    for line_no, row in _json_lines(path, skip_lines):
        if isinstance(row, MalformedRow):
            yield line_no, row
            continue
        try:
            for commit in _stream_commits(row):
                yield line_no, commit
        except (ValueError, TypeError, KeyError) as exc:
            yield line_no, MalformedRow(line_no, f"unreadable commit row: {exc}")


def clone_url_for(repository: str, template: str = DEFAULT_CLONE_URL) -> str:
    """A stream's `owner/name` becomes a URL; URLs and paths stay as they are."""
    if "://" in repository or repository.startswith(("/", ".", "~", "git@")) or os.path.isdir(repository):
        return repository
    return template.format(repo=repository)


def local_repository(repository: str, needed: list[str], clone_url: str = DEFAULT_CLONE_URL) -> Path:
    """A local folder holding the repository's objects: the folder itself, or a cached clone."""
    location = os.path.expanduser(repository)
    if os.path.isdir(location):
        return Path(location).resolve()
    return git_repos.cached_clone(clone_url_for(repository, clone_url), needed)


def _json_lines(path: str | os.PathLike, skip_lines: int = 0) -> Iterator[tuple[int, dict | MalformedRow]]:
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise SourceError(f"input file {path} does not exist") from None
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if line_no <= skip_lines or not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield line_no, MalformedRow(line_no, f"invalid JSON: {exc.msg}")
                continue
            if not isinstance(row, dict):
                yield line_no, MalformedRow(line_no, f"expected a JSON object, found {type(row).__name__}")
                continue
            yield line_no, row


def _commit_ref(row: dict) -> CommitRef:
    repository = row.get("repository") or row.get("repo") or ""
    sha = row.get("commit") or row.get("sha") or ""
    link = row.get("commit_link") or row.get("url") or ""
    if (not repository or not sha) and "/commit/" in link:
        repository, sha = link.split("/commit/", 1)
        if "://" not in repository and not os.path.isdir(repository):
            repository = "https://" + repository
    if not isinstance(repository, str) or not isinstance(sha, str) or not repository or not sha.strip("/"):
        raise ValueError("no repository and commit in the row")
    raw_cwes = row.get("cwes", row.get("cwe", []))
    if isinstance(raw_cwes, str):
        raw_cwes = [raw_cwes]
    try:
        cwes = tuple(cwe_catalog.normalize(c) for c in raw_cwes)
    except cwe_catalog.UnknownCWEError as exc:
        raise ValueError(str(exc)) from None
    return CommitRef(repository=repository, sha=sha.strip("/").strip(), cwes=cwes)


def _stream_commits(row: dict) -> Iterator[CommitInfo]:
    if row.get("type") == "PushEvent":
        repo = row["repo"]["name"]
        for commit in row.get("payload", {}).get("commits", []):
            yield CommitInfo(repository=repo, sha=commit["sha"], message=commit.get("message", ""))
        return
    repository = row.get("repo") or row.get("repository")
    if isinstance(repository, dict):
        repository = repository.get("name") or repository.get("url")
    sha = row.get("sha") or row.get("commit")
    if not isinstance(repository, str) or not isinstance(sha, str):
        raise ValueError("a row needs `repo` and `sha`")
    files = row.get("files")
    parents = row.get("parents")
    if parents is None and "merge" in row:
        parents = None if not row["merge"] else ["?", "?"]
    yield CommitInfo(
        repository=repository,
        sha=sha,
        message=row.get("message", ""),
        parents=tuple(p["sha"] if isinstance(p, dict) else p for p in parents) if parents is not None else None,
        files=tuple(
            ChangedFile(path=f.get("path") or f["filename"], additions=f.get("additions"), deletions=f.get("deletions"))
            for f in files
        ) if files is not None else None,
        advisory_cwes=tuple(row.get("cwes", ())),
    )
