"""Recognising a full disk, in the many shapes the libraries SafeCoder writes through report it.

A write that runs out of space reaches SafeCoder as an `OSError` with `errno.ENOSPC` (or
`EDQUOT`, a quota), as text inside a `shutil.Error` (`copytree` gathers its errors), as
`sqlite3.OperationalError("database or disk is full")`, as a safetensors error quoting
"No space left on device (os error 28)", in a subprocess's stderr, or, from
`torch.save`, as an opaque `RuntimeError` ("unexpected pos 576 vs 534") that names no
cause at all. `out_of_space` reads all of these, following the exception's cause chain;
for the opaque ones it looks at the device itself: a device with under `LOW_SPACE_BYTES`
free after a failed write ran out of space.

Callers turn a `True` into their own error that names the path, what was not written and
that the previous state is intact (the registry, the trainer's run folder, the GGUF
export, the collector). Not here: freeing space, or retrying.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

LOW_SPACE_BYTES = 1 << 20  # under 1 MiB free after a failed write: the device is full
_CODES = (errno.ENOSPC, errno.EDQUOT)
_PHRASES = (
    *(os.strerror(code) for code in _CODES),
    "database or disk is full",  # SQLite
    "os error 28",  # Rust's io::Error (safetensors, tokenizers)
    "StorageFull",
)


def out_of_space(exc: BaseException | None, path: str | os.PathLike | None = None) -> bool:
    """Whether `exc` (or an exception it was raised from) is a full disk or an exhausted quota.

    With `path`, an error that names no cause also counts when the device holding `path`
    now has under `LOW_SPACE_BYTES` free (what `torch.save` leaves to go on)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _CODES:
            return True
        if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
            if any(text_says_out_of_space(str(entry[-1])) for entry in exc.args[0]):
                return True
        elif text_says_out_of_space(str(exc)):
            return True
        exc = exc.__cause__ or exc.__context__
    return path is not None and device_is_full(path)


def text_says_out_of_space(text: str) -> bool:
    """Whether an error message or a subprocess's stderr reports a full disk."""
    return any(phrase in text for phrase in _PHRASES)


def free_bytes(path: str | os.PathLike) -> int | None:
    """Bytes free on the device holding `path` (or its nearest existing parent); None if unknown."""
    candidate = Path(path)
    while not candidate.exists() and candidate != candidate.parent:
        candidate = candidate.parent
    try:
        return shutil.disk_usage(candidate).free
    except OSError:
        return None


def device_is_full(path: str | os.PathLike) -> bool:
    free = free_bytes(path)
    return free is not None and free < LOW_SPACE_BYTES
