"""A real full disk for the fault tests: a small tmpfs mounted for one test, resizable.

Mounting needs root (the tests that use it skip otherwise). `SmallDisk.resize` remounts
with another size, keeping the files, so a test can fill the disk, check the error and
the state left behind, then give space back and check that the next run resumes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class SmallDisk:
    path: Path

    def resize(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True, timeout=30,
                       capture_output=True)

    @property
    def free(self) -> int:
        return shutil.disk_usage(self.path).free


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[SmallDisk]:
    """A tmpfs of `size` (mount's syntax: 2m, 512k) at `path`, unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True, timeout=30,
                   capture_output=True)
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True, timeout=30, capture_output=True)
