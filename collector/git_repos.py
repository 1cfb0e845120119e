"""Reading git repositories: commit metadata, file versions, whole trees, cached clones.

Inputs: a local repository (working or bare) or a URL/path to clone. Outputs:
`CommitInfo` records (one `git log --numstat` process per repository or per list of
commits, not one per commit), file contents at a revision (through gitpython's
persistent `git cat-file` process), a version's whole tree (`git archive`), and bare
clones kept in `SAFECODER_HOME/cache/repos`, fetched again only when a commit is missing.

Nothing here checks out a working tree per commit or clones per commit; and nothing
here decides anything about the commits it reads.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import git
from filelock import FileLock

from safecoder import paths
from safecoder.collector.commits import ChangedFile, CommitInfo
from safecoder.errors import SafeCoderError

logger = logging.getLogger(__name__)

GIT_TIMEOUT_S = 600
_RECORD = "\x1e"
_FIELD = "\x1f"
_LOG_FORMAT = f"--format={_RECORD}%H{_FIELD}%P{_FIELD}%B{_FIELD}"


class RepositoryError(SafeCoderError):
    """A repository that cannot be opened, cloned or read; the message names it."""


def open_repository(path: str | os.PathLike) -> git.Repo:
    try:
        return git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise RepositoryError(f"{path} is not a git repository (expected a folder with a .git, or a bare repository)") from None


def find_repositories(folder: str | os.PathLike) -> list[Path]:
    """`folder` itself if it is a repository, else its repositories one or two levels down."""
    root = Path(folder)
    if not root.is_dir():
        raise RepositoryError(f"--repos {root} is not a folder")
    if _is_repository(root):
        return [root.resolve()]
    found: list[Path] = []
    for child in sorted(root.iterdir()):
        if not child.is_dir():
            continue
        if _is_repository(child):
            found.append(child.resolve())
        else:
            found.extend(g.resolve() for g in sorted(child.iterdir()) if g.is_dir() and _is_repository(g))
    return found


def repository_label(repo: git.Repo, path: Path) -> str:
    """How outputs name a repository: its `origin` URL when it has one, else its path."""
    try:
        return next(iter(repo.remote("origin").urls))
    except (ValueError, StopIteration, git.GitCommandError):
        return str(path)


def iter_history(repo: git.Repo, label: str, rev: str = "HEAD") -> Iterator[CommitInfo]:
    """Every commit reachable from `rev`, newest first, with its changed files and line counts."""
    try:
        output = repo.git.log(rev, "--numstat", "--no-renames", _LOG_FORMAT, kill_after_timeout=GIT_TIMEOUT_S)
    except git.GitCommandError as exc:
        if "does not have any commits" in str(exc.stderr):
            return
        raise RepositoryError(f"cannot read the history of {label} at {rev!r}: {exc.stderr.strip()}") from None
    yield from _parse_log(output, label)


def read_commits(repo: git.Repo, label: str, shas: Sequence[str], chunk: int = 200) -> dict[str, CommitInfo]:
    """The metadata of the listed commits (one git process per `chunk`), keyed by the id as
    given (abbreviated ids too); commits the repository lacks are left out."""
    found: dict[str, CommitInfo] = {}
    for start in range(0, len(shas), chunk):
        resolved = resolve_commits(repo, shas[start:start + chunk])
        if not resolved:
            continue
        try:
            output = repo.git.log("--no-walk=unsorted", "--numstat", "--no-renames", _LOG_FORMAT,
                                  *sorted(set(resolved.values())), kill_after_timeout=GIT_TIMEOUT_S)
        except git.GitCommandError as exc:
            raise RepositoryError(f"cannot read commits of {label}: {exc.stderr.strip()}") from None
        by_full = {info.sha: info for info in _parse_log(output, label)}
        for given, full in resolved.items():
            if full in by_full:
                found[given] = by_full[full]
    return found


def resolve_commits(repo: git.Repo, shas: Sequence[str]) -> dict[str, str]:
    """Given id -> full commit id, for the ids that name a commit in the repository."""
    if not shas:
        return {}
    request = "".join(f"{sha}^{{commit}}\n" for sha in shas)
    try:
        result = subprocess.run(["git", "-C", str(repo.git_dir), "cat-file", "--batch-check"], input=request,
                                capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=True)
    except subprocess.CalledProcessError as exc:
        raise RepositoryError(f"git cat-file failed in {repo.git_dir}: {exc.stderr.strip()}") from None
    resolved = {}
    for sha, line in zip(shas, result.stdout.splitlines(), strict=True):
        parts = line.split()
        if len(parts) == 3 and parts[1] == "commit":
            resolved[sha] = parts[0]
    return resolved


def has_commit(repo: git.Repo, sha: str) -> bool:
    return bool(resolve_commits(repo, [sha]))


def read_blob(repo: git.Repo, rev: str, path: str) -> bytes | None:
    """The bytes of `path` at `rev`, or None when the file does not exist there."""
    try:
        tree = repo.commit(rev).tree
        blob = tree / path
    except KeyError:
        return None
    return blob.data_stream.read()


def export_tree(repo: git.Repo, rev: str, target: Path) -> Path:
    """Write the whole tree of `rev` into `target` (git archive, no checkout)."""
    buffer = io.BytesIO()
    try:
        repo.archive(buffer, treeish=rev, format="tar")
    except git.GitCommandError as exc:
        raise RepositoryError(f"git archive of {rev} failed: {exc.stderr.strip()}") from None
    buffer.seek(0)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=buffer, mode="r") as archive:
        archive.extractall(target, filter="data")
    return target


def cached_clone(url: str, needed: Sequence[str] = ()) -> Path:
    """A bare clone of `url` in the repository cache, fetched again if a needed commit is missing."""
    cache = paths.cache_dir("repos")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", url.rstrip("/").rsplit("/", 1)[-1]).removesuffix(".git") or "repo"
    target = cache / f"{name}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"
    with FileLock(str(target) + ".lock"):
        if not target.exists():
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staging", dir=cache))
            try:
                logger.info("cloning %s", url)
                git.Repo.clone_from(url, staging, bare=True)
                os.rename(staging, target)
            except git.GitCommandError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise RepositoryError(f"cannot clone {url}: {exc.stderr.strip()}") from None
        repo = git.Repo(target)
        missing = [sha for sha in needed if not has_commit(repo, sha)]
        if missing:
            logger.info("fetching %s for %d missing commits", url, len(missing))
            try:
                repo.git.fetch(url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
                               kill_after_timeout=GIT_TIMEOUT_S)
            except git.GitCommandError as exc:
                raise RepositoryError(f"cannot fetch {url}: {exc.stderr.strip()}") from None
    return target


def _is_repository(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def _parse_log(output: str, label: str) -> Iterator[CommitInfo]:
    for record in output.split(_RECORD):
        if not record.strip():
            continue
        sha, parents, rest = record.split(_FIELD, 2)
        message, _, numstat = rest.partition(_FIELD)
        files = []
        for line in numstat.splitlines():
            parts = line.split("\t", 2)
            if len(parts) != 3:
                continue
            added, deleted, path = parts
            files.append(ChangedFile(
                path=_unquote(path),
                additions=None if added == "-" else int(added),
                deletions=None if deleted == "-" else int(deleted),
            ))
        yield CommitInfo(
            repository=label,
            sha=sha.strip(),
            message=message.strip(),
            parents=tuple(parents.split()),
            files=tuple(files),
        )


def _unquote(path: str) -> str:
    """git quotes paths with special characters C-style (`"a\\tb.py"`)."""
    if len(path) >= 2 and path[0] == path[-1] == '"':
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
    return path
