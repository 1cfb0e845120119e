"""The contract between the ensemble and each analyzer backend, and the scratch folder they share.

A backend takes many prepared sources at once (one process start for all of them) and
returns a `BackendOutput`: findings per source index, and per-source errors for the
sources it could not judge (a timeout, a crash, a file it could not read). A source
missing from both is one the backend judged and found clean. A backend that fails as a
whole puts every source into `errors`; it never returns an empty, clean-looking output.

`write_sources` lays the sources out as files in a temporary folder, under names that
keep each source's extension (C vs C++, JSX) and map back to its index.

This module runs no analyzer itself.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safecoder.analysis.findings import Finding
from safecoder.analysis.inputs import PreparedSource


@dataclass
class BackendOutput:
    analyzer: str
    version: str
    sources: set[int] = field(default_factory=set)      # every index this backend was given
    findings: dict[int, list[Finding]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)

    def add(self, index: int, finding: Finding) -> None:
        self.findings.setdefault(index, []).append(finding)

    def fail_all(self, indices: Sequence[int], reason: str) -> BackendOutput:
        for index in indices:
            self.errors[index] = reason
        return self


def write_sources(folder: Path, sources: Sequence[tuple[int, PreparedSource]]) -> dict[str, int]:
    """Write each source as `s<index>.<ext>` under `folder`; returns file path -> source index."""
    paths: dict[str, int] = {}
    for index, source in sources:
        path = folder / f"s{index:06d}.{source.extension}"
        path.write_bytes(source.data)
        paths[str(path)] = index
    return paths


def index_of(paths: dict[str, int], reported: str, folder: Path) -> int | None:
    """The source index for a path as an analyzer reported it (absolute or relative)."""
    if reported in paths:
        return paths[reported]
    candidate = str(folder / os.path.basename(reported))
    return paths.get(candidate)


def char_column(line_text: str | bytes, byte_offset: int) -> int:
    """1-based character column of a 0-based UTF-8 byte offset within one line."""
    data = line_text.encode("utf-8") if isinstance(line_text, str) else line_text
    return len(data[:max(byte_offset, 0)].decode("utf-8", errors="replace")) + 1


def describe_process_failure(command: str, exc: BaseException) -> str:
    """A one-line reason for a failed analyzer process, with the tail of its stderr."""
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"{command} timed out after {exc.timeout:.0f} s"
    if isinstance(exc, subprocess.CalledProcessError):
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        tail = " ".join(stderr.strip().splitlines()[-3:])[:400]
        return f"{command} failed with exit status {exc.returncode}: {tail or 'no error output'}"
    if isinstance(exc, FileNotFoundError):
        return f"{command} is not installed ({exc.filename}); run `make install`"
    return f"{command} failed: {exc}"
