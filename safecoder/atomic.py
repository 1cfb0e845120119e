"""Writes that are all-or-nothing, so an interrupted process never leaves half a file.

Every file SafeCoder produces (JSONL outputs, manifests, alias tables, reports) goes
through these helpers: the content is written to a temporary file in the same folder,
flushed to disk, then renamed over the target. A reader sees either the old file or the
new one, never a mix. Folders are published the same way (`publish_dir`).

Permissions: files and folders get the modes an ordinary `open`/`mkdir` would give under
the process umask (umask 022: readable by all, 027: by the group, 077: private), so a
separate serving account can read a registry the training account wrote; pass
`private=True` for a file holding a secret (an API key): always 0600.

Not a lock: two writers of the same file still need `filelock` around their
read-modify-write (see `safecoder.registry`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8",
                private: bool = False) -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; rename it over `path` on success.

    The file gets 0666 less the umask, or 0600 when `private` (secrets)."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files; mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o600 if private else 0o666 & ~current_umask())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with _suppress_missing():
            os.unlink(tmp_name)
        raise


def write_text(path: str | os.PathLike, text: str, private: bool = False) -> None:
    with atomic_open(path, "w", private=private) as handle:
        handle.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    with atomic_open(path, "w") as handle:
        json.dump(obj, handle, indent=indent, ensure_ascii=False, sort_keys=False)
        handle.write("\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    """Write dict rows as JSON Lines in one atomic step; returns the number of rows."""
    count = 0
    with atomic_open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False))
            handle.write("\n")
            count += 1
    return count


def publish_dir(staging: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Move a fully written staging folder to `target` with one rename.

    `target` must not exist yet: publishing never overwrites a folder someone else may be
    reading. Staging and target must be on the same file system (create the staging folder
    next to the target, e.g. with `staging_dir`).
    """
    staging, target = Path(staging), Path(target)
    if target.exists():
        raise FileExistsError(f"cannot publish {staging} to {target}: the target already exists")
    os.rename(staging, target)
    return target


def staging_dir(target: str | os.PathLike) -> Path:
    """A fresh, hidden temporary folder beside `target`, for building it before `publish_dir`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staging", dir=target.parent))
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes 0700; the published folder is ordinary
    return staging


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (/proc)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting (not thread-safe, hence the fallback only)
    os.umask(mask)
    return mask


def remove_stale_staging(folder: str | os.PathLike) -> list[Path]:
    """Delete staging folders and temporary files left by interrupted writers in `folder`."""
    removed = []
    for entry in Path(folder).glob(".*"):
        if entry.name.endswith((".staging", ".tmp")):
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with _suppress_missing():
                    entry.unlink()
            removed.append(entry)
    return removed


@contextmanager
def _suppress_missing() -> Iterator[None]:
    try:
        yield
    except FileNotFoundError:
        pass
