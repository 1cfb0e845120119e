"""A memory cap over a sandboxed program's whole process tree, where cgroup v2 allows one.

`tree_cgroup(limits_bytes)` creates a child of this process's own cgroup v2 group with
`memory.max` (and `memory.swap.max` 0, `pids.max` when the controllers are there); the
sandbox's first process joins it before dropping privileges, so every process the
program starts is counted together, page cache and tmpfs included. It needs the unified
hierarchy with the memory controller delegated to this process's group (a systemd user
slice with `Delegate=yes`, a container with its own cgroup namespace, or root on a
cgroup v2 host). Where that is missing it returns None and the sandbox falls back to
per-process limits: RLIMIT_AS of `memory_mb` on each process, at most `processes` of
them, so the tree's worst case is `memory_mb x processes` (documented in
docs/reliability.md). It never touches a v1 hierarchy or any group it did not create.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_group() -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            return CGROUP_ROOT / line[3:].lstrip("/")
    return None


def tree_cgroup(memory_bytes: int, processes: int) -> Path | None:
    """A fresh group capped at `memory_bytes`, or None where cgroup v2 memory is not ours."""
    controllers = CGROUP_ROOT / "cgroup.controllers"
    group = _own_group()
    if group is None or not controllers.is_file():
        return None
    try:
        delegated = (group / "cgroup.subtree_control").read_text(encoding="utf-8").split()
    except OSError:
        return None
    if "memory" not in delegated:
        return None
    child = group / f"safecoder-sandbox-{uuid.uuid4().hex[:12]}"
    try:
        child.mkdir()
        (child / "memory.max").write_text(str(memory_bytes), encoding="utf-8")
        if (child / "memory.swap.max").exists():
            (child / "memory.swap.max").write_text("0", encoding="utf-8")
        if "pids" in delegated:
            (child / "pids.max").write_text(str(processes + 4), encoding="utf-8")
    except OSError as exc:
        logger.info("no cgroup memory cap (%s): falling back to per-process limits", exc)
        remove_cgroup(child)
        return None
    return child


def remove_cgroup(child: Path | None) -> None:
    """Remove a group made by `tree_cgroup` once its processes are gone (kills leftovers)."""
    if child is None or not child.exists():
        return
    kill = child / "cgroup.kill"
    try:
        if kill.exists():
            kill.write_text("1", encoding="utf-8")
    except OSError:
        pass
    for _ in range(100):  # the killed processes take a moment to leave the group
        try:
            os.rmdir(child)
            return
        except OSError as exc:
            error = exc
            time.sleep(0.02)
    logger.warning("could not remove the sandbox cgroup %s: %s", child, error)
