"""The file system a sandboxed program sees: a minimal, read-only view of the system.

Both back ends (`bwrap` and the built-in `unshare` + `confine.py`) build the same view
from the list `system_view` returns, so a program cannot tell which one ran it:

- `/usr` read-only, and `/bin`, `/sbin`, `/lib*` as on the host (links into `/usr` on a
  merged-/usr system, else read-only binds): the interpreters and compilers;
- a few files of `/etc` that those tools read (the dynamic loader's cache, the
  `alternatives` links, Java's configuration, the time zone), plus a synthetic
  `passwd`, `group`, `hosts` and `nsswitch.conf` naming nobody real;
- the Python installation that runs the tests at `/python` when it lives outside
  `/usr` (a pyenv or uv Python under a home folder: only that folder, read-only);
- a fresh `/proc` of the program's own PID namespace, a minimal `/dev`, and the working
  folder `/tmp/work` (also `HOME` and `TMPDIR`): a size- (and under `unshare` inode-)
  capped tmpfs with a copy of the job's files, the only writable place.

Nothing else exists inside: not the user's home, the checkout, the registry, `/root`,
`/var`, `/run`, `/sys`, `/mnt` or the host's `/tmp`. This module only describes the view;
it mounts nothing.
"""

from __future__ import annotations

import glob
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

WORKDIR = "/tmp/work"
PYTHON_MOUNT = "/python"
# Files of the job and the sandbox's own helper, read-only, beside the view.
CONTROL_DIR = "/.safecoder"
_TOP_LEVEL_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime")
_ETC_GLOBS = ("java-*",)


@dataclass(frozen=True)
class Mount:
    """One entry of the view: a read-only bind of a host path, or a symbolic link."""

    kind: Literal["ro-bind", "symlink"]
    source: str  # host path (ro-bind) or the link's text (symlink)
    target: str  # path inside the sandbox

    def to_list(self) -> list[str]:
        return [self.kind, self.source, self.target]


@dataclass(frozen=True)
class PythonInside:
    """Where the program finds the interpreter that runs the tests."""

    executable: str  # path inside the sandbox
    host_prefix: str  # installation to bind at PYTHON_MOUNT ("" when under /usr already)
    library_dir: str  # LD_LIBRARY_PATH inside ("" when none is needed)


def python_inside() -> PythonInside:
    executable = Path(os.path.realpath(sys.executable))
    prefix = Path(os.path.realpath(sys.base_prefix))
    if prefix == Path("/usr") or Path("/usr") in executable.parents or prefix not in executable.parents:
        return PythonInside(str(executable), "", "")
    library = f"{PYTHON_MOUNT}/lib" if (prefix / "lib").is_dir() else ""
    return PythonInside(f"{PYTHON_MOUNT}/{executable.relative_to(prefix)}", str(prefix), library)


def synthetic_etc(uid: int, gid: int) -> dict[str, str]:
    """Account and name-service files that name only root, nobody and the sandbox user."""
    users = {0: "root", 65534: "nobody"}
    passwd = "".join(f"{name}:x:{number}:{number if number else 0}:{name}:/nonexistent:/usr/sbin/nologin\n"
                     for number, name in users.items() if number != uid)
    passwd += f"sandbox:x:{uid}:{gid}:sandbox:{WORKDIR}:/usr/sbin/nologin\n"
    groups = {0: "root", 65534: "nogroup"}
    group = "".join(f"{name}:x:{number}:\n" for number, name in groups.items() if number != gid)
    group += f"sandbox:x:{gid}:\n"
    return {
        "passwd": passwd,
        "group": group,
        "hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    }


def system_view(synthetic_dir: str, python_source: str = "") -> list[Mount]:
    """The read-only part of the view. `synthetic_dir` holds the files of `synthetic_etc`
    (written by the caller); `python_source` is the host folder to show at PYTHON_MOUNT."""
    mounts = [Mount("ro-bind", "/usr", "/usr")]
    for name in _TOP_LEVEL_LINKS:
        host = f"/{name}"
        if os.path.islink(host):
            mounts.append(Mount("symlink", os.readlink(host), host))
        elif os.path.isdir(host):
            mounts.append(Mount("ro-bind", host, host))
    entries = [f"/etc/{name}" for name in _ETC_ENTRIES]
    for pattern in _ETC_GLOBS:
        entries += sorted(glob.glob(f"/etc/{pattern}"))
    mounts += [Mount("ro-bind", path, path) for path in entries if os.path.exists(path)]
    mounts += [Mount("ro-bind", os.path.join(synthetic_dir, name), f"/etc/{name}")
               for name in sorted(os.listdir(synthetic_dir))]
    if python_source:
        mounts.append(Mount("ro-bind", python_source, PYTHON_MOUNT))
    return mounts
